SELECT `__TABLES__`.`row_count`, div(`__TABLES__`.`last_modified_time`, 1000) AS `modified_epoch`, NULL AS `changes` 
FROM `sales`.`__TABLES__` 
WHERE `__TABLES__`.`table_id` = :table_id_1
