"""Table operations on Delta Lake, Apache Iceberg and versioned Parquet tables (the ``table`` job).

One module per operation family: :mod:`.formats` (what a target is, how Spark addresses it),
:mod:`.expressions` (SQL checked by Spark's parser and analyzer before any data is touched),
:mod:`.merge` (upsert), :mod:`.modify` (update, delete), :mod:`.history` (history, time travel),
:mod:`.metadata`, :mod:`.maintenance` (compact, vacuum / snapshot expiry) and :mod:`.query`;
:mod:`.outputs` makes the features and validate jobs' outputs Delta or Iceberg table commits.
Every write is one atomic commit of its format: Delta's log entry, Iceberg's metadata swap, or the
pointer of :mod:`spark_jobs.versioned` for Parquet.
"""

from __future__ import annotations
