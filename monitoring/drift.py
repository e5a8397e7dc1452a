"""Drift checks: a run compared with its site's own history.

Each check is a pure function ``(current report, previous reports oldest first, thresholds)
-> list of Flag``; :func:`run_checks` runs them all. The reports are those of
:func:`monitoring.report.build_report`. What each check looks at:

* ``extraction_failures``: share of article pages whose extraction failed or found no text;
* ``dates``: share of extracted articles whose published date is missing or is the capture time;
* ``body_length``: median text length against the median of the last runs' medians;
* ``no_new_articles``: no new article for N runs on a site where most earlier runs had some;
* ``discovery``: a robots/sitemap/feed URL that answered in an earlier run of the window and
  does not answer now (each run while it stays down);
* ``selectors``: the profile's selectors stopped matching (``extract/profile_miss``), the
  layout guesser took over on a profiled site, or selector-found dates fell away.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from monitoring.report import answered, discovery_host

Report = Mapping[str, Any]


class SettingsLike(Protocol):
    def getint(self, name: str) -> int: ...
    def getfloat(self, name: str) -> float: ...
    def getbool(self, name: str) -> bool: ...


@dataclass(frozen=True)
class Thresholds:
    """The MONITOR_* settings the checks use (defaults in settings.py)."""

    history_runs: int = 10
    min_articles: int = 5
    max_extraction_failures: float = 0.25
    max_bad_dates: float = 0.5
    min_body_ratio: float = 0.5
    no_new_runs: int = 5
    max_profile_miss: float = 0.5
    check_discovery: bool = True

    @classmethod
    def from_settings(cls, settings: SettingsLike) -> Thresholds:
        return cls(
            history_runs=settings.getint("MONITOR_HISTORY_RUNS"),
            min_articles=settings.getint("MONITOR_MIN_ARTICLES"),
            max_extraction_failures=settings.getfloat("MONITOR_MAX_EXTRACTION_FAILURES"),
            max_bad_dates=settings.getfloat("MONITOR_MAX_BAD_DATES"),
            min_body_ratio=settings.getfloat("MONITOR_MIN_BODY_RATIO"),
            no_new_runs=settings.getint("MONITOR_NO_NEW_RUNS"),
            max_profile_miss=settings.getfloat("MONITOR_MAX_PROFILE_MISS"),
            check_discovery=settings.getbool("MONITOR_CHECK_DISCOVERY"),
        )


@dataclass(frozen=True)
class Flag:
    check: str
    message: str
    value: float | int | None = None
    threshold: float | int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _sample(report: Report) -> Mapping[str, Any]:
    sample: Mapping[str, Any] = report.get("extracted") or {}
    return sample


def _judged(report: Report, th: Thresholds) -> bool:
    """Enough extracted articles in this run to judge their quality."""
    return int(_sample(report).get("count") or 0) >= th.min_articles


def extraction_failures(current: Report, previous: Sequence[Report], th: Thresholds) -> list[Flag]:
    ext = current.get("extraction") or {}
    pages, failures = int(ext.get("pages") or 0), int(ext.get("failures") or 0)
    if pages < th.min_articles:
        return []
    rate = failures / pages
    if rate <= th.max_extraction_failures:
        return []
    return [
        Flag(
            "extraction_failures",
            f"extraction failed on {failures} of {pages} article pages ({_pct(rate)}; "
            f"threshold {_pct(th.max_extraction_failures)})",
            round(rate, 4),
            th.max_extraction_failures,
        )
    ]


def dates(current: Report, previous: Sequence[Report], th: Thresholds) -> list[Flag]:
    if not _judged(current, th):
        return []
    sample = _sample(current)
    n = int(sample["count"])
    missing = int(sample.get("published_missing") or 0)
    fetch = int(sample.get("published_is_fetch_date") or 0)
    share = (missing + fetch) / n
    if share <= th.max_bad_dates:
        return []
    return [
        Flag(
            "dates",
            f"{missing + fetch} of {n} articles have no published date ({missing}) or the "
            f"capture time as their date ({fetch}): {_pct(share)}, threshold "
            f"{_pct(th.max_bad_dates)}",
            round(share, 4),
            th.max_bad_dates,
        )
    ]


def _recent(previous: Sequence[Report], th: Thresholds) -> list[Report]:
    return list(previous[-th.history_runs :]) if th.history_runs > 0 else []


def body_length(current: Report, previous: Sequence[Report], th: Thresholds) -> list[Flag]:
    if not _judged(current, th):
        return []
    now = _sample(current).get("text_length_median")
    before = [
        float(r["extracted"]["text_length_median"])
        for r in _recent(previous, th)
        if _judged(r, th) and _sample(r).get("text_length_median") is not None
    ]
    if now is None or not before:
        return []
    baseline = statistics.median(before)
    if baseline <= 0 or float(now) >= baseline * th.min_body_ratio:
        return []
    ratio = float(now) / baseline
    return [
        Flag(
            "body_length",
            f"median article text is {float(now):.0f} characters, {_pct(ratio)} of the "
            f"{baseline:.0f} of the last {len(before)} run(s) (threshold "
            f"{_pct(th.min_body_ratio)})",
            round(ratio, 4),
            th.min_body_ratio,
        )
    ]


def _new(report: Report) -> int:
    return int((report.get("articles") or {}).get("new") or 0)


#: a quiet streak is flagged only when the earlier runs make it this unlikely (1 in 100):
#: with λ new articles per run before, k quiet runs in a row have probability e^(-λk)
QUIET_STREAK_SURPRISE = math.log(100)


def no_new_articles(current: Report, previous: Sequence[Report], th: Thresholds) -> list[Flag]:
    if th.no_new_runs <= 0 or _new(current):
        return []
    streak = 1
    for r in reversed(previous):
        if _new(r):
            break
        streak += 1
    if streak < th.no_new_runs:
        return []
    before = list(previous[: len(previous) - (streak - 1)])[-th.history_runs :]
    with_new = sum(1 for r in before if _new(r) > 0)
    if not before or with_new * 2 < len(before):
        return []  # the site does not usually have new articles
    rate = sum(_new(r) for r in before) / len(before)
    if rate * streak < QUIET_STREAK_SURPRISE:
        return []  # a quiet spell that the site's usual pace explains (frequent runs)
    return [
        Flag(
            "no_new_articles",
            f"no new article in the last {streak} runs; the {len(before)} runs before found "
            f"{rate:.1f} per run",
            streak,
            th.no_new_runs,
        )
    ]


def discovery(current: Report, previous: Sequence[Report], th: Thresholds) -> list[Flag]:
    """Sources (robots.txt, sitemaps, feeds) that answered in an earlier run of the window and
    have not answered since: flagged in the run they stop and in every run while they stay
    down (a scheduler sees each failing run, not only the first)."""
    if not th.check_discovery:
        return []
    window = [r for r in (_recent(previous, th) or previous[-1:]) if r.get("discovery")]
    if not window:
        return []
    now: Mapping[str, Any] = current.get("discovery") or {}
    hosts = {discovery_host(u) for u in now}
    lost = []
    for url, (before, runs_down) in sorted(_last_answered(window).items()):
        seen = now.get(url)
        if seen is None:
            if discovery_host(url) not in hosts:
                continue
            what = "no longer requested"
        elif answered(seen.get("status")):
            continue
        else:
            status = seen.get("status")
            what = f"HTTP {status}" if status is not None else "no answer"
        if runs_down:
            what += f", down for {runs_down + 1} runs"
        lost.append(f"{before.get('kind')} {url} ({what})")
    if not lost:
        return []
    shown = "; ".join(lost[:3]) + (f"; and {len(lost) - 3} more" if len(lost) > 3 else "")
    return [
        Flag(
            "discovery",
            f"{len(lost)} discovery source(s) that answered before stopped answering: {shown}",
            len(lost),
            0,
        )
    ]


def _last_answered(window: Sequence[Report]) -> dict[str, tuple[Mapping[str, Any], int]]:
    """Per discovery URL of the window: its entry in the newest run where it answered, and in
    how many runs after that one it was down (failed, or not requested while its host was)."""
    found: dict[str, tuple[Mapping[str, Any], int]] = {}
    down: dict[str, int] = {}
    for run in reversed(window):  # newest first
        entries: Mapping[str, Any] = run.get("discovery") or {}
        hosts = {discovery_host(u) for u in entries}
        for url in set(entries) | set(down):
            if url in found:
                continue
            entry = entries.get(url)
            if entry is not None and answered(entry.get("status")):
                found[url] = (entry, down.get(url, 0))
            elif entry is not None or discovery_host(url) in hosts:
                down[url] = down.get(url, 0) + 1
    return found


def _selector_share(report: Report) -> float:
    sample = _sample(report)
    return int(sample.get("selector_dates") or 0) / max(1, int(sample.get("count") or 0))


def selectors(current: Report, previous: Sequence[Report], th: Thresholds) -> list[Flag]:
    flags: list[Flag] = []
    ext = current.get("extraction") or {}
    extracted = int(ext.get("articles") or 0)
    miss = int(ext.get("profile_miss") or 0)
    if extracted >= th.min_articles and miss / extracted > th.max_profile_miss:
        flags.append(
            Flag(
                "selectors",
                f"the profile's selectors matched nothing on {miss} of {extracted} articles "
                f"(threshold {_pct(th.max_profile_miss)})",
                round(miss / extracted, 4),
                th.max_profile_miss,
            )
        )
    if not _judged(current, th):
        return flags
    sample = _sample(current)
    guessed = int(sample.get("layout_guessed") or 0)
    share = guessed / int(sample["count"])
    if current.get("has_profile") and share > th.max_profile_miss:
        flags.append(
            Flag(
                "selectors",
                f"the layout guesser took over on {guessed} of {sample['count']} articles of a "
                f"site with a profile (threshold {_pct(th.max_profile_miss)})",
                round(share, 4),
                th.max_profile_miss,
            )
        )
    before = [_selector_share(r) for r in _recent(previous, th) if _judged(r, th)]
    if before:
        usual = statistics.median(before)
        now = _selector_share(current)
        if usual >= 0.5 and now < usual * (1 - th.max_profile_miss):
            flags.append(
                Flag(
                    "selectors",
                    f"the date selector found {_pct(now)} of the dates (usually "
                    f"{_pct(usual)}): the page layout changed?",
                    round(now, 4),
                    round(usual * (1 - th.max_profile_miss), 4),
                )
            )
    return flags


CHECKS: tuple[Callable[[Report, Sequence[Report], Thresholds], list[Flag]], ...] = (
    extraction_failures,
    dates,
    body_length,
    no_new_articles,
    discovery,
    selectors,
)


def completed(report: Report) -> bool:
    """The run ended on its own: finished, or stopped by a CLOSESPIDER_* limit."""
    reason = str(report.get("finish_reason") or "")
    return reason == "finished" or reason.startswith("closespider_")


def run_checks(current: Report, previous: Sequence[Report], th: Thresholds) -> list[Flag]:
    """Every check's flags; ``previous`` are the same site's earlier reports, oldest first."""
    if not completed(current):
        return []  # a run that was shut down or failed is not judged on its numbers
    usable = [r for r in previous if completed(r)]
    flags: list[Flag] = []
    for check in CHECKS:
        flags.extend(check(current, usable, th))
    return flags
