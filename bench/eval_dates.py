"""Date accuracy: our ``find_dates`` next to bare trafilatura and htmldate.

Two corpora:

* ``vi``: the Vietnamese article pages in ``tests/data/html`` with the publication dates in
  ``tests/data/dates/expected.json`` (written by reading each page; to the minute, with offset).
* ``htmldate``: the htmldate evaluation sample (``eval_default.sample.json`` -> ``html/``),
  gold at day precision.

Systems: ``ours`` (``extraction.dates.find_dates``, no profile, so the generic rules are
measured; ``ours+profile`` with the site profile on the Vietnamese pages), ``trafilatura``
(``bare_extraction(html, url=..., with_metadata=True).date``, its defaults), and htmldate
(``find_date(html, url=..., original_date=True, outputformat="%Y-%m-%dT%H:%M:%S%z")`` in fast
and extensive mode).

Scores per page: ``day`` (same calendar date as written on the page), ``minute`` (same wall-clock
minute; only where the gold has a time), ``offset`` (the UTC offset is the gold's; a value
without an offset fails). Use ``evaluate_vi()``/``evaluate_htmldate()`` for rows,
``summarise(rows)`` for one line per (corpus, system), ``markdown(summary)`` for a table;
``python bench/eval_dates.py`` prints both corpora.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from htmldate import find_date  # noqa: E402

from extraction.dates import find_dates  # noqa: E402
from vnnews.profiles import ProfileRegistry  # noqa: E402

VI_HTML = ROOT / "tests" / "data" / "html"
VI_EXPECTED = ROOT / "tests" / "data" / "dates" / "expected.json"
SHARED = Path(os.environ.get("VNNEWS_SHARED", ROOT.parent / "shared"))
HTMLDATE_DIR = SHARED / "corpus/benchmark/htmldate-eval"
SYSTEMS = ("ours", "ours+profile", "trafilatura", "htmldate", "htmldate-extensive")


@dataclass(frozen=True)
class DateRow:
    corpus: str
    page: str
    system: str
    gold: str
    got: str | None
    source: str | None
    day_ok: bool
    minute_ok: bool | None  # None: the gold has no time
    offset_ok: bool | None  # None: the gold has no offset
    seconds: float


def read_html(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _tree(data: bytes) -> Any:
    return trafilatura.load_html(data)


def score(got: str | None, gold: str) -> tuple[bool, bool | None, bool | None]:
    """(day, minute, offset) agreement of an ISO string with the gold ISO string."""
    has_time, has_offset = len(gold) > 10, len(gold) > 19
    if not got:
        return False, False if has_time else None, False if has_offset else None
    day_ok = got[:10] == gold[:10]
    minute_ok = got[:16] == gold[:16] if has_time else None
    offset_ok = None
    if has_offset:
        try:
            got_dt, gold_dt = datetime.fromisoformat(got), datetime.fromisoformat(gold)
        except ValueError:
            offset_ok = False
        else:
            offset_ok = got_dt.tzinfo is not None and got_dt.utcoffset() == gold_dt.utcoffset()
    return day_ok, minute_ok, offset_ok


def _ours(profiles: ProfileRegistry | None) -> Callable[..., tuple[str | None, str | None]]:
    def run(data: bytes, url: str, fetched_at: datetime) -> tuple[str | None, str | None]:
        tree = _tree(data)
        if tree is None:
            return None, None
        profile = profiles.for_url(url) if profiles else None
        language = (tree.get("lang") or "").strip() or ("vi" if profile else "")
        result = find_dates(tree, url=url, fetched_at=fetched_at, profile=profile,
                            language=language)  # fmt: skip
        value = result.published.isoformat() if result.published else None
        return value, result.published_source

    return run


def _trafilatura(data: bytes, url: str, fetched_at: datetime) -> tuple[str | None, str | None]:
    doc = trafilatura.bare_extraction(data, url=url, with_metadata=True)
    return (getattr(doc, "date", None) if doc is not None else None), "trafilatura"


def _htmldate(extensive: bool) -> Callable[..., tuple[str | None, str | None]]:
    def run(data: bytes, url: str, fetched_at: datetime) -> tuple[str | None, str | None]:
        found = find_date(data, url=url, original_date=True, extensive_search=extensive,
                          outputformat="%Y-%m-%dT%H:%M:%S%z")  # fmt: skip
        return found, "htmldate"

    return run


def _runners(with_profile: bool) -> dict[str, Callable[..., tuple[str | None, str | None]]]:
    runners = {
        "ours": _ours(None),
        "trafilatura": _trafilatura,
        "htmldate": _htmldate(False),
        "htmldate-extensive": _htmldate(True),
    }
    if with_profile:
        runners["ours+profile"] = _ours(ProfileRegistry.load())
    return runners


def _rows(corpus: str, pages: Iterable[tuple[str, bytes, str, datetime, str]],
          with_profile: bool) -> list[DateRow]:  # fmt: skip
    rows = []
    runners = _runners(with_profile)
    pages = list(pages)
    for run in runners.values():  # one-time imports and caches are not per-page costs
        if pages:
            run(pages[0][1], pages[0][2], pages[0][3])
    for page, data, url, fetched_at, gold in pages:
        for system, run in runners.items():
            start = time.perf_counter()
            got, source = run(data, url, fetched_at)
            elapsed = time.perf_counter() - start
            day_ok, minute_ok, offset_ok = score(got, gold)
            rows.append(DateRow(corpus, page, system, gold, got, source, day_ok, minute_ok,
                                offset_ok, elapsed))  # fmt: skip
    return rows


def vi_pages(expected: Path = VI_EXPECTED) -> list[tuple[str, bytes, str, datetime, str]]:
    entries = json.loads(expected.read_text(encoding="utf-8"))
    return [
        (e["page"], read_html(VI_HTML / e["page"]), e["url"],
         datetime.fromisoformat(e["fetched_at"]), e["published"])
        for e in entries
    ]  # fmt: skip


def htmldate_pages(root: Path = HTMLDATE_DIR) -> list[tuple[str, bytes, str, datetime, str]]:
    """The sample has no capture times; "now" stands in (its gold dates are all years old)."""
    sample = json.loads((root / "eval_default.sample.json").read_text(encoding="utf-8"))
    now = datetime.now(UTC)
    return [
        (entry["file"], read_html(root / "html" / entry["file"]), url, now, entry["date"])
        for url, entry in sample.items()
        if (root / "html" / entry["file"]).exists()
    ]


def evaluate_vi(expected: Path = VI_EXPECTED) -> list[DateRow]:
    return _rows("vi", vi_pages(expected), with_profile=True)


def evaluate_htmldate(root: Path = HTMLDATE_DIR) -> list[DateRow]:
    return _rows("htmldate", htmldate_pages(root), with_profile=False)


def summarise(rows: Iterable[DateRow]) -> list[dict[str, Any]]:
    """One dict per (corpus, system): n, found, day/minute/offset accuracy, ms per page."""
    groups: dict[tuple[str, str], list[DateRow]] = {}
    for row in rows:
        groups.setdefault((row.corpus, row.system), []).append(row)
    out = []
    for (corpus, system), group in groups.items():
        timed = [r for r in group if r.minute_ok is not None]
        offset = [r for r in group if r.offset_ok is not None]
        out.append({
            "corpus": corpus, "system": system, "pages": len(group),
            "found": sum(r.got is not None for r in group),
            "day": _ratio(sum(r.day_ok for r in group), len(group)),
            "minute": _ratio(sum(bool(r.minute_ok) for r in timed), len(timed)),
            "offset": _ratio(sum(bool(r.offset_ok) for r in offset), len(offset)),
            "ms_per_page": round(1000 * sum(r.seconds for r in group) / len(group), 1),
            "ms_median": round(1000 * statistics.median(r.seconds for r in group), 1),
        })  # fmt: skip
    return out


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def markdown(summary: list[dict[str, Any]]) -> str:
    head = "| corpus | system | pages | found | day | minute | offset | ms/page (mean, median) |"
    lines = [head, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in summary:
        cells = [s["corpus"], s["system"], s["pages"], s["found"], s["day"], s["minute"],
                 s["offset"], f"{s['ms_per_page']}, {s['ms_median']}"]  # fmt: skip
        lines.append("| " + " | ".join("–" if c is None else str(c) for c in cells) + " |")
    return "\n".join(lines)


def misses(rows: Iterable[DateRow], system: str = "ours") -> list[DateRow]:
    return [r for r in rows if r.system == system and not r.day_ok]


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    rows = evaluate_vi() + evaluate_htmldate()
    print(markdown(summarise(rows)))
    for row in misses(rows) + misses(rows, "ours+profile"):
        print(f"miss {row.corpus} {row.system} {row.page}: got {row.got} ({row.source}), "
              f"gold {row.gold}")  # fmt: skip


if __name__ == "__main__":
    main()
