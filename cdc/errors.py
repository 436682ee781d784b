"""A shallow error hierarchy. Every error keeps its inputs as attributes and says what to do next.

``TerminalError``: retrying the same thing will fail again (fix config, data or contract first).
``TransientError``: the same call may succeed later (a server still starting, a network blip).
"""

from __future__ import annotations

from typing import Any


class CdcLakeError(Exception):
    """Base of every error raised on purpose by this project."""

    next_step: str = ""

    def __init__(self, message: str, *, next_step: str | None = None, **inputs: Any) -> None:
        self.inputs = inputs
        for k, v in inputs.items():
            setattr(self, k, v)
        if next_step is not None:
            self.next_step = next_step
        full = message if not self.next_step else f"{message}\n  next step: {self.next_step}"
        super().__init__(full)


class TerminalError(CdcLakeError):
    """Will not succeed on retry."""


class TransientError(CdcLakeError):
    """May succeed on retry."""


class ConfigError(TerminalError):
    """Settings or contracts are missing or inconsistent."""


class ContractError(ConfigError):
    """A table contract is invalid or does not match the source."""


class DecodeError(TerminalError):
    """A change message cannot be decoded. Carries topic/partition/offset where known."""

    reason: str  # set from the keyword inputs by CdcLakeError

    def __init__(
        self,
        reason: str,
        *,
        table: str | None = None,
        key: Any = None,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> None:
        where = ", ".join(
            f"{n}={v}"
            for n, v in (("table", table), ("key", key), ("topic", topic), ("partition", partition), ("offset", offset))
            if v is not None
        )
        super().__init__(
            f"cannot decode change message ({where or 'no location'}): {reason}",
            next_step="inspect it with `cdclake events decode`; fix the contract or the connector settings",
            reason=reason,
            table=table,
            key=key,
            topic=topic,
            partition=partition,
            offset=offset,
        )


class SourceCheckError(TerminalError):
    """The source database does not meet the CDC prerequisites."""


class ServerStartError(TerminalError):
    """A local stack server did not become healthy. Carries the tail of its log."""


class ToolMissingError(TerminalError):
    """A program the stack needs (java, mvn, go, mariadbd) is not installed."""


class ServerUnavailable(TransientError):
    """A server is not reachable right now."""


class ReplicationTimeout(TransientError):
    """Replication did not catch up within the allowed time."""
