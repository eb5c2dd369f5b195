"""Small S3 helper for the S3A tests, run with the venv's python against the local S3 server.

Independent of Spark: boto3 for listing and uploads, pyarrow for reading Parquet objects.
Prints one JSON document on stdout.

  s3_tool.py mkbucket BUCKET
  s3_tool.py upload-dir LOCAL_DIR BUCKET PREFIX
  s3_tool.py list BUCKET [PREFIX]           -> {"objects": {key: etag}, "sizes": {key: n}, "uploads": [key, ...]}
  s3_tool.py put LOCAL_FILE BUCKET KEY
  s3_tool.py copy-prefix BUCKET SOURCE_PREFIX TARGET_PREFIX
  s3_tool.py get BUCKET KEY                  -> {"text": ...}
  s3_tool.py read-parquet BUCKET PREFIX COLUMN [DISTINCT_COLUMN] -> {"rows", "sum", "files", "distinct"}
  s3_tool.py read-output BUCKET PREFIX       -> {"version", "files", "records": [[customer_id, transactions,
                                                 total_amount], ...] sorted} of the version _latest.json names
  s3_tool.py expected-totals BUCKET PREFIX MULTIPLIER -> {"records": ...} per customer of a raw input

``read-output`` follows the versioned layout as a pandas/pyarrow user would (jobs/README.md): GET the
pointer ``<prefix>/_latest.json``, then exactly the files it names, relative to the prefix.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def client() -> Any:  # a boto3 S3 client
    return boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name="us-east-1")


def visible(key: str, prefix: str) -> bool:
    """Whether a Spark reader of `prefix` sees the object: no _ or . path component below it."""
    rest = key[len(prefix) :].lstrip("/")
    return not any(part.startswith(("_", ".")) for part in rest.split("/"))


def parquet_object(s3: Any, bucket: str, key: str) -> pa.Table:
    """One Parquet object, fetched with a GET and read by pyarrow."""
    return pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))


def main(argv: list[str]) -> dict:
    s3 = client()
    command, args = argv[0], argv[1:]
    if command == "mkbucket":
        s3.create_bucket(Bucket=args[0])
        return {"bucket": args[0]}
    if command == "upload-dir":
        local, bucket, prefix = Path(args[0]), args[1], args[2].rstrip("/")
        keys = []
        for f in sorted(local.rglob("*")):
            if f.is_file():
                key = f"{prefix}/{f.relative_to(local).as_posix()}"
                s3.upload_file(str(f), bucket, key)
                keys.append(key)
        return {"keys": keys}
    if command == "list":
        bucket, prefix = args[0], args[1] if len(args) > 1 else ""
        objects, sizes = {}, {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                objects[o["Key"]] = o["ETag"]
                sizes[o["Key"]] = o["Size"]
        uploads = [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
        return {"objects": objects, "sizes": sizes, "uploads": uploads}
    if command == "read-parquet":
        bucket, prefix, column = args[0], args[1].rstrip("/") + "/", args[2]
        distinct = args[3] if len(args) > 3 else None
        tables = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                if o["Key"].endswith(".parquet") and visible(o["Key"], prefix):
                    body = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
                    tables.append(pq.read_table(io.BytesIO(body)))
        table = pa.concat_tables(tables) if tables else None
        return {
            "files": len(tables),
            "rows": 0 if table is None else table.num_rows,
            "sum": 0.0 if table is None else float(pc.sum(table[column]).as_py() or 0.0),
            "distinct": None if table is None or distinct is None else len(pc.unique(table[distinct])),
        }
    if command == "read-output":
        bucket, prefix = args[0], args[1].rstrip("/")
        pointer = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/_latest.json")["Body"].read())
        tables = [parquet_object(s3, bucket, f"{prefix}/{f['path']}") for f in pointer["files"]]
        table = pa.concat_tables(tables)
        return {
            "version": pointer["version"],
            "pointerRows": pointer["rows"],
            "files": [f["path"] for f in pointer["files"]],
            "records": sorted(
                zip(
                    table["customer_id"].to_pylist(),
                    table["transactions"].to_pylist(),
                    table["total_amount"].to_pylist(),
                )
            ),
        }
    if command == "expected-totals":
        bucket, prefix, multiplier = args[0], args[1].rstrip("/") + "/", float(args[2])
        tables = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                if o["Key"].endswith(".parquet") and visible(o["Key"], prefix):
                    tables.append(parquet_object(s3, bucket, o["Key"]))
        grouped = pa.concat_tables(tables).group_by("customer_id")
        grouped = grouped.aggregate([("amount", "sum"), ([], "count_all")])
        records = sorted(
            (c, n, None if s is None else s * multiplier)
            for c, n, s in zip(
                grouped["customer_id"].to_pylist(),
                grouped["count_all"].to_pylist(),
                grouped["amount_sum"].to_pylist(),
            )
        )
        return {"records": records}
    if command == "put":
        s3.upload_file(args[0], args[1], args[2])
        return {"key": args[2]}
    if command == "copy-prefix":
        bucket, source, target = args[0], args[1].rstrip("/") + "/", args[2].rstrip("/") + "/"
        copied = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=source):
            for o in page.get("Contents", []):
                key = target + o["Key"][len(source) :]
                s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": o["Key"]})
                copied.append(key)
        return {"keys": copied}
    if command == "get":
        return {"text": s3.get_object(Bucket=args[0], Key=args[1])["Body"].read().decode("utf-8")}
    raise SystemExit(f"s3_tool: unknown command {command!r}")


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])), flush=True)
    # Skip interpreter teardown: pyarrow's C++ thread pools can abort at exit ("terminate called without an
    # active exception") after the answer is printed, which would fail a read that succeeded.
    os._exit(0)
