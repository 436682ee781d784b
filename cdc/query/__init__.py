"""As-of query rewrite (sqlglot) and the Athena runner."""
