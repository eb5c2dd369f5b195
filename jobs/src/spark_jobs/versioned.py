"""Versioned outputs: write once into a fresh version, publish it with one atomic pointer write.

Layout of an output ``<output>`` (every name starts with ``_``, so plain Spark readers skip it)::

    <output>/_latest.json                      the pointer: which version is current (one small object)
    <output>/_versions/<version-id>/part-*     the files of one run, written once by the committer
    <output>/_versions/<version-id>/_manifest.json   the same document as the pointer, for that version
    <output>/_versions/<version-id>/_SUCCESS, _encoders.json, _metrics.json ...   side files of the run

A run writes its files through the session's committer (S3A magic committer, EMR's committer, or
the file committer) into a version directory no reader uses yet, then makes it visible with ONE
atomic step: the pointer ``_latest.json`` (version id, its files, row count, schema, created time)
is replaced. On object stores that publish an object on close (``s3a``, ``s3``, ``gs``) that is one
PUT; elsewhere (local files, HDFS) a temporary file next to it is renamed onto it, and a rename of
one file is atomic there. No data file is ever renamed, copied or rewritten to commit.

Readers resolve the pointer and read exactly the files it names, so they see the previous complete
version or the new complete one. Paths in the pointer are relative to ``<output>``, so a copy of the
whole output directory stays readable.

Cleanup (after the pointer is replaced) keeps the current version and the ``keep_versions`` committed
versions before it, and deletes only version directories whose id sorts before the oldest kept one
(ids start with their UTC creation time). So it never deletes the version in use, nor the previous
one that a reader may have resolved an instant before the flip; a reader is safe as long as it
finishes before ``keep_versions`` further commits. Runs that died before publishing leave their
version directory behind; it goes once it falls behind the kept window (incomplete multipart uploads
of a killed S3A job are removed by the bucket's AbortIncompleteMultipartUpload lifecycle rule).
One writer per output at a time: two concurrent writers both publish, the later pointer wins.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

POINTER_FILE = "_latest.json"
VERSIONS_DIR = "_versions"
MANIFEST_FILE = "_manifest.json"
LAYOUT = "spark-deploy/versioned-output/1"
DEFAULT_KEEP_VERSIONS = 2
"""Committed versions kept besides the current one (at least 1: the one a reader may just have resolved)."""
HISTORY_LIMIT = 50
PAUSE_ENV = "SPARK_JOBS_COMMIT_PAUSE_AT"
"""Test hook: ``written`` pauses after the files, before the pointer; ``cleanup`` after one deletion."""
PAUSE_STEPS: tuple[str, ...] = ("written", "cleanup")
PUBLISH_ON_CLOSE_SCHEMES: tuple[str, ...] = ("s3a", "s3", "s3n", "gs")
"""Filesystems whose ``create`` + ``close`` publishes the whole object at once (a single PUT)."""


@dataclass(frozen=True)
class OutputVersion:
    """One committed version of an output, as its pointer/manifest describes it."""

    output: str
    version: str
    files: list[dict[str, Any]]
    """Data files: ``{"path": relative to the output, "size": bytes}``."""
    side_files: list[dict[str, Any]] = field(default_factory=list)
    rows: int | None = None
    schema: str | None = None
    """Spark schema as JSON (``StructType.json()``), None for outputs that are not Parquet tables."""
    data_format: str | None = None
    created: str = ""
    history: list[str] = field(default_factory=list)
    """Committed version ids, newest (this one) first."""

    @property
    def path(self) -> str:
        """The URI of this version's directory."""
        return version_uri(self.output, self.version)

    def uri(self, relative: str) -> str:
        """The URI of a path relative to the output (as the pointer stores it)."""
        return self.output + "/" + relative

    def file_uri(self, name: str) -> str:
        """The URI of a file of this version, e.g. ``_encoders.json`` or ``report.json``."""
        return self.path + "/" + name

    def to_json(self) -> str:
        """The pointer/manifest document (paths relative, so copies of the output stay valid)."""
        doc = asdict(self)
        doc.pop("output")
        return json.dumps({"layout": LAYOUT, **doc}, indent=2)

    @staticmethod
    def from_json(output: str, text: str) -> OutputVersion:
        """Parse a pointer or manifest of ``output``."""
        doc = json.loads(text)
        if doc.get("layout") != LAYOUT:
            raise ValueError(
                f"{output}: {POINTER_FILE} has layout {doc.get('layout')!r}, expected {LAYOUT!r}"
            )
        doc.pop("layout")
        return OutputVersion(output=output, **doc)


