"""Render profiles as plain text or as one self-contained HTML page (inline CSS and SVG, no scripts)."""

from __future__ import annotations

from html import escape
from typing import Any

_STAGE_COLUMNS = (
    ("stage", "stage_id"),
    ("tasks", "num_tasks"),
    ("duration ms", "duration_ms"),
    ("run ms", "executor_run_time_ms"),
    ("cpu ms", "executor_cpu_time_ms"),
    ("gc ms", "jvm_gc_time_ms"),
    ("input B", "input_bytes"),
    ("output B", "output_bytes"),
    ("shuffle read B", "shuffle_read_bytes"),
    ("shuffle write B", "shuffle_write_bytes"),
    ("spill disk B", "disk_bytes_spilled"),
    ("task ms min/med/max", None),
)
_SEVERITY_COLOURS = {"high": "#c0392b", "medium": "#d68910", "low": "#2e86c1"}


def _ran(profile: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in profile.get("stages", []) if s["status"] != "SKIPPED"]


def _cell(stage: dict[str, Any], key: str | None) -> str:
    if key is None:
        values = [stage.get(f"task_duration_ms_{s}") for s in ("min", "median", "max")]
        return "/".join("-" if v is None else f"{v:.0f}" for v in values)
    value = stage.get(key)
    return "-" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))


def render_text(profiles: list[dict[str, Any]]) -> str:
    """A plain-text report: per profile its totals, stage table, findings and suggestions."""
    lines: list[str] = []
    for profile in profiles:
        totals = profile["totals"]
        lines += [
            f"== {profile['name']} ({profile['status']}) ==",
            f"wall clock {profile['wall_clock_ms']:.0f} ms, {totals['num_jobs']} jobs, "
            f"{totals['num_stages']} stages, {totals['num_tasks']} tasks, "
            f"run {totals['executor_run_time_ms']} ms, "
            f"shuffle write {totals['shuffle_write_bytes']} B, spill {totals['disk_bytes_spilled']} B",
        ]
        header = [title for title, _ in _STAGE_COLUMNS]
        rows = [[_cell(s, key) for _, key in _STAGE_COLUMNS] for s in _ran(profile)]
        widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
        for row in [header, *rows]:
            lines.append("  ".join(str(c).rjust(w) for c, w in zip(row, widths)))
        for finding in profile.get("findings", []):
            lines.append(f"[{finding['code']}] {finding['message']}")
        for suggestion in profile.get("suggestions", []):
            config = ", ".join(f"{k}={v}" for k, v in suggestion["config"].items())
            lines.append(f"  -> {suggestion['code']}: {suggestion['action']} {config}")
        lines.append("")
    return "\n".join(lines)


def _timeline_svg(profile: dict[str, Any], width: int = 760, row_height: int = 18) -> str:
    stages = [s for s in _ran(profile) if s["submission_time_ms"] and s["completion_time_ms"]]
    if not stages:
        return "<p>No stage ran.</p>"
    start = min(s["submission_time_ms"] for s in stages)
    end = max(s["completion_time_ms"] for s in stages)
    span = max(end - start, 1)
    label_width, chart_width = 90, width - 100
    flagged = {f.get("stage_id") for f in profile.get("findings", [])}
    height = (len(stages) + 1) * row_height + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="stage timeline of {escape(profile["name"])}">'
    ]
    for row, stage in enumerate(stages):
        x = label_width + (stage["submission_time_ms"] - start) / span * chart_width
        w = max((stage["completion_time_ms"] - stage["submission_time_ms"]) / span * chart_width, 1.0)
        y = row * row_height + 4
        colour = "#c0392b" if stage["stage_id"] in flagged else "#2e86c1"
        title = f"stage {stage['stage_id']}: {stage['duration_ms']} ms, {stage['num_tasks']} tasks"
        parts.append(f'<text x="0" y="{y + 12}" font-size="11">stage {stage["stage_id"]}</text>')
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_height - 6}" fill="{colour}">'
            f"<title>{escape(title)}</title></rect>"
        )
    axis_y = len(stages) * row_height + 16
    parts.append(f'<text x="{label_width}" y="{axis_y}" font-size="11">0 ms</text>')
    parts.append(f'<text x="{width - 60}" y="{axis_y}" font-size="11">{span} ms</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(profiles: list[dict[str, Any]], title: str = "Spark performance report") -> str:
    """One HTML page with, per profile, a stage timeline (inline SVG), the stage table and findings."""
    body = [f"<h1>{escape(title)}</h1>"]
    for profile in profiles:
        totals = profile["totals"]
        body.append(f"<h2>{escape(profile['name'])} <small>({escape(profile['status'])})</small></h2>")
        body.append(
            f"<p>Wall clock {profile['wall_clock_ms']:.0f} ms &middot; {totals['num_jobs']} jobs &middot; "
            f"{totals['num_stages']} stages &middot; {totals['num_tasks']} tasks &middot; "
            f"shuffle write {totals['shuffle_write_bytes']} B &middot; "
            f"spilled {totals['disk_bytes_spilled']} B</p>"
        )
        body.append(_timeline_svg(profile))
        head = "".join(f"<th>{escape(t)}</th>" for t, _ in _STAGE_COLUMNS)
        rows = "".join(
            "<tr>" + "".join(f"<td>{escape(_cell(s, key))}</td>" for _, key in _STAGE_COLUMNS) + "</tr>"
            for s in _ran(profile)
        )
        body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        if profile.get("findings"):
            items = "".join(
                f'<li><b style="color:{_SEVERITY_COLOURS.get(f["severity"], "#333")}">'
                f"{escape(f['code'])}</b> "
                f"{escape(f['message'])}</li>"
                for f in profile["findings"]
            )
            body.append(f"<h3>Findings</h3><ul>{items}</ul>")
        if profile.get("suggestions"):
            items = "".join(
                f"<li><b>{escape(s['code'])}</b>: {escape(s['action'])}<br><code>"
                + escape(", ".join(f"{k}={v}" for k, v in s["config"].items()))
                + "</code></li>"
                for s in profile["suggestions"]
            )
            body.append(f"<h3>Suggestions</h3><ul>{items}</ul>")
    style = (
        "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:12px}"
        "th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#eee}"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )
