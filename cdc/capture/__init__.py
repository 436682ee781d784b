"""Capture tools: render and register what Debezium (Kafka Connect / MSK Connect) or AWS DMS needs."""
