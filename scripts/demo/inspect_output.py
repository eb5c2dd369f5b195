"""Describe a job output directory for the demo summary (pyarrow and json only, no Spark).

  python inspect_output.py table DIR     -> {"rows": n, "columns": [...], "files": k}
  python inspect_output.py records DIR   -> {"records": [...]}  (every row of its Parquet and JSON files)

A versioned job output (``DIR/_latest.json``, see jobs/README.md) is read as a pyarrow user reads it:
exactly the files its pointer names, paths relative to DIR. Elsewhere, files and directories starting
with ``_`` or ``.`` are skipped, as Spark readers skip them.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq


def visible_files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Data files below ``root`` that a Spark reader would list (``root`` itself if it is a file)."""
    pointer = root / "_latest.json"
    if pointer.is_file():
        named = [root / f["path"] for f in json.loads(pointer.read_text())["files"]]
        return [p for p in named if p.suffix in suffixes]
    if root.is_file():
        return [root] if root.suffix in suffixes else []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix in suffixes
        and not any(part.startswith(("_", ".")) for part in p.relative_to(root).parts)
    )


def clean(value: Any) -> Any:
    """JSON-safe values: NaN and infinities become null, timestamps strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return str(value)


def main(argv: list[str]) -> dict[str, Any]:
    command, root = argv[0], Path(argv[1])
    if not root.exists():
        raise SystemExit(f"inspect_output: {root} does not exist")
    parquet = visible_files(root, (".parquet",))
    if command == "table":
        tables = [pq.read_table(p) for p in parquet]
        return {
            "rows": sum(t.num_rows for t in tables),
            "columns": tables[0].column_names if tables else [],
            "files": len(tables),
        }
    if command == "records":
        records: list[Any] = []
        for p in parquet:
            records.extend(pq.read_table(p).to_pylist())
        for p in visible_files(root, (".json",)):
            text = p.read_text()
            try:
                doc = json.loads(text)
                records.extend(doc if isinstance(doc, list) else [doc])
            except json.JSONDecodeError:
                records.extend(json.loads(line) for line in text.splitlines() if line.strip())
        return {"records": clean(records)}
    raise SystemExit(f"inspect_output: unknown command {command!r}")


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
