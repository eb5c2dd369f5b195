"""Write metrics as JSON or CSV to a local path or any Hadoop URI (s3a://, hdfs://, ...)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pyspark import SparkContext

from spark_jobs.io import write_text_with_context

SUPPORTED_FORMATS = ("json", "csv")


def format_for_path(path: str, fmt: str | None = None) -> str:
    """``fmt`` if given, else the path's extension; only json and csv are allowed."""
    if fmt is None:
        file_name = path.rstrip("/").rsplit("/", 1)[-1]
        fmt = file_name.rsplit(".", 1)[-1] if "." in file_name else ""
    chosen = fmt.lower()
    if chosen not in SUPPORTED_FORMATS:
        raise ValueError(
            f"export format: cannot write metrics to path={path!r} with format={fmt!r}; "
            f"allowed formats are {', '.join(SUPPORTED_FORMATS)} (given explicitly or as the file extension)"
        )
    return chosen


def stages_to_csv(rows: list[dict[str, Any]]) -> str:
    """One CSV line per row; the header is the union of keys in first-seen order."""
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    return value


def to_json(document: Any) -> str:
    """Stable, readable JSON."""
    return json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"


def write_text(sc: SparkContext, path: str, text: str) -> str:
    """Write ``text`` (UTF-8) to ``path`` and return the path.

    Paths without a scheme, or with ``file:``, are written by Python. Any other scheme goes
    through the driver's Hadoop FileSystem API, so s3a:// uses the job's own S3A settings
    and credentials.
    """
    scheme = urlparse(path).scheme
    if scheme in ("", "file"):
        local = Path(urlparse(path).path if scheme == "file" else path)
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(text, encoding="utf-8")
        return path
    return write_text_with_context(sc, path, text)
