"""Reading a contract file with limits: no input may stop the job that re-reads the folder, or take
more than a fraction of a second and a few MB.

A contract is a short, flat document: it never needs YAML anchors or aliases (an alias bomb expands
a 1 KB file into gigabytes), more than a few levels of nesting (PyYAML's composer recurses per level),
or more than a few KB. The file's events are checked with PyYAML's iterative parser before any
document is built.
"""

from __future__ import annotations

import yaml

MAX_CONTRACT_BYTES = 256 * 1024
MAX_CONTRACT_DEPTH = 16


class UnsafeYaml(ValueError):
    """The file breaks a limit or is not UTF-8 YAML; the message says which and where."""


def load_limited(data: bytes) -> object:
    """The YAML document in ``data``; UnsafeYaml when it breaks a limit, yaml.YAMLError when it does not parse."""
    if len(data) > MAX_CONTRACT_BYTES:
        raise UnsafeYaml(f"{len(data)} bytes is larger than the limit of {MAX_CONTRACT_BYTES} for a contract file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeYaml(f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} (save the file as UTF-8)") from None
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            mark = event.start_mark
            raise UnsafeYaml(f"YAML anchors and aliases are not allowed in a contract (line {mark.line + 1 if mark else '?'})")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_CONTRACT_DEPTH:
                mark = event.start_mark
                raise UnsafeYaml(f"nests deeper than {MAX_CONTRACT_DEPTH} levels (line {mark.line + 1 if mark else '?'})")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return yaml.safe_load(text)