def version_uri(output: str, version: str) -> str:
    """``<output>/_versions/<version>``."""
    return output.rstrip("/") + "/" + VERSIONS_DIR + "/" + version


def new_version_id() -> str:
    """A fresh id that sorts by creation time: ``20240301T120000123456Z-1a2b3c4d``."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:8]


def _jvm(spark: SparkSession) -> Any:
    return spark.sparkContext._jvm


def _fs(spark: SparkSession, uri: str) -> tuple[Any, Any]:
    path = _jvm(spark).org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def _read_text(spark: SparkSession, uri: str) -> str | None:
    fs, path = _fs(spark, uri)
    if not fs.exists(path):
        return None
    stream = fs.open(path)
    try:
        return str(_jvm(spark).org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
    finally:
        stream.close()


def _write(fs: Any, path: Any, text: str) -> None:
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def publish(spark: SparkSession, uri: str, text: str) -> None:
    """Replace the small file ``uri`` with ``text`` in one atomic step, never showing a partial file.

    Object stores (:data:`PUBLISH_ON_CLOSE_SCHEMES`): ``create`` + ``close`` is a single PUT, and S3
    shows the old object until the new one is complete. Other filesystems: write a temporary file in
    the same directory and rename it onto ``uri`` (POSIX and HDFS renames of one file are atomic); on
    the local filesystem through the raw filesystem, so no ``.crc`` side file can disagree with it.
    """
    fs, path = _fs(spark, uri)
    scheme = str(fs.getScheme())
    if scheme in PUBLISH_ON_CLOSE_SCHEMES:
        _write(fs, path, text)
        return
    if scheme == "file" and hasattr(fs, "getRawFileSystem"):
        fs = fs.getRawFileSystem()
    tmp = _jvm(spark).org.apache.hadoop.fs.Path(path.getParent(), f".{path.getName()}.{uuid.uuid4().hex}.tmp")
    try:
        _write(fs, tmp, text)
        if not fs.rename(tmp, path):
            raise OSError(f"could not rename {tmp.toString()} onto {uri}")
    finally:
        if fs.exists(tmp):
            fs.delete(tmp, False)


def pause_point(step: str) -> None:
    """Test hook: when ``SPARK_JOBS_COMMIT_PAUSE_AT`` names ``step``, announce it and wait to be killed."""
    if os.environ.get(PAUSE_ENV) != step:
        return
    print(f"COMMIT PAUSED AT {step}", file=sys.stderr, flush=True)  # spark-submit: into its stdout
    while True:
        time.sleep(60)


def current_version(spark: SparkSession, output: str) -> OutputVersion | None:
    """The version the pointer names, or None when ``output`` is not a versioned output."""
    output = output.rstrip("/")
    text = _read_text(spark, output + "/" + POINTER_FILE)
    return None if text is None else OutputVersion.from_json(output, text)


def version_info(spark: SparkSession, output: str, version: str) -> OutputVersion:
    """The manifest of a committed version (FileNotFoundError naming the versions there if absent)."""
    output = output.rstrip("/")
    text = _read_text(spark, version_uri(output, version) + "/" + MANIFEST_FILE)
    if text is None:
        raise FileNotFoundError(
            f"{output}: no committed version {version!r}; "
            f"committed versions kept: {list_versions(spark, output)}"
        )
    return OutputVersion.from_json(output, text)


def list_versions(spark: SparkSession, output: str) -> list[str]:
    """Committed versions still on storage, newest first (the current one first)."""
    pointer = current_version(spark, output)
    if pointer is None:
        return []
    present = set(_version_dirs(spark, output.rstrip("/")))
    return [v for v in pointer.history if v in present]


def read_version(spark: SparkSession, output: str, version: str | None = None) -> DataFrame:
    """Read the Parquet files of one version (the current one when ``version`` is None)."""
    info = current_version(spark, output) if version is None else version_info(spark, output, version)
    if info is None:
        raise FileNotFoundError(f"{output}: no {POINTER_FILE}; not a versioned output")
    return read_files(spark, info)


def read_files(spark: SparkSession, info: OutputVersion) -> DataFrame:
    """Exactly the data files ``info`` names, with its recorded schema (no listing, no inference)."""
    if info.data_format != "parquet" or info.schema is None:
        raise ValueError(
            f"{info.output}: version {info.version} holds {info.data_format!r} files, not a table"
        )
    schema = StructType.fromJson(json.loads(info.schema))
    if not info.files:
        return spark.createDataFrame([], schema)
    reader = spark.read.schema(schema).option("basePath", info.path)
    return reader.parquet(*[info.uri(f["path"]) for f in info.files])


def _list_files(spark: SparkSession, root: str) -> list[tuple[str, int]]:
    fs, path = _fs(spark, root)
    if not fs.exists(path):
        return []
    prefix = str(fs.makeQualified(path).toString()).rstrip("/") + "/"
    found = []
    it = fs.listFiles(path, True)
    while it.hasNext():
        status = it.next()
        full = str(status.getPath().toString())
        rel = full[len(prefix) :] if full.startswith(prefix) else str(status.getPath().getName())
        found.append((rel, int(status.getLen())))
    return sorted(found)


def _version_dirs(spark: SparkSession, output: str) -> list[str]:
    fs, path = _fs(spark, output + "/" + VERSIONS_DIR)
    if not fs.exists(path):
        return []
    return sorted(str(s.getPath().getName()) for s in fs.listStatus(path) if s.isDirectory())


def _describe(
    spark: SparkSession, output: str, version: str, data_format: str | None, history: list[str]
) -> OutputVersion:
    """List what the run wrote into its version and describe it (rows and schema from Parquet footers)."""
    files: list[dict[str, Any]] = []
    side: list[dict[str, Any]] = []
    for rel, size in _list_files(spark, version_uri(output, version)):
        parts = rel.split("/")
        if any(p.startswith(".") for p in parts):
            continue  # checksum and temporary files of the local filesystem
        (side if any(p.startswith("_") for p in parts) else files).append({"path": rel, "size": size})
    base = VERSIONS_DIR + "/" + version + "/"
    files = [{"path": base + f["path"], "size": f["size"]} for f in files]
    side = [{"path": base + f["path"], "size": f["size"]} for f in side]
    rows = schema = None
    if data_format == "parquet":
        uris = [output + "/" + f["path"] for f in files]
        table = spark.read.option("basePath", version_uri(output, version)).parquet(*uris) if uris else None
        schema = table.schema.json() if table is not None else None
        rows = table.count() if table is not None else 0
    return OutputVersion(
        output=output,
        version=version,
        files=files,
        side_files=side,
        rows=rows,
        schema=schema,
        data_format=data_format,
        created=datetime.now(timezone.utc).isoformat(),
        history=history,
    )


def check_keep_versions(keep_versions: int) -> int:
    """``keep_versions`` if it is an integer >= 1, else a ValueError naming it."""
    if isinstance(keep_versions, bool) or not isinstance(keep_versions, int) or keep_versions < 1:
        raise ValueError(
            f"keep_versions must be an integer >= 1 (the version before the current one may still be "
            f"read), got {keep_versions!r}"
        )
    return keep_versions


def commit_version(
    spark: SparkSession,
    output: str,
    write: Callable[[str], None],
    *,
    data_format: str | None = "parquet",
    keep_versions: int = DEFAULT_KEEP_VERSIONS,
) -> OutputVersion:
    """Run ``write(version_dir)`` into a fresh version of ``output``, publish it, then clean up.

    ``write`` writes the run's files once (e.g. ``df.write.parquet(version_dir)`` through the
    session's committer, plus side files). If it fails, its version directory is removed and the
    pointer, hence what readers see, is untouched. ``data_format="parquet"`` records the row count
    and schema of the Parquet files (from their footers); ``None`` for outputs of other files (a
    JSON report). Returns the published version.
    """
    check_keep_versions(keep_versions)
    output = output.rstrip("/")
    previous = current_version(spark, output)
    version = new_version_id()
    target = version_uri(output, version)
    try:
        write(target)
    except BaseException:
        fs, path = _fs(spark, target)
        if fs.exists(path):
            fs.delete(path, True)
        raise
    pause_point("written")
    history = [version, *(previous.history if previous else [])][:HISTORY_LIMIT]
    info = _describe(spark, output, version, data_format, history)
    manifest = info.to_json()
    fs, manifest_path = _fs(spark, target + "/" + MANIFEST_FILE)
    _write(fs, manifest_path, manifest)
    publish(spark, output + "/" + POINTER_FILE, manifest)  # the one step that makes it visible
    cleanup(spark, output, info, keep_versions)
    return info


def cleanup(spark: SparkSession, output: str, current: OutputVersion, keep_versions: int) -> list[str]:
    """Delete version directories older than the kept window (see the module docstring); returns them."""
    check_keep_versions(keep_versions)
    kept = current.history[: keep_versions + 1]
    oldest_kept = min(kept)
    doomed = [v for v in _version_dirs(spark, output) if v < oldest_kept and v not in kept]
    for i, version in enumerate(doomed):
        fs, path = _fs(spark, version_uri(output, version))
        fs.delete(path, True)
        if i == 0:
            pause_point("cleanup")
    return doomed
