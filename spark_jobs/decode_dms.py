"""AWS DMS Kafka-target JSON -> the same lake columns as spark_jobs.decode.decode_debezium (issue 3 fills this in)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from lakehouse_schemas.contract import TableContract


def decode_dms(records: DataFrame, contract: TableContract) -> DataFrame:
    raise NotImplementedError("DMS decoding is not implemented yet")
