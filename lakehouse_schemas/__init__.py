"""Declarative table contracts: keys, ordering, partitioning, types, PII and access domain per source table."""

from lakehouse_schemas.contract import Column, TableContract, load_contracts

__all__ = ["Column", "TableContract", "load_contracts"]
