"""One SparkSession for the whole pytest run, tuned for fast local tests, and the fixtures all tests share."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


LOCAL_S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local-test-key",
    "AWS_SECRET_ACCESS_KEY": "local-test-secret",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}
"""The local S3 server's dummy credentials (as test/local/support/local-s3.ts): they reach the JVM
through its environment only, where the rendered credentials provider chain reads them."""
S3A_JAR_PREFIXES = ("hadoop-aws-", "spark-hadoop-cloud_")
"""Two of the three S3A jars by name; the third is the AWS SDK bundle (v1 or v2 by line)."""
RENDERED_COMMIT_KEYS = ("spark.sql.sources.commitProtocolClass", "spark.sql.parquet.output.committer.class")
"""The SQL settings spark-deploy renders with S3 storage (Spark's commits through the S3A committer)."""


def spark_line() -> str:
    """``3.5`` or ``4.0``: the line of the venv's pyspark."""
    return ".".join(pyspark.__version__.split(".")[:2])


def table_jars() -> list[str]:
    """The Delta and Iceberg jars of this Spark line (scripts/fetch-table-jars.sh), [] when not fetched."""
    root = Path(os.environ.get("TABLE_JARS_DIR", REPO_ROOT / ".tools" / "table-jars")) / spark_line()
    return sorted(str(p) for p in root.glob("*.jar")) if root.is_dir() else []


def s3a_jars() -> list[str]:
    """The S3A connector jars of this Spark line (scripts/fetch-s3a-jars.sh, the directory
    src/local/local-environment.ts uses), [] when not fetched."""
    root = Path(os.environ.get("S3A_JARS_DIR", REPO_ROOT / ".tools" / "jars")) / spark_line()
    return sorted(str(p) for p in root.glob("*.jar")) if root.is_dir() else []


@contextmanager
def process_environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in os.environ inside the block (the JVM pyspark launches inherits them), restored after."""
    previous = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """A local[2] session: 2 shuffle partitions, no UI, small retained history.

    ANSI mode follows the Spark line's own default (on in 4.0, off in 3.5), so the
    suite exercises exactly what EMR runs. With the table-format jars fetched, Delta's and Iceberg's
    SQL extensions are on (as spark-deploy renders them for a job with a table format); the table
    tests fail, naming the fetch command, without them. With the S3A jars fetched they are on
    ``spark.jars`` too, and the JVM starts with the local S3 server's dummy credentials in its
    environment (never any real ones: the process environment is restored once it has started); the
    ``local_s3`` fixture points S3A at the server.
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
            builder.config("spark.sql.extensions", TABLE_EXTENSIONS)
            .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
            # Test-sized tables: Delta rebuilds its snapshot state in 50 partitions by default.
            .config("spark.databricks.delta.snapshotPartitions", "2")
        )
    connector = s3a_jars()
    if jars or connector:
        builder = builder.config("spark.jars", ",".join(jars + connector))
    with process_environment(LOCAL_S3_CREDENTIALS if connector else {}):
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def session_conf(spark: SparkSession) -> Callable[[dict[str, str]], AbstractContextManager[None]]:
    """Temporarily set runtime SQL settings on the shared session, restoring them on exit (any scope)."""

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


@pytest.fixture
def sql_conf(
    session_conf: Callable[[dict[str, str]], AbstractContextManager[None]],
) -> Callable[[dict[str, str]], AbstractContextManager[None]]:
    """Temporarily set runtime SQL settings on the shared session, restoring them on exit."""
    return session_conf


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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def render_s3_compatible(endpoint: str) -> dict[str, str]:
    """The configuration spark-deploy renders for this Spark release on S3-compatible storage at
    ``endpoint`` (``spark-deploy tune --format json``, its ``properties``)."""
    cli = REPO_ROOT / "bin" / "spark-deploy"
    if not (REPO_ROOT / "lib" / "cli" / "main.js").is_file():
        pytest.fail(
            f"{cli} needs lib/ (the compiled TypeScript): run `npx projen compile` once in {REPO_ROOT}"
        )
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the S3A tests render their configuration with bin/spark-deploy")
    argv = [
        node,
        str(cli),
        "tune",
        "--target",
        "kubernetes",
        "--release",
        pyspark.__version__,
        "--worker-cpu",
        "2",
        "--worker-memory-gb",
        "8",
        "--storage",
        "s3-compatible",
        "--endpoint",
        endpoint,
        "--format",
        "json",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(argv[1:])} exited {done.returncode}: {done.stderr.strip()}")
    properties: dict[str, str] = json.loads(done.stdout)["properties"]
    return properties


