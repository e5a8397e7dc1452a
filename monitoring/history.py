"""Run reports on disk: ``ARCHIVE_DIR/runs/<site>/<UTC start time>-<pid>.json``, all kept.

Written atomically (a ``.open`` temp file in the same directory, fsync, rename), so a reader
never sees half a report. Other files under ``runs/`` (logs, per-run state of other
components) are ignored: only ``*.json`` files whose ``format`` is a run report are read.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitoring.report import REPORT_FORMAT
from vnnews.paths import OPEN_SUFFIX, ArchivePaths

logger = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def site_key(site: str) -> str:
    """A directory name for a site (a profile name or a host name)."""
    key = _UNSAFE.sub("_", site).strip("._") or "unknown"
    return key[:100]


def url_site(url: str) -> str:
    """The site a run of start URL ``url`` without a profile is reported under: its host less
    ``www.``, with the port when there is one (two sites on one host are two histories); ""
    when ``url`` has no host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    with contextlib.suppress(ValueError):  # a bad port: the host alone
        if parts.port:
            host = f"{host}:{parts.port}"
    return host.removeprefix("www.")


def site_dir(paths: ArchivePaths, site: str) -> Path:
    return paths.runs_dir / site_key(site)


def report_name(started_at: datetime, pid: int) -> str:
    return f"{started_at.strftime('%Y%m%dT%H%M%SZ')}-{pid}.json"


def write_report(paths: ArchivePaths, report: Mapping[str, Any]) -> Path:
    """Write one report; returns its path. Never overwrites an existing report."""
    directory = site_dir(paths, str(report["site"]))
    directory.mkdir(parents=True, exist_ok=True)
    started = datetime.fromisoformat(str(report["started_at"]))
    name = report_name(started, int(report["pid"]))
    final = directory / name
    n = 1
    while final.exists():  # the same second and pid (a restarted process): keep both
        final = directory / name.replace(".json", f"-{n}.json")
        n += 1
    tmp = final.with_name(final.name + OPEN_SUFFIX)
    data = json.dumps(report, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except OSError:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written report behind
        raise
    return final


def read_report(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("Skipping unreadable run report %s: %s", path, exc)
        return None
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        return None
    data["_path"] = str(path)
    return data


def site_reports(paths: ArchivePaths, site: str) -> list[dict[str, Any]]:
    """Every report of one site, oldest first."""
    directory = site_dir(paths, site)
    if not directory.is_dir():
        return []
    reports = [r for p in sorted(directory.glob("*.json")) if (r := read_report(p)) is not None]
    # a name taken in the same second gets "-N" before ".json": longer names came later
    return sorted(
        reports,
        key=lambda r: (str(r.get("started_at")), len(str(r["_path"])), str(r["_path"])),
    )


def all_reports(paths: ArchivePaths) -> dict[str, list[dict[str, Any]]]:
    """Reports per site (the ``site`` the reports name), each oldest first."""
    out: dict[str, list[dict[str, Any]]] = {}
    if not paths.runs_dir.is_dir():
        return out
    for directory in sorted(p for p in paths.runs_dir.iterdir() if p.is_dir()):
        for report in site_reports(paths, directory.name):
            out.setdefault(str(report["site"]), []).append(report)
    return out
