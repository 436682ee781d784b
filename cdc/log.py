"""The one progress-callback type: a function taking one line (the CLI prints it on stderr, tests collect it)."""

from __future__ import annotations

from collections.abc import Callable

Log = Callable[[str], None]
