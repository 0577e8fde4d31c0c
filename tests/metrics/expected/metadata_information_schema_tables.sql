SELECT information_schema.tables.table_rows AS row_count, unix_timestamp(information_schema.tables.update_time) AS modified_epoch, NULL AS changes 
FROM information_schema.tables 
WHERE information_schema.tables.table_schema = %s AND information_schema.tables.table_name = %s
