"""Capture side of cdclake: the change-event model, decoders, source checks and the local stack.

Nothing under ``cdc`` imports pyspark: the CLI, the dead-letter tools and the tests
use it without a JVM.
"""

__version__ = "0.1.0"
