"""Issue 15: stdout carries only a command's own output. SQL printing starts no JVM (pyspark is never
imported), and the driver JVM's stdout noise (Hudi's bundled JOL warning) goes to stderr."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlglot

# Prints on stderr whether pyspark was imported, after the command exits (click exits through SystemExit).
FLAGGED_CLI = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write('PYSPARK_IMPORTED=%s\\n' % ('pyspark' in sys.modules)))\n"
    "from cdc.cli import main\n"
    "main()\n"
)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", FLAGGED_CLI, *args], capture_output=True, text=True, timeout=300, check=False, env=os.environ.copy())


def test_print_sql_athena_prints_exactly_the_sql_without_spark() -> None:
    p = _cli("query", "--print-sql", "--dialect", "athena", "SELECT InvoiceId, Total FROM chinook.invoice WHERE InvoiceId = 1 LIMIT 5")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "SELECT InvoiceId, Total FROM chinook.invoice WHERE InvoiceId = 1 LIMIT 5\n"
    assert "PYSPARK_IMPORTED=False" in p.stderr


def test_print_sql_as_of_reads_the_history_without_spark() -> None:
    p = _cli("query", "--print-sql", "--dialect", "athena", "--as-of", "2025-01-01", "SELECT * FROM chinook.invoice WHERE InvoiceId = 1")
    assert p.returncode == 0, p.stderr
    assert "PYSPARK_IMPORTED=False" in p.stderr
    assert "does not read the lake" in p.stderr
    # stdout is one statement Athena (Trino) parses, nothing before or after it.
    statements = sqlglot.parse(p.stdout, read="athena")
    assert len(statements) == 1 and statements[0] is not None
    assert p.stdout.startswith("SELECT") and "history" in p.stdout


# A JVM call that makes Hudi's JOL size an object: JOL prints its Serviceability Agent warning on System.out.
JOL_PROBE = (
    "from cdc.settings import get_settings\n"
    "from spark_jobs.session import build_session\n"
    "spark = build_session(get_settings(), 'stdout-probe', lambda m: None)\n"
    "jvm = spark.sparkContext._jvm\n"
    "size = jvm.org.apache.hudi.common.util.ObjectSizeCalculator.getObjectSize(jvm.java.util.ArrayList())\n"
    "print('SIZE', size)\n"
    "spark.stop()\n"
)


def test_jvm_stdout_goes_to_stderr() -> None:
    p = subprocess.run([sys.executable, "-c", JOL_PROBE], capture_output=True, text=True, timeout=600, check=False, env=os.environ.copy())
    assert p.returncode == 0, p.stderr[-3000:]
    out = p.stdout.splitlines()
    assert len(out) == 1 and out[0].startswith("SIZE ") and int(out[0].split()[1]) > 0, p.stdout
    # The probe really made the JVM print: the line is on stderr, not lost.
    assert "Serviceability Agent" in p.stderr, p.stderr[-3000:]
