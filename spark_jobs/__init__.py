"""The Spark side: the streaming job that applies change events to Hudi tables, and lake queries.

Runs unchanged under spark-submit locally and on EMR (see README: running on AWS).
"""
