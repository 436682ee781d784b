"""Seeing replication: the connector exporter, `cdclake status`, and the dashboard and alerts rendered from the contracts
(docs/observe.md)."""
