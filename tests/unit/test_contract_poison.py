"""Issue 15: a poisoned contract folder is a ContractError naming the file, and the streaming job's
reloader keeps the last good contracts and logs why; no file takes long or much memory to refuse."""

from __future__ import annotations

import shutil
import time
import tracemalloc
from pathlib import Path

import pytest

from cdc.errors import ContractError
from lakehouse_schemas.contract import contracts_dir, load_contracts
from lakehouse_schemas.safe_yaml import MAX_CONTRACT_BYTES
from spark_jobs.stream import contract_reloader

GENRE_YAML = (contracts_dir("chinook") / "genre.yaml").read_bytes()
ALIAS_BOMB = b"a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + b"".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n".encode()
    for i in range(9)
)

# (file content, words the error must contain)
POISON = {
    "latin-1-byte": (GENRE_YAML.replace(b"Genre", "Génre".encode("latin-1"), 1), "not UTF-8"),
    "nested-3000-flow": (b"a: " + b"[" * 3000 + b"]" * 3000 + b"\n", "deeper than"),
    "nested-500-block": (b"".join(b" " * i + b"k:\n" for i in range(500)) + b" " * 500 + b"v\n", "deeper than"),
    "alias-bomb": (ALIAS_BOMB, "aliases are not allowed"),
    "one-anchor": (GENRE_YAML + b"x: &y 1\n", "aliases are not allowed"),
    "too-big": (GENRE_YAML + b"#" + b"x" * MAX_CONTRACT_BYTES + b"\n", "larger than the limit"),
    "binary": (bytes(range(256)), "not UTF-8"),
    "not-yaml": (b"source: [unclosed\n", "invalid contract"),
    "a-list": (b"- 1\n- 2\n", "invalid contract"),
}


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "chinook"
    shutil.copytree(contracts_dir("chinook"), d)
    return d


@pytest.mark.parametrize("name", list(POISON))
def test_poisoned_file_is_one_contract_error_naming_the_file(tmp_path, name):
    content, needle = POISON[name]
    d = _folder(tmp_path)
    (d / "Poison.yaml").write_bytes(content)
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(ContractError) as ei:
            load_contracts(directory=d)
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    msg = str(ei.value)
    assert "Poison.yaml" in msg and needle in msg, msg
    print(f"\n{name}: refused in {elapsed:.3f} s, peak {peak / 2**20:.1f} MB")


@pytest.mark.parametrize("name", list(POISON))
def test_reloader_keeps_last_good_contracts_and_logs_why(tmp_path, name):
    content, needle = POISON[name]
    d = _folder(tmp_path)
    logged: list[str] = []
    load = contract_reloader(d, log=logged.append)
    good = load()
    assert {c.table for c in good} >= {"Genre", "Invoice"}
    (d / "genre.yaml").write_bytes(content)
    assert load() == good  # the job goes on with the last good contracts
    assert len(logged) == 1 and "keeping the previous ones" in logged[0] and needle in logged[0], logged
    assert load() == good and len(logged) == 1  # the same problem is logged once
    (d / "genre.yaml").write_bytes(GENRE_YAML)
    assert load() == good  # fixed: loads again


def test_the_unpoisoned_folder_loads(tmp_path):
    d = _folder(tmp_path)
    assert len(load_contracts(directory=d)) == len(load_contracts("chinook"))
