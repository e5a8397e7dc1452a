"""One row per site for ``scrapy sites``: last run, last success, articles, last drift flags."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from monitoring.archivescan import SiteArchive
from monitoring.drift import completed


@dataclass
class SiteRow:
    site: str
    has_profile: bool
    runs: int = 0
    last_run: str | None = None  # started_at of the newest report
    last_result: str = "never run"
    last_success: str | None = None
    articles: int = 0
    versions: int = 0
    drift: list[str] = field(default_factory=list)  # checks flagged by the newest report

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def succeeded(report: Mapping[str, Any]) -> bool:
    """A run ended on its own, wrote what it found and raised no drift flag."""
    return completed(report) and not (report.get("drift") or {}).get("flags")


def result_of(report: Mapping[str, Any]) -> str:
    flags = (report.get("drift") or {}).get("flags") or []
    if not completed(report):
        return str(report.get("finish_reason") or "unknown")
    return f"drift ({len(flags)})" if flags else "ok"


def site_rows(
    profiles: Iterable[str],
    reports: Mapping[str, list[dict[str, Any]]],
    archive: Mapping[str, SiteArchive],
) -> list[SiteRow]:
    """Every profile, and every other site that has reports or records, sorted by name."""
    profiled = set(profiles)
    rows = []
    for name in sorted(profiled | set(reports) | set(archive)):
        row = SiteRow(name, name in profiled)
        runs = reports.get(name, [])
        if runs:
            last = runs[-1]
            row.runs = len(runs)
            row.last_run = str(last.get("started_at"))
            row.last_result = result_of(last)
            row.drift = sorted({str(f["check"]) for f in last["drift"]["flags"]})
            ok = [r for r in runs if succeeded(r)]
            row.last_success = str(ok[-1]["started_at"]) if ok else None
        if name in archive:
            row.articles = archive[name].article_count
            row.versions = archive[name].versions
        rows.append(row)
    return rows


def _when(value: str | None) -> str:
    if not value:
        return "-"
    return value[:16].replace("T", " ") + " UTC" if value.endswith("+00:00") else value[:16]


def format_table(rows: list[SiteRow]) -> str:
    head = ("site", "last run", "result", "last success", "articles", "drift flags (last run)")
    body = [
        (
            r.site + ("" if r.has_profile else " *"),
            _when(r.last_run),
            r.last_result,
            _when(r.last_success),
            str(r.articles),
            ", ".join(r.drift) or "-",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    lines = []
    for row in [head, *body]:
        cells = [
            cell.rjust(widths[i]) if i == 4 else cell.ljust(widths[i]) for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    if any(not r.has_profile for r in rows):
        lines.append("* no site profile (crawled with -a start_urls=)")
    return "\n".join(lines)
