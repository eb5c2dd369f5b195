"""The errors of the job package: one root, :class:`SparkJobsError`, with three kinds under it.

Every entry point maps each of them to exit code 2 and one line naming the problem (nothing written,
the previous output intact); any other exception is a bug and exits 1 with its traceback.

- :class:`InputError`: the data or an argument cannot be used (missing or mistyped column, no rows,
  an unreadable or corrupt file, a value out of range).
- :class:`SpecError`: a feature spec (or another declarative document) is invalid.
- :class:`ConfigurationError`: the runtime lacks what the run asks for (e.g. Delta Lake not on the
  classpath for ``--output-format delta``).

They also derive from :class:`ValueError`, which the older names (``FeatureInputError``,
``FeatureSpecError``, ``InputDataError``) always were, so existing ``except ValueError`` code keeps working.
"""

from __future__ import annotations

import re


class SparkJobsError(Exception):
    """The root of every error the jobs raise on purpose; entry points exit 2 with its message."""


class InputError(SparkJobsError, ValueError):
    """The input data or an argument cannot be used."""


class SpecError(SparkJobsError, ValueError):
    """A specification document is invalid."""


class ConfigurationError(SparkJobsError, ValueError):
    """The runtime or its configuration lacks what the run needs."""


# What Spark and parquet-mr say when a file cannot be read (footer, magic number, pages, checksums).
_READ_FAILURE_MARKERS = (
    "FAILED_READ_FILE",
    "CANNOT_READ_FILE_FOOTER",
    "Encountered error while reading file",
    "Could not read footer",
    "is not a Parquet file",
    "ParquetDecodingException",
    "org.apache.parquet",
)
_URI = re.compile(r"((?:file|s3a?|s3n|hdfs|gs|abfss?|wasbs?):/+[^\s,;'\"\]\)}]+)")
_CAUSE = re.compile(r"^Caused by: ([\w.$]+): (.*)$", re.MULTILINE)
_LOST_TASK = re.compile(r"most recent failure: Lost task [^:]*\): ([\w.$]+): (.*)$", re.MULTILINE)
# Wrappers that say where, not why: skipped when looking for the reader's reason.
_WRAPPERS = (
    "Exception thrown in awaitResult",
    "Encountered error while reading file",
    "Could not read footer",
)


def unreadable_file_error(exc: BaseException) -> InputError | None:
    """An :class:`InputError` naming the file and the reader's reason, if ``exc`` is Spark failing to read it.

    Spark reports a corrupt Parquet file as a Java exception (from the read's footer pass or from the
    first action that scans it) whose text is a stack trace; this keeps the file's URI and the
    innermost cause that is not a wrapper (e.g. ``RuntimeException: ... is not a Parquet file.
    Expected magic number at tail, but found [...]``). Returns None for anything else.
    """
    text = str(exc)
    if not any(marker in text for marker in _READ_FAILURE_MARKERS):
        return None
    causes = [(cls, msg.strip()) for cls, msg in _CAUSE.findall(text)]
    causes += [(cls, msg.strip()) for cls, msg in _LOST_TASK.findall(text)]
    reasons = [
        f"{cls.rsplit('.', 1)[-1]}: {msg}"
        for cls, msg in causes
        if not any(w in msg for w in _WRAPPERS) and not msg.startswith("[")
    ]
    where = _URI.search(text)
    path = where.group(1).rstrip(".") if where else "(unknown file)"
    reason = reasons[0] if reasons else "the file is corrupt or not in the expected format"
    return InputError(f"cannot read input file {path}: {reason}")
