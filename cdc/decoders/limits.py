"""Limits every decoder applies before and after parsing a message, so no input can exhaust the stack,
the CPU or memory, or carry text that cannot be written back out.

Both decoders call ``parse_limited``; it returns the parsed document or a one-line reason. The
limits are far above anything Debezium or DMS sends (a change event nests about 10 levels deep;
Kafka's default message limit is 1 MB) and low enough that the slowest input decodes in well
under a second.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MAX_MESSAGE_BYTES = 8 * 1024 * 1024
MAX_JSON_DEPTH = 64
# Python refuses longer integer text itself (sys.int_info.default_max_str_digits); a change event never needs more.
MAX_NUMBER_DIGITS = 4000

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]")
_INNERMOST = re.compile(r"\[\]|\{\}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONG_NUMBER = re.compile(rf"[0-9]{{{MAX_NUMBER_DIGITS + 1}}}")


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON ``text`` nests deeper than ``limit`` (without recursing: each pass strips the innermost level)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(limit):
        shorter = _INNERMOST.sub("", brackets)
        if shorter == brackets:
            # Only unmatched brackets are left (truncated or broken text): too deep if a parser would open more than the limit.
            return sum(brackets.count(c) for c in "[{") > limit
        brackets = shorter
    return bool(brackets)


def has_lone_surrogate(doc: Any) -> bool:
    """Whether any string (or key) in a parsed document holds a UTF-16 surrogate that UTF-8 cannot encode."""
    stack = [doc]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if not v.isascii():
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def parse_limited(raw: bytes | bytearray | str, loads: Callable[[str], Any]) -> tuple[Any, str | None]:
    """``(document, None)``, or ``(None, reason)`` when the message breaks a limit or is not UTF-8 JSON."""
    size = len(raw)
    if size > MAX_MESSAGE_BYTES:
        return None, f"message of {size} bytes is larger than the limit of {MAX_MESSAGE_BYTES}"
    if isinstance(raw, bytes | bytearray):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}"
    elif isinstance(raw, str):
        text = raw
    else:
        return None, f"a {type(raw).__name__}, not JSON bytes or text"
    if too_deep(text):
        return None, f"JSON nests deeper than {MAX_JSON_DEPTH} levels"
    if _LONG_NUMBER.search(_STRING.sub("", text)):
        return None, f"a JSON number has more than {MAX_NUMBER_DIGITS} digits"
    try:
        doc = loads(text)
    except (ValueError, TypeError, RecursionError) as exc:
        return None, f"not valid JSON ({str(exc)[:120]})"
    if (not isinstance(raw, bytes | bytearray) or _SURROGATE_ESCAPE.search(text)) and has_lone_surrogate(doc):
        return None, "a string holds a lone UTF-16 surrogate (not encodable as UTF-8)"
    return doc, None