@dataclass(frozen=True)
class LocalS3:
    """moto's S3 server on 127.0.0.1, and the configuration spark-deploy renders for it."""

    endpoint: str
    properties: dict[str, str]
    """Every key ``spark-deploy tune --storage s3-compatible --endpoint <endpoint>`` renders."""

    @property
    def commit_settings(self) -> dict[str, str]:
        """The rendered SQL settings that route Spark's commits through the S3A committer."""
        return {key: self.properties[key] for key in RENDERED_COMMIT_KEYS}

    def client(self) -> Any:
        """A boto3 S3 client of the server (independent of the S3A connector under test)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=LOCAL_S3_CREDENTIALS["AWS_REGION"],
            aws_access_key_id=LOCAL_S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=LOCAL_S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def bucket(self, name: str) -> str:
        """Create the bucket ``name``; returns ``s3a://<name>``."""
        self.client().create_bucket(Bucket=name)
        return f"s3a://{name}"

    def objects(self, uri: str) -> dict[str, int]:
        """Every object below ``s3a://bucket/prefix`` as ``{s3a URI: size}`` (no directory markers)."""
        bucket, _, prefix = uri.removeprefix("s3a://").partition("/")
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        out: dict[str, int] = {}
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if not obj["Key"].endswith("/"):
                    out[f"s3a://{bucket}/{obj['Key']}"] = int(obj["Size"])
        return out

    def read_text(self, uri: str) -> str | None:
        """The object ``uri`` as UTF-8 text, None when there is none."""
        bucket, _, key = uri.removeprefix("s3a://").partition("/")
        client = self.client()
        try:
            body = client.get_object(Bucket=bucket, Key=key)["Body"]
        except client.exceptions.NoSuchKey:
            return None
        return str(body.read().decode("utf-8"))


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint, timeout=1) as reply:
            return int(reply.status) < 500
    except urllib.error.HTTPError as err:
        return err.code < 500
    except OSError:
        return False


@pytest.fixture(scope="session")
def local_s3(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalS3]:
    """moto's S3 server (of this venv) on 127.0.0.1 at a free port, with the shared session's S3A
    pointed at it by the ``spark.hadoop.*`` keys spark-deploy renders for it (set on the session's
    Hadoop configuration before the first s3a:// access; restored after). Stopped at the end.

    Fails, naming the command that fixes it, without the S3A jars or the compiled CLI;
    SPARK_DEPLOY_SKIP_S3A=1 skips what needs it (as in the jest S3A tests).
    """
    if os.environ.get("SPARK_DEPLOY_SKIP_S3A") == "1":
        pytest.skip("SPARK_DEPLOY_SKIP_S3A=1")
    session_jars = spark.sparkContext.getConf().get("spark.jars", "") or ""
    names = [Path(j).name for j in session_jars.split(",") if j]
    if not all(any(n.startswith(p) for n in names) for p in S3A_JAR_PREFIXES):
        pytest.fail(
            f"no S3A jars in the session's spark.jars ({names}): fetch them once with "
            f"bash scripts/fetch-s3a-jars.sh {spark_line()}"
        )
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("local-s3") / "moto_server.log"
    with open(log_path, "wb") as log_file:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **LOCAL_S3_CREDENTIALS},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while not _answers(endpoint):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"moto_server did not start on {endpoint}: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        properties = render_s3_compatible(endpoint)
        hadoop = spark.sparkContext._jsc.hadoopConfiguration()
        keys = {
            k.removeprefix("spark.hadoop."): v for k, v in properties.items() if k.startswith("spark.hadoop.")
        }
        assert keys.get("fs.s3a.endpoint") == endpoint, f"the rendered configuration has no endpoint: {keys}"
        previous = {key: hadoop.get(key) for key in keys}
        for key, value in keys.items():
            hadoop.set(key, value)
        try:
            yield LocalS3(endpoint, properties)
        finally:
            for key, value in previous.items():
                if value is None:
                    hadoop.unset(key)
                else:
                    hadoop.set(key, value)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
