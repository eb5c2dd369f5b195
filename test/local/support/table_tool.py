"""Table helper for the table-job S3A tests, run with the venv's python against the local S3 server.

Independent of Spark: boto3 and pyarrow only. Prints one JSON document on stdout.

  table_tool.py put-rows BUCKET KEY JSON_ROWS     write [[id, amount], ...] as one Parquet object
  table_tool.py read-delta BUCKET PREFIX          -> {"version", "rows": [[id, amount], ...], "log": [...]}
                                                     replaying the Delta log's add/remove actions
"""

from __future__ import annotations

import io
import json
import os
import sys
from typing import Any
from urllib.parse import unquote

import boto3
import pyarrow as pa
import pyarrow.parquet as pq


def client() -> Any:  # a boto3 S3 client
    return boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name="us-east-1")


def keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return sorted(out)


def rows_of(tables: list[pa.Table]) -> list[list[Any]]:
    if not tables:
        return []
    table = pa.concat_tables(tables)
    return sorted([i, a] for i, a in zip(table["id"].to_pylist(), table["amount"].to_pylist()))


def parquet(s3: Any, bucket: str, key: str) -> pa.Table:
    return pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))


def main(argv: list[str]) -> dict[str, Any]:
    s3 = client()
    command, args = argv[0], argv[1:]
    if command == "put-rows":
        bucket, key, rows = args[0], args[1], json.loads(args[2])
        table = pa.table(
            {"id": [r[0] for r in rows], "amount": [r[1] for r in rows]},
            schema=pa.schema([("id", pa.int64()), ("amount", pa.float64())]),
        )
        sink = io.BytesIO()
        pq.write_table(table, sink)
        s3.put_object(Bucket=bucket, Key=key, Body=sink.getvalue())
        return {"key": key, "rows": len(rows)}
    if command == "read-delta":
        bucket, prefix = args[0], args[1].rstrip("/")
        log = [k for k in keys(s3, bucket, f"{prefix}/_delta_log/") if k.endswith(".json")]
        live: set[str] = set()
        for key in log:
            for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines():
                action = json.loads(line)
                if "add" in action:
                    live.add(unquote(action["add"]["path"]))
                if "remove" in action:
                    live.discard(unquote(action["remove"]["path"]))
        tables = [parquet(s3, bucket, f"{prefix}/{p}") for p in sorted(live)]
        version = int(log[-1].rsplit("/", 1)[1].split(".")[0]) if log else None
        return {"version": version, "rows": rows_of(tables), "log": [k.rsplit("/", 1)[1] for k in log]}
    raise SystemExit(f"table_tool: unknown command {command!r}")


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])), flush=True)
    os._exit(0)  # pyarrow's thread pools can abort at interpreter teardown (see s3_tool.py)
