"""One SparkSession for the whole pytest run, tuned for fast local tests, and the fixtures all tests share."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pyspark
import pytest
from pyspark.sql import SparkSession

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLE_EXTENSIONS = ",".join(
    [
        "io.delta.sql.DeltaSparkSessionExtension",
        "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
    ]
)


def table_jars() -> list[str]:
    """The Delta and Iceberg jars of this Spark line (scripts/fetch-table-jars.sh), [] when not fetched."""
    line = ".".join(pyspark.__version__.split(".")[:2])
    root = Path(os.environ.get("TABLE_JARS_DIR", REPO_ROOT / ".tools" / "table-jars")) / line
    return sorted(str(p) for p in root.glob("*.jar")) if root.is_dir() else []


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """A local[2] session: 2 shuffle partitions, no UI, small retained history.

    ANSI mode follows the Spark line's own default (on in 4.0, off in 3.5), so the
    suite exercises exactly what EMR runs. With the table-format jars fetched, Delta's and Iceberg's
    SQL extensions are on (as spark-deploy renders them for a job with a table format); the table
    tests fail, naming the fetch command, without them.
    """
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)  # type: ignore[attr-defined]
    warehouse: Path = tmp_path_factory.mktemp("warehouse")
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("spark-jobs-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.memory", "2g")
        .config("spark.sql.session.timeZone", "UTC")
    )
    jars = table_jars()
    if jars:
        builder = (
            builder.config("spark.jars", ",".join(jars))
            .config("spark.sql.extensions", TABLE_EXTENSIONS)
            .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
            # Test-sized tables: Delta rebuilds its snapshot state in 50 partitions by default.
            .config("spark.databricks.delta.snapshotPartitions", "2")
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def sql_conf(spark: SparkSession) -> Callable[[dict[str, str]], AbstractContextManager[None]]:
    """Temporarily set runtime SQL settings on the shared session, restoring them on exit."""

    @contextmanager
    def change(settings: dict[str, str]) -> Iterator[None]:
        previous = {key: spark.conf.get(key, None) for key in settings}
        try:
            for key, value in settings.items():
                spark.conf.set(key, value)
            yield
        finally:
            for key, value in previous.items():
                if value is None:
                    spark.conf.unset(key)
                else:
                    spark.conf.set(key, value)

    return change


def file_digests(root: Path) -> dict[str, str]:
    """Every file below ``root`` (relative path) with the SHA-1 of its bytes; {} when ``root`` is absent."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def unchanged() -> Callable[[Path], AbstractContextManager[None]]:
    """``with unchanged(output): <a run that must not commit>`` asserts that every file below
    ``output`` (names and bytes) is as it was before the block: the previous output untouched, and
    nothing added (no stray version, run or temporary files)."""

    @contextmanager
    def check(root: Path) -> Iterator[None]:
        before = file_digests(root)
        yield
        after = file_digests(root)
        added = sorted(set(after) - set(before))
        changed = sorted(k for k in before if after.get(k) != before[k])
        assert not added and not changed, f"{root} changed: added {added[:5]}, changed/removed {changed[:5]}"

    return check
