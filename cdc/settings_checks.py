"""Checks of single settings values, and one line per bad environment variable when they fail.

The settings model (``cdc.settings``) attaches these checks to its fields; a failure is reported
by the variable the user set (``CDCLAKE_SOURCE__PORT``), not by pydantic's model path, because the
variable is what the user has to fix.
"""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from cdc.errors import ConfigError

PORT_RANGE = (1, 65535)
ACCOUNT_ID_RE = re.compile(r"^[0-9]{12}$")
# arn:partition:service:region:account-id:resource (region and account empty for global services such as S3).
ARN_RE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):[a-z0-9-]+:([a-z]{2}(-gov)?-[a-z]+-[0-9])?:([0-9]{12})?:.+$")
REGION_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
# MySQL unquoted identifiers, as Debezium's include lists and our topic names need them.
IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9_$]{1,64}$")
# Kafka topic names allow [A-Za-z0-9._-]; the prefix is the first part of every change topic.
TOPIC_PREFIX_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$")
# Long enough to recognise a value, short enough that one line stays one line.
SHOWN_INPUT_CHARS = 60


def check_port(value: Any) -> int:
    lo, hi = PORT_RANGE
    try:
        n = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        n = None
    if n is None or str(value).strip() != str(n) or not lo <= n <= hi:
        raise ValueError(f"must be a TCP port number {lo}..{hi}")
    return n


def check_account_id(value: str) -> str:
    if not ACCOUNT_ID_RE.match(value):
        raise ValueError("must be a 12-digit AWS account id, e.g. 123456789012")
    return value


def check_arn(value: str) -> str:
    if not ARN_RE.match(value):
        raise ValueError("must be an ARN: arn:<aws|aws-cn|aws-us-gov>:<service>:<region>:<12-digit account>:<resource>")
    return value


def check_region(value: str) -> str:
    if not REGION_RE.match(value):
        raise ValueError("must be an AWS region name such as us-east-1 or eu-west-1")
    return value


def check_identifier(value: str) -> str:
    if not IDENTIFIER_RE.match(value):
        raise ValueError("must be a database name of 1..64 letters, digits, _ or $")
    return value


def check_topic_prefix(value: str) -> str:
    if not TOPIC_PREFIX_RE.match(value):
        raise ValueError("must be a Kafka topic prefix of 1..200 letters, digits, '.', '_' or '-' (not starting with '.')")
    return value


def env_name(loc: tuple[Any, ...], model: type[BaseModel], prefix: str) -> tuple[str, bool]:
    """The environment variable of an error location, and whether the field holds a secret."""
    parts: list[str] = []
    current: Any = model
    secret = False
    for item in loc:
        fields = getattr(current, "model_fields", None)
        if not isinstance(item, str) or not fields or item not in fields:
            break  # a list index or dict key below a field: the variable is the field's
        parts.append(item)
        info = fields[item]
        secret = "SecretStr" in str(info.annotation) or info.annotation is SecretStr
        current = next((a for a in getattr(info.annotation, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)), info.annotation)
    return prefix + "__".join(p.upper() for p in parts), secret


def _reason(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def settings_error(exc: ValidationError, model: type[BaseModel], prefix: str) -> ConfigError:
    """One line per bad variable: ``CDCLAKE_SOURCE__PORT='abc': must be a TCP port number 1..65535``."""
    lines: dict[str, str] = {}
    for e in exc.errors():
        name, secret = env_name(tuple(e["loc"]), model, prefix)
        if name in lines:
            continue
        shown = "" if secret else f"={str(e.get('input'))[:SHOWN_INPUT_CHARS]!r}"
        lines[name] = f"{name}{shown}: {_reason(e['msg'])}"
    bad = list(lines)
    return ConfigError(
        "invalid settings: " + "; ".join(lines.values()),
        next_step=f"fix or unset {', '.join(bad)} (docs: README.md, Settings)",
        variables=bad,
    )


def settings_parse_error(exc: Exception, prefix: str) -> ConfigError:
    """pydantic-settings could not parse a variable of a nested field (a list or dict that is not JSON)."""
    m = re.search(r'field "([^"]+)"', str(exc))
    field = (m.group(1) if m else "").upper()
    suspects = sorted(k for k in os.environ if field and k.upper().startswith(f"{prefix}{field}"))
    named = ", ".join(suspects) or f"a {prefix}{field or '...'} variable"
    return ConfigError(
        f"invalid settings: {named} is not valid JSON for its list or mapping field",
        next_step='give it a JSON value (e.g. ["a","b"] or {"k":["v"]}) or unset it',
        variables=suspects,
    )
