"""Database and message-broker connection strings with a password in them: URLs
(``scheme://user:password@host``, RFC 3986 userinfo), JDBC ``password=`` parameters and ADO.NET/ODBC
``Password=`` keys.  The secret reported is the password alone."""

# ruff: noqa: E501  (rule tables: one rule a row, expressions unbroken)

from __future__ import annotations

from stockade.secrets.rules._build import H, table

_USERINFO = r"[^:/?#\s@'\"<>]{0,128}:([A-Za-z0-9\-._~%!$&*+,;=]{3,128})@[^\s'\"/<>]+"

_A = {"anchored": True}

RULES = table(
    "database",
    [
        (250, "postgres-url-password", "PostgreSQL connection URL with a password",
         r"(?i:(?:postgres(?:ql)?|postgis|pgsql)(?:\+\w+)?://)" + _USERINFO, "postgres pgsql postgis", H, _A),
        (251, "mysql-url-password", "MySQL/MariaDB connection URL with a password",
         r"(?i:(?:mysql|mariadb)(?:\+\w+)?://)" + _USERINFO, "mysql mariadb", H, _A),
        (252, "mongodb-url-password", "MongoDB connection URL with a password",
         r"(?i:mongodb(?:\+srv)?://)" + _USERINFO, "mongodb", H, _A),
        (253, "redis-url-password", "Redis connection URL with a password", r"(?i:rediss?://)" + _USERINFO, "redis", H, _A),
        (254, "amqp-url-password", "AMQP (RabbitMQ) URL with a password", r"(?i:amqps?://)" + _USERINFO, "amqp", H, _A),
        (255, "mssql-url-password", "SQL Server / Oracle / ClickHouse URL with a password",
         r"(?i:(?:mssql|sqlserver|oracle|clickhouse|cockroachdb|couchdb|neo4j(?:\+s)?|cassandra)(?:\+\w+)?://)" + _USERINFO,
         "mssql sqlserver oracle clickhouse cockroachdb couchdb neo4j cassandra", H, _A),
        (256, "jdbc-password", "JDBC URL with a password parameter",
         r"jdbc:[a-z0-9]+:[^\s'\"]*?[;?&](?i:password|pwd)=([^;&\s'\"]{3,128})", "jdbc:", H, _A),
        (257, "odbc-connection-string-password", "ADO.NET/ODBC connection string with a password",
         r"(?i:[\w.-]{0,40}?(?:password|pwd)\s*=\s*)([^;'\"\n]{3,128})(?=\s*;|[\"']|\s*$)",
         "password pwd", H, {"anchored": True, "validator": "odbc"}),
    ],
)  # fmt: skip
