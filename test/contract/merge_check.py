"""The contract test's side of the rendered `table merge` job, independent of Spark: boto3, pyarrow, pandas.

Run with the venv's python against the local S3 server (S3_ENDPOINT and credentials in the environment).
Prints one JSON document on stdout.

  merge_check.py seed-delta BUCKET PREFIX SEED_PARQUET
      writes version 0 of a Delta table at s3://BUCKET/PREFIX by hand (one Parquet file, one log entry)
      holding the latest sample transaction per customer of another seed (and 50 customers the source
      does not name), and keeps a copy of its rows
      in SEED_PARQUET for the reference
  merge_check.py check BUCKET PREFIX SEED_PARQUET SOURCE_DIR KEY ORDER_BY
      replays the table's Delta log (add/remove actions), reads the live rows, and compares them with
      the upsert done in pandas: per KEY, the row with the latest ORDER_BY of the seed and the source,
      the source winning ties (the job's `s.ORDER_BY >= t.ORDER_BY`)
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# Spark SQL type names of the sample data's Arrow types (the Delta log's schemaString).
SPARK_TYPES = {
    "string": "string",
    "timestamp[us, tz=UTC]": "timestamp",
    "double": "double",
    "int32": "integer",
}


def client() -> Any:  # a boto3 S3 client
    return boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name="us-east-1")


def keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    out: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return sorted(out)


def latest_per_key(frame: pd.DataFrame, key: str, order_by: str) -> pd.DataFrame:
    ordered = frame.sort_values([order_by, "_from_source"], ascending=False, kind="mergesort")
    return ordered.drop_duplicates(key, keep="first")


def seed_delta(s3: Any, bucket: str, prefix: str, seed_parquet: str) -> dict[str, Any]:
    from spark_jobs.sample_data import SCHEMA, generate

    frame = generate(1500, seed=11).assign(_from_source=0)
    frame = latest_per_key(frame, "customer_id", "event_time").drop(columns="_from_source")
    # Customers the source does not name (its ids are c000000, ...): their rows must stay as they are.
    closed = frame.head(50).assign(customer_id=lambda f: "closed-" + f["customer_id"])
    frame = pd.concat([frame, closed])
    table = pa.Table.from_pandas(frame.reset_index(drop=True), schema=SCHEMA, preserve_index=False)
    pq.write_table(table, seed_parquet)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    data = sink.getvalue()
    name = "part-00000-seed.snappy.parquet"
    s3.put_object(Bucket=bucket, Key=f"{prefix}/{name}", Body=data)
    fields = [
        {"name": f.name, "type": SPARK_TYPES[str(f.type)], "nullable": True, "metadata": {}} for f in SCHEMA
    ]
    now = int(time.time() * 1000)
    actions = [
        {"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}},
        {
            "metaData": {
                "id": str(uuid.uuid4()),
                "format": {"provider": "parquet", "options": {}},
                "schemaString": json.dumps({"type": "struct", "fields": fields}),
                "partitionColumns": [],
                "configuration": {},
                "createdTime": now,
            }
        },
        {
            "add": {
                "path": name,
                "partitionValues": {},
                "size": len(data),
                "modificationTime": now,
                "dataChange": True,
            }
        },
    ]
    body = "\n".join(json.dumps(a) for a in actions) + "\n"
    s3.put_object(Bucket=bucket, Key=f"{prefix}/_delta_log/{0:020d}.json", Body=body.encode())
    return {"rows": table.num_rows}


def utc_micros(column: pd.Series) -> pd.Series:
    """Timestamps as UTC microseconds (Spark may write them as INT96, read back without a zone)."""
    values = pd.to_datetime(column)
    if values.dt.tz is None:
        values = values.dt.tz_localize("UTC")
    return values.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]").astype("int64")


def normalized(frame: pd.DataFrame, key: str, order_by: str, columns: list[str]) -> pd.DataFrame:
    out = frame[columns].copy()
    out[order_by] = utc_micros(out[order_by])
    return out.sort_values(key, kind="mergesort").reset_index(drop=True)


def check(
    s3: Any, bucket: str, prefix: str, seed_parquet: str, source_dir: str, key: str, order_by: str
) -> dict[str, Any]:
    log = [k for k in keys(s3, bucket, f"{prefix}/_delta_log/") if k.endswith(".json")]
    live: set[str] = set()
    for entry in log:
        for line in s3.get_object(Bucket=bucket, Key=entry)["Body"].read().decode().splitlines():
            action = json.loads(line)
            if "add" in action:
                live.add(unquote(action["add"]["path"]))
            if "remove" in action:
                live.discard(unquote(action["remove"]["path"]))
    parts = [
        pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=f"{prefix}/{p}")["Body"].read()))
        for p in sorted(live)
    ]
    actual = pa.concat_tables(parts, promote_options="permissive").to_pandas() if parts else pd.DataFrame()

    seed = pq.read_table(seed_parquet).to_pandas().assign(_from_source=0)
    source = pd.concat([pq.read_table(f).to_pandas() for f in sorted(Path(source_dir).glob("*.parquet"))])
    expected = latest_per_key(pd.concat([seed, source.assign(_from_source=1)]), key, order_by)
    columns = [c for c in seed.columns if c != "_from_source"]
    in_seed = set(seed[key])
    in_source = set(source[key])
    winners = expected.set_index(key)["_from_source"]
    a = normalized(actual, key, order_by, columns) if len(actual) else actual
    e = normalized(expected, key, order_by, columns)
    try:
        pd.testing.assert_frame_equal(a, e, check_dtype=False, check_exact=False, rtol=0, atol=1e-9)
        difference = ""
    except AssertionError as err:
        difference = str(err)[:2000]
    return {
        "version": int(log[-1].rsplit("/", 1)[1].split(".")[0]) if log else None,
        "rows": len(actual),
        "expectedRows": len(expected),
        "equal": difference == "",
        "difference": difference,
        # The three cases an upsert by latest has, each present in the data (else the check proves less).
        "updatedFromSource": int(sum(1 for k in in_seed & in_source if winners[k] == 1)),
        "keptNewerInTarget": int(sum(1 for k in in_seed & in_source if winners[k] == 0)),
        "insertedFromSource": len(in_source - in_seed),
        "untouchedInTarget": len(in_seed - in_source),
    }


def main(argv: list[str]) -> dict[str, Any]:
    s3 = client()
    command, args = argv[0], argv[1:]
    if command == "seed-delta":
        return seed_delta(s3, args[0], args[1].strip("/"), args[2])
    if command == "check":
        return check(s3, args[0], args[1].strip("/"), args[2], args[3], args[4], args[5])
    raise SystemExit(f"merge_check: unknown command {command!r}")


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])), flush=True)
    # pyarrow's thread pools can abort at interpreter teardown (see test/local/support/s3_tool.py).
    os._exit(0)
