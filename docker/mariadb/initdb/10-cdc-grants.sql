-- Runs once, on the first start with an empty data volume (docker-entrypoint-initdb.d).
--
-- The image itself creates the CDC user 'cdc'@'%' from MARIADB_USER / MARIADB_PASSWORD
-- (it escapes the password), before this file runs; so no secret is in this file.
-- Here it gets what Debezium's MariaDB/MySQL connector needs, and nothing more
-- (the same list as cdc/devstack/mariadb.py CDC_GRANTS):
--   SELECT              initial snapshot
--   RELOAD              FLUSH for the snapshot's consistent read
--   SHOW DATABASES      discover the captured databases
--   REPLICATION SLAVE   read the binlog
--   BINLOG MONITOR      SHOW BINLOG STATUS / SHOW BINARY LOGS (MariaDB >= 10.5)
--   REPLICA MONITOR     SHOW REPLICA STATUS (MariaDB >= 10.5)
-- Keep the user name equal to MARIADB_USER in compose.yaml and CDCLAKE_SOURCE__USER.
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR, REPLICA MONITOR ON *.* TO 'cdc'@'%';
FLUSH PRIVILEGES;
