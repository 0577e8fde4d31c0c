SELECT information_schema.tables.row_count, date_part(epoch_second, information_schema.tables.last_altered) AS modified_epoch, NULL AS changes 
FROM information_schema.tables 
WHERE information_schema.tables.table_schema = %(param_1)s AND information_schema.tables.table_name = %(table_name_1)s
