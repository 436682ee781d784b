"""Envelope checks of the native Debezium decoder: what ``cdc.decoders.debezium`` refuses before it
converts values, built from Spark functions (no Python UDF), so the stream dead-letters the same inputs
instead of decoding them into a broken ordering key or silently replaced text.

``from_json`` cannot tell these apart: a 30-digit or negative ``source.pos`` casts to null or a
negative long (then ``coalesce(pos, 0)`` or a wider-than-fixed key), bytes that are not UTF-8 and lone
surrogate escapes become replacement characters, a number in ``source.file`` reads as text. So the
checks read the source block's JSON text (``get_json_object``) and the raw bytes.
"""

from __future__ import annotations

from pyspark.sql import Column as SparkColumn
from pyspark.sql import functions as F

from cdc import events as ev
from cdc.decoders.debezium import MAX_FILE_NAME, TS_MS_RANGE
from cdc.decoders.limits import MAX_JSON_DEPTH

# A JSON field's token in compact JSON text (get_json_object re-serialises objects compactly).
_TOKEN = '"{name}":("(?:[^"\\\\]|\\\\.)*"|[^,}}]*)'
_TEXT_TOKEN = r'^(null|".*")?$'
# A lone UTF-16 surrogate escape: a high one not followed by a low one, or a low one without a high one before it.
LONE_SURROGATE_RE = r"(?i)\\u(d[89ab][0-9a-f]{2})(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}"
NON_FINITE_POSITION_RE = r'"(pos|row|ts_ms)"\s*:\s*[-+]?(NaN|Infinity|INF)'
# More consecutive opening brackets than the Python decoder's depth limit (deeper than Jackson's own limit fails to parse).
DEEP_RE = rf"([\[{{]\s*){{{MAX_JSON_DEPTH + 1}}}"


def _token(text: SparkColumn, name: str) -> SparkColumn:
    return F.regexp_extract(text, _TOKEN.format(name=name), 1)


def _bounded(token: SparkColumn, digits: int, lo: int, hi: int) -> SparkColumn:
    """True when the token is absent, null, or an integer within lo..hi (compared as an exact decimal)."""
    n = token.cast(f"decimal({digits + 1},0)")
    in_range = token.rlike(rf"^-?[0-9]{{1,{digits}}}$") & (n >= F.lit(lo)) & (n <= F.lit(hi))
    return token.isin("", "null") | F.coalesce(in_range, F.lit(False))


def _not_utf8(b: SparkColumn) -> SparkColumn:
    # Decoding replaces malformed bytes with U+FFFD: the round trip differs exactly when the bytes are not UTF-8.
    return b.isNotNull() & (F.encode(F.decode(b, "UTF-8"), "UTF-8") != b)


# What the checks read, computed once per record in projections of their own. Inside a chain of
# ``when`` conditions Spark evaluates a repeated expression again for every condition that uses it
# (only always-evaluated subexpressions are shared), so one JSON path read ten times costs ten parses
# of the whole value; a column of its own is read once (CollapseProject keeps a costly column that
# is referenced more than once). Same expressions, same results; the decoder drops these columns.
_TEXT, _SOURCE, _TXN, _FILE = "_env_text", "_env_source", "_env_txn", "_env_file"
_TOKENS = ("pos", "row", "ts_ms", "db", "table", "file", "gtid")
_TXN_ID = "_env_txn_id"
ENVELOPE_COLUMNS = (_TEXT, _SOURCE, _TXN, _FILE, _TXN_ID, *(f"_env_tok_{n}" for n in _TOKENS))


def envelope_parts(value: SparkColumn) -> list[SparkColumn]:
    """First projection: the value as text and its source and transaction blocks (JSON text)."""
    text = value.cast("string")
    return [
        text.alias(_TEXT),
        F.coalesce(F.get_json_object(text, "$.payload.source"), F.get_json_object(text, "$.source")).alias(_SOURCE),
        F.coalesce(F.get_json_object(text, "$.payload.transaction"), F.get_json_object(text, "$.transaction")).alias(_TXN),
    ]


def envelope_tokens() -> list[SparkColumn]:
    """Second projection (over ``envelope_parts``): the source fields' tokens and the binlog file name."""
    source = F.col(_SOURCE)
    return [
        *(_token(source, n).alias(f"_env_tok_{n}") for n in _TOKENS),
        F.get_json_object(source, "$.file").alias(_FILE),
        _token(F.col(_TXN), "id").alias(_TXN_ID),
    ]


def envelope_error(value: SparkColumn, key: SparkColumn) -> SparkColumn:
    """The reason a Debezium record breaks an envelope limit, or null (over ``envelope_tokens``' columns)."""
    text, source = F.col(_TEXT), F.col(_SOURCE)
    tok = {n: F.col(f"_env_tok_{n}") for n in _TOKENS}
    pos, row, ts_ms = tok["pos"], tok["row"], tok["ts_ms"]
    file = F.col(_FILE)
    file_index = F.regexp_extract(file, ev.BINLOG_INDEX_RE, 1)
    reason = F.when(_not_utf8(value), F.lit("value is not UTF-8")).when(_not_utf8(key), F.lit("key is not UTF-8"))
    reason = reason.when(text.rlike(LONE_SURROGATE_RE), F.lit("value: a string holds a lone UTF-16 surrogate (not encodable as UTF-8)"))
    reason = reason.when(text.rlike(DEEP_RE), F.lit(f"value: JSON nests deeper than {MAX_JSON_DEPTH} levels"))
    reason = reason.when(source.isNotNull() & ~source.startswith("{"), F.lit("source block is not an object"))
    # get_json_object cannot read NaN/Infinity (from_json can, as a null long): name them before the token checks.
    reason = reason.when(text.rlike(NON_FINITE_POSITION_RE), F.lit("source.pos, row or ts_ms is not an integer (NaN or Infinity)"))
    for name in ("db", "table", "file", "gtid"):
        reason = reason.when(~tok[name].rlike(_TEXT_TOKEN), F.lit(f"source.{name} is not text"))
    reason = reason.when(~F.col(_TXN_ID).rlike(_TEXT_TOKEN), F.lit("transaction.id is not text"))
    reason = reason.when(~_bounded(pos, 19, 0, ev.MAX_POS), F.concat(F.lit(f"source.pos is outside 0..{ev.MAX_POS}: "), F.substring(pos, 1, 40)))
    reason = reason.when(~_bounded(row, ev.ROW_WIDTH, 0, ev.MAX_ROW), F.concat(F.lit(f"source.row is outside 0..{ev.MAX_ROW}: "), F.substring(row, 1, 40)))
    lo, hi = TS_MS_RANGE
    reason = reason.when(~_bounded(ts_ms, 15, lo, hi), F.concat(F.lit(f"source.ts_ms is outside {lo}..{hi}: "), F.substring(ts_ms, 1, 40)))
    reason = reason.when(
        (F.length(file) > MAX_FILE_NAME) | (F.length(file_index) > ev.FILE_INDEX_WIDTH),
        F.lit(f"source.file is longer than {MAX_FILE_NAME} or its index is outside 0..{ev.MAX_FILE_INDEX}"),
    )
    return reason
