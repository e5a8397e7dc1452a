"""vn-dev: real 2025-2026 Vietnamese pages with gold, split into development and held-out groups.

``../shared/corpus/vn-dev/`` (``VNNEWS_SHARED`` overrides ``../shared``) holds saved pages and
``gold.json`` written by reading each page (its README gives the schema). ``bench/heldout.toml``
splits them by whole sites: the held-out group is of sites no rule was written against, and its
per-page results are never printed (only group totals), so nobody tunes on them.

Systems, all run on the same pages in the same process:

* ``ours``: ``extraction.article.extract_article(html, url, fetched_at=gold fetched_at,
  profile=<the profile the URL maps to, if any>)``, as a crawl or ``scrapy extract`` calls it;
* ``ours (no profile)``: the same with ``profile=None`` (layout guesser, then the generic path);
* ``trafilatura``: bare ``trafilatura.bare_extraction(html, url=url, with_metadata=True)``;
* ``htmldate``: ``htmldate.find_date(html, url=url, original_date=True,
  outputformat="%Y-%m-%dT%H:%M:%S%z")`` (its default extensive search), scored on dates only.

Scoring rules (per page; a group's figure is the sum over its pages):

* Normalisation of every string compared (gold and output alike), :func:`norm`: Unicode NFC;
  U+00D0 ``Ð`` -> U+0110 ``Đ`` and U+00F0 ``ð`` -> U+0111 ``đ``; zero-width characters
  (U+200B-U+200D, U+2060, U+FEFF) and soft hyphens (U+00AD) removed; every run of Unicode
  whitespace (no-break spaces included) -> one space; stripped. No HTML unescaping (an output
  holding ``&amp;`` is wrong) and no case folding, except where said below.
* Containment, :func:`contains`: after :func:`norm`, spaces are also dropped before
  ``, . ; : ! ? … % ) ] }`` and after ``( [ {`` on both sides (extractors differ in the space they
  put around inline tags), then a plain substring test.
* Body sentences: each gold ``must_include`` string is split into sentences (:func:`sentences`:
  after ``.``, ``!``, ``?`` or ``…`` (closing quotes/brackets allowed) followed by whitespace and
  an upper-case letter, a digit or an opening quote; never after a one-to-three-letter
  capitalised abbreviation such as ``TP.`` or ``PGS.``; pieces under three words join the
  previous one). A sentence is found when it is contained in the system's body: for ``ours``
  the record's ``lead`` and ``text`` (one record carries the sapo apart from the text), for
  trafilatura its ``text``. Reported as found / total sentences over a group's article pages.
* Leaks: the number of gold ``must_exclude`` strings (related headlines, recent-news lists,
  captions that are not story text, widgets, footer lines) contained in that same body.
* Records missing: article pages for which the system returned no record (``ExtractionError``,
  ``None`` or fewer than one word of text). A missing record gets every other field wrong.
* Attribution: the record's ``source`` equals the gold ``source`` after :func:`norm` (both null
  counts as right). Trafilatura has no attribution field: it is scored as null.
* Title: ``norm(title) == norm(gold title)``.
* Date: right to the minute with offset when the output parses as an ISO 8601 datetime
  carrying a UTC offset equal to the gold's and the same wall-clock date, hour and minute
  (seconds ignored). A date without a time or without an offset is wrong. ``day`` (same
  calendar date as written) is reported beside it.
* Authors: the record's author list equals the gold's as multisets after :func:`norm` and
  case folding (``[]`` equals ``[]``). Trafilatura's ``author`` is split on ``;``.
* Language: the primary subtag of the output's language equals the gold's (``vi``).
* Non-articles: a page with ``is_article: false`` is refused when ``ours`` raises
  ``ExtractionError`` (``scrapy extract`` then exits non-zero with a one-line message) or
  trafilatura returns ``None``/no text.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
import sys
import time
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from htmldate import find_date  # noqa: E402

from extraction.article import ExtractionError, extract_article  # noqa: E402
from vnnews.profiles import ProfileRegistry, SiteProfile  # noqa: E402

SHARED = Path(os.environ.get("VNNEWS_SHARED", ROOT.parent / "shared"))
VNDEV = SHARED / "corpus" / "vn-dev"
SPLIT_FILE = Path(__file__).resolve().parent / "heldout.toml"
#: "dev-2": bench/devpages, real pages of the sites that bench/realpages/README.md's split rule
#: gives to development (per-page misses printed, like "dev"); "unseen": bench/realpages, real
#: pages of the sites that rule holds out, none of them ever run while tuning (totals only).
#: Neither is gated by bench/floors.json.
GROUPS = ("dev", "held-out", "dev-2", "unseen")
#: Groups whose per-page misses of ``ours`` are printed; every other group: totals only.
DETAIL_GROUPS = ("dev", "dev-2")
REALPAGES = ROOT / "bench" / "realpages"
DEVPAGES = ROOT / "bench" / "devpages"
SYSTEMS = ("ours", "ours (no profile)", "trafilatura", "htmldate")
# Columns of the per-field table: (key, heading).
FIELDS = (
    ("body", "body sentences"),
    ("leaks", "leaks"),
    ("missing", "records missing"),
    ("source", "attribution"),
    ("title", "title"),
    ("minute", "date (minute+offset)"),
    ("day", "date (day)"),
    ("authors", "authors"),
    ("language", "language"),
    ("refused", "non-articles refused"),
)

# --- normalisation and matching ---

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_ETH = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})
_SPACE_BEFORE = re.compile(r" ([,.;:!?…%)\]}])")
_SPACE_AFTER = re.compile(r"([(\[{]) ")


def norm(text: str | None) -> str:
    """NFC, Ð->Đ, ð->đ, zero-width characters dropped, whitespace runs collapsed, stripped."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH).translate(_ETH)
    return " ".join(text.split())


def match_key(text: str | None) -> str:
    """:func:`norm` plus no space before closing punctuation or after opening brackets."""
    return _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", norm(text)))


def contains(haystack_key: str, needle: str) -> bool:
    """Is ``needle`` in the text whose :func:`match_key` is ``haystack_key``?"""
    key = match_key(needle)
    return bool(key) and key in haystack_key


_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")
_ABBREVIATION = re.compile(r"(?:^|\s)[A-ZĐ][\w]{0,2}\.$")


def sentences(text: str) -> list[str]:
    """Split a gold string into sentences (rules in the module docstring)."""
    text = norm(text)
    pieces: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        nxt = text[m.end() : m.end() + 1]
        if not nxt or not (nxt.isupper() or nxt.isdigit() or nxt in "\"'“‘(["):
            continue
        head = text[start : m.end()].rstrip()
        if _ABBREVIATION.search(head):
            continue
        pieces.append(head)
        start = m.end()
    pieces.append(text[start:].strip())
    out: list[str] = []
    for piece in filter(None, pieces):
        if out and len(piece.split()) < 3:
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def minute_ok(got: str | None, gold: str) -> bool:
    """Same wall-clock minute and the same UTC offset as the gold (rules above)."""
    got_dt, gold_dt = _parse_iso(got), _parse_iso(gold)
    if got_dt is None or gold_dt is None or got_dt.tzinfo is None or not _has_time(got):
        return False
    same_offset = got_dt.utcoffset() == gold_dt.utcoffset()
    wall = got_dt.replace(second=0, microsecond=0, tzinfo=None)
    return same_offset and wall == gold_dt.replace(second=0, microsecond=0, tzinfo=None)


def day_ok(got: str | None, gold: str) -> bool:
    return bool(got) and str(got)[:10] == gold[:10]


def _has_time(value: str | None) -> bool:
    return bool(value) and len(str(value)) > 10 and "T" in str(value)


def _parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None


def authors_ok(got: Iterable[str], gold: Iterable[str]) -> bool:
    return sorted(norm(a).casefold() for a in got) == sorted(norm(a).casefold() for a in gold)


def language_ok(got: str | None, gold: str | None) -> bool:
    primary = (got or "").lower().replace("_", "-").split("-")[0]
    return bool(primary) and primary == (gold or "").lower()


# --- the corpus and its split ---


@dataclass(frozen=True)
class Split:
    rule: str
    dev_hosts: tuple[str, ...]
    heldout_files: tuple[str, ...]
    dev_files: tuple[str, ...]

    def group(self, file: str, url: str) -> str:
        """``dev`` only for listed dev files of dev hosts; everything else is held out."""
        if file in self.heldout_files:
            return "held-out"
        if file in self.dev_files and host(url) in self.dev_hosts:
            return "dev"
        return "held-out"  # rule 4: a page added later is held out unless its host is a dev host


def host(url: str) -> str:
    name = (urlsplit(url).hostname or "").lower()
    return name.removeprefix("www.")


def load_split(path: Path = SPLIT_FILE) -> Split:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return Split(
        rule=str(data["rule"]),
        dev_hosts=tuple(data["dev_hosts"]),
        heldout_files=tuple(data["heldout_files"]),
        dev_files=tuple(data["dev_files"]),
    )


@dataclass(frozen=True)
class Page:
    file: str
    group: str
    gold: dict[str, Any]
    html: bytes

    @property
    def is_article(self) -> bool:
        return bool(self.gold.get("is_article", True))


def load_pages(root: Path = VNDEV, split: Split | None = None) -> list[Page]:
    """Every gold page of vn-dev with its group; a clear error when the corpus is missing."""
    gold_file = root / "gold.json"
    if not gold_file.is_file():
        raise FileNotFoundError(
            f"vn-dev corpus not found at {root} (gold.json missing); put ../shared beside the "
            "checkout or set VNNEWS_SHARED to the shared directory"
        )
    split = split or load_split()
    pages = []
    for gold in json.loads(gold_file.read_text(encoding="utf-8")):
        file = gold["file"]
        pages.append(
            Page(file, split.group(file, gold["url"]), gold, (root / "pages" / file).read_bytes())
        )
    return pages


def _load_group(root: Path, group: str) -> list[Page]:
    """The pages listed in ``root/gold.json`` (vn-dev's schema), all in ``group``; none when the
    folder has no gold.json."""
    gold_file = root / "gold.json"
    if not gold_file.is_file():
        return []
    return [
        Page(gold["file"], group, gold, (root / "pages" / gold["file"]).read_bytes())
        for gold in json.loads(gold_file.read_text(encoding="utf-8"))
    ]


def load_unseen(root: Path = REALPAGES) -> list[Page]:
    """The pages of bench/realpages, all in the ``unseen`` group (totals only)."""
    return _load_group(root, "unseen")


def load_devpages(root: Path = DEVPAGES) -> list[Page]:
    """The pages of bench/devpages, all in the ``dev-2`` group (per-page misses printed)."""
    return _load_group(root, "dev-2")


#: Sites of bench/realpages before its split rule was written (2026-12-04): held out for good.
FIRST_UNSEEN_SITES = ("tienphong.vn", "baomoi.com", "vietnamplus.vn")
#: Sites moved from ``unseen`` to ``dev-2`` after they were measured, with when and why
#: (bench/realpages/README.md, "Split"); their figures before the move are in that README.
MOVED_TO_DEV = {
    "vietnamnet.vn": "2026-12-04: the unseen group (8 pages) showed 5 boilerplate leaks against "
    "trafilatura's 0 and the development pages showed none; the one site with two pages there "
    "was moved to development to find the cause",
}


def real_site_group(site: str, split: Split | None = None) -> str:
    """The group a page of ``site`` (a host without ``www.``) goes to: ``dev-2`` or ``unseen``.

    The rule of bench/realpages/README.md, decided before any of these pages was measured:

    0. a site moved to development after it was measured (:data:`MOVED_TO_DEV`) -> ``dev-2``;
    1. a site held out anywhere already (vn-dev's held-out group, :data:`FIRST_UNSEEN_SITES`)
       -> ``unseen``;
    2. a development site of vn-dev (``dev_hosts`` of bench/heldout.toml) -> ``dev-2``;
    3. any other site: ``dev-2`` when the first hex digit of sha256(site) is 0-4 (5 of 16,
       about a third of the sites), else ``unseen``.
    """
    split = split or load_split()
    if site in MOVED_TO_DEV:
        return "dev-2"
    if site in FIRST_UNSEEN_SITES or site in _vndev_heldout_sites(split):
        return "unseen"
    if site in split.dev_hosts:
        return "dev-2"
    return "dev-2" if hashlib.sha256(site.encode()).hexdigest()[0] in "01234" else "unseen"


def _vndev_heldout_sites(split: Split) -> set[str]:
    try:
        return {host(p.gold["url"]) for p in load_pages(split=split) if p.group == "held-out"}
    except FileNotFoundError:  # no shared corpus here: the hosts named in heldout.toml's files
        return {"tienphong.vn", "soha.vn", "e.vnexpress.net"}


def load_real_groups() -> list[Page]:
    """vn-dev (dev, held-out), bench/devpages (dev-2) and bench/realpages (unseen)."""
    return [*load_pages(), *load_devpages(), *load_unseen()]


def corpus_files(root: Path = VNDEV) -> list[Path]:
    """The files the vn-dev figures are measured on (for the floors' digest)."""
    return [root / "gold.json", *sorted((root / "pages").glob("*.html")), SPLIT_FILE]


# --- systems ---


@dataclass
class Output:
    """One system's answer on one page (``record`` False: no record / refused)."""

    record: bool
    title: str | None = None
    published: str | None = None
    authors: list[str] = field(default_factory=list)
    lead: str = ""
    text: str = ""
    language: str | None = None
    source: str | None = None
    seconds: float = 0.0


def _fetched_at(page: Page) -> datetime:
    return datetime.fromisoformat(page.gold["fetched_at"].replace("Z", "+00:00"))


def run_ours(page: Page, profile: SiteProfile | None) -> Output:
    started = time.perf_counter()
    try:
        rec = extract_article(page.html, page.gold["url"], fetched_at=_fetched_at(page),
                              profile=profile)  # fmt: skip
    except ExtractionError:
        return Output(record=False, seconds=time.perf_counter() - started)
    text = str(rec.get("text") or "")
    return Output(
        record=bool(text.split()),
        title=rec.get("title"),
        published=rec.get("published"),
        authors=list(rec.get("authors") or []),
        lead=str(rec.get("lead") or ""),
        text=text,
        language=rec.get("language"),
        source=rec.get("source"),
        seconds=time.perf_counter() - started,
    )


def run_trafilatura(page: Page) -> Output:
    started = time.perf_counter()
    doc: Any = trafilatura.bare_extraction(page.html, url=page.gold["url"], with_metadata=True)
    seconds = time.perf_counter() - started
    if doc is None or not (doc.text or "").split():
        return Output(record=False, seconds=seconds)
    return Output(
        record=True,
        title=doc.title,
        published=doc.date,
        authors=[a.strip() for a in (doc.author or "").split(";") if a.strip()],
        text=doc.text or "",
        language=doc.language,
        seconds=seconds,
    )


def run_htmldate(page: Page) -> Output:
    started = time.perf_counter()
    found = find_date(page.html, url=page.gold["url"], original_date=True,
                      outputformat="%Y-%m-%dT%H:%M:%S%z")  # fmt: skip
    return Output(record=found is not None, published=found, seconds=time.perf_counter() - started)


# --- scoring ---


@dataclass
class Score:
    """One page, one system. Counters; ``None`` where the field does not apply."""

    sentences: int = 0
    found: int = 0
    leaks: int = 0
    missing: int = 0
    checks: dict[str, bool] = field(default_factory=dict)
    missed_sentences: list[str] = field(default_factory=list)
    leaked: list[str] = field(default_factory=list)


def score_page(page: Page, out: Output, system: str) -> Score:
    gold = page.gold
    score = Score()
    if not page.is_article:
        score.checks["refused"] = not out.record
        return score
    if system == "htmldate":
        score.checks["minute"] = minute_ok(out.published, gold["published"])
        score.checks["day"] = day_ok(out.published, gold["published"])
        return score
    body_key = match_key(f"{out.lead}\n{out.text}") if out.record else ""
    for item in gold["must_include"]:
        for sentence in sentences(item):
            score.sentences += 1
            if contains(body_key, sentence):
                score.found += 1
            else:
                score.missed_sentences.append(sentence)
    score.leaked = [s for s in gold["must_exclude"] if contains(body_key, s)]
    score.leaks = len(score.leaked)
    score.missing = int(not out.record)
    ok = out.record
    score.checks = {
        "source": ok and norm(out.source) == norm(gold.get("source")),
        "title": ok and norm(out.title) == norm(gold["title"]),
        "minute": ok and minute_ok(out.published, gold["published"]),
        "day": ok and day_ok(out.published, gold["published"]),
        "authors": ok and authors_ok(out.authors, gold["authors"]),
        "language": ok and language_ok(out.language, gold.get("language")),
    }
    return score


@dataclass
class GroupTotals:
    pages: int = 0
    articles: int = 0
    non_articles: int = 0
    sentences: int = 0
    found: int = 0
    leaks: int = 0
    missing: int = 0
    right: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, page: Page, score: Score, seconds: float) -> None:
        self.pages += 1
        self.articles += page.is_article
        self.non_articles += not page.is_article
        self.sentences += score.sentences
        self.found += score.found
        self.leaks += score.leaks
        self.missing += score.missing
        self.seconds += seconds
        for key, ok in score.checks.items():
            self.right[key] = self.right.get(key, 0) + bool(ok)

    def cell(self, key: str, system: str) -> str:
        if system == "htmldate" and key not in ("minute", "day"):
            return "–"
        if key == "body":
            share = self.found / self.sentences if self.sentences else 0.0
            return f"{share:.0%} ({self.found}/{self.sentences})"
        if key == "leaks":
            return f"{self.leaks} ({self.leaks / max(1, self.articles):.2f}/page)"
        if key == "missing":
            return f"{self.missing} of {self.articles}"
        if key == "refused":
            return f"{self.right.get('refused', 0)}/{self.non_articles}"
        return f"{self.right.get(key, 0)}/{self.articles}"

    def figures(self) -> dict[str, float]:
        """Shares (0..1) per field, the form bench/floors.json keeps; leaks and missing as counts
        per article page (lower is better)."""
        arts, nons = max(1, self.articles), max(1, self.non_articles)
        out = {
            "body": self.found / self.sentences if self.sentences else 0.0,
            "leaks_per_page": self.leaks / arts,
            "missing_per_page": self.missing / arts,
            **{k: self.right.get(k, 0) / arts for k in ("source", "title", "minute", "authors")},
            "language": self.right.get("language", 0) / arts,
        }
        if self.non_articles:
            out["refused"] = self.right.get("refused", 0) / nons
        return {k: round(v, 4) for k, v in out.items()}


@dataclass
class VnDevResult:
    totals: dict[tuple[str, str], GroupTotals]  # (group, system)
    dev_details: list[str]  # per-page misses of ours, DETAIL_GROUPS only
    files: dict[str, list[str]]  # group -> files


def run_vndev(pages: Sequence[Page] | None = None, systems: Iterable[str] = SYSTEMS) -> VnDevResult:
    pages = list(pages) if pages is not None else load_pages()
    registry = ProfileRegistry.load()
    runners: dict[str, Callable[[Page], Output]] = {
        "ours": lambda p: run_ours(p, registry.for_url(p.gold["url"])),
        "ours (no profile)": lambda p: run_ours(p, None),
        "trafilatura": run_trafilatura,
        "htmldate": run_htmldate,
    }
    chosen = [s for s in systems if s in runners]
    totals: dict[tuple[str, str], GroupTotals] = {}
    details: list[str] = []
    files: dict[str, list[str]] = {}
    for page in pages:
        files.setdefault(page.group, []).append(page.file)
        for system in chosen:
            if system == "htmldate" and not page.is_article:
                continue
            out = runners[system](page)
            score = score_page(page, out, system)
            totals.setdefault((page.group, system), GroupTotals()).add(page, score, out.seconds)
            if system == "ours" and page.group in DETAIL_GROUPS:
                details.extend(_details(page, out, score))
    return VnDevResult(totals, details, files)


def _details(page: Page, out: Output, score: Score) -> list[str]:
    lines = []
    name = page.file if page.group == "dev" else f"{page.group} {page.file}"
    if not page.is_article:
        if not score.checks["refused"]:
            lines.append(f"{name}: non-article page not refused")
        return lines
    if score.missing:
        return [f"{name}: no record"]
    for sentence in score.missed_sentences:
        lines.append(f"{name}: body sentence missing: {sentence[:90]!r}")
    for leak in score.leaked:
        lines.append(f"{name}: leak: {leak[:90]!r}")
    wanted = {
        "source": (out.source, page.gold.get("source")),
        "title": (out.title, page.gold["title"]),
        "minute": (out.published, page.gold["published"]),
        "authors": (out.authors, page.gold["authors"]),
        "language": (out.language, page.gold.get("language")),
    }
    for key, (got, gold) in wanted.items():
        if not score.checks[key]:
            lines.append(f"{name}: {key}: got {got!r}, gold {gold!r}")
    return lines


def vndev_tables(result: VnDevResult) -> str:
    parts = []
    for group in GROUPS:
        files = result.files.get(group, [])
        if not files:
            continue
        parts += [
            f"### {group}: {len(files)} pages ({', '.join(sorted(files))})",
            "",
            "| system | " + " | ".join(h for _, h in FIELDS) + " |",
            "| --- |" + " ---: |" * len(FIELDS),
        ]
        for system in SYSTEMS:
            totals = result.totals.get((group, system))
            if totals is None:
                continue
            cells = [totals.cell(key, system) for key, _ in FIELDS]
            parts.append(f"| {system} | " + " | ".join(cells) + " |")
        parts.append("")
    if result.dev_details:
        parts += [
            "Misses of `ours` on the development pages (dev, dev-2; held-out and unseen pages: "
            "totals only):",
            "",
        ]
        parts += [f"- {html.escape(line, quote=False)}" for line in result.dev_details]
    else:
        parts.append("No misses of `ours` on the development pages.")
    return "\n".join(parts)


# --- the layout guesser, leaving the page's own site / family out ---

LOO_VARIANTS = ("full table", "leave-one-site-out", "leave-own-family-out", "no guessing")


@contextmanager
def guesser(guess: Callable[..., SiteProfile | None]) -> Iterator[None]:
    """Replace the layout guesser that ``extract_article`` calls, for the duration of one
    no-profile extraction.

    Every ``extraction.*`` module holding the original ``guess_profile`` gets ``guess``. When the
    block ends without a call to it, extraction no longer reaches the guesser this way and the
    leave-one-out figures would be meaningless: RuntimeError.
    """
    from extraction import layouts

    original = layouts.guess_profile
    calls = 0

    def counted(*args: Any, **kwargs: Any) -> SiteProfile | None:
        nonlocal calls
        calls += 1
        return guess(*args, **kwargs)

    patched = [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("extraction.") and getattr(module, "guess_profile", None) is original
    ]
    for module in patched:
        setattr(module, "guess_profile", counted)  # noqa: B010
    try:
        yield
    finally:
        for module in patched:
            setattr(module, "guess_profile", original)  # noqa: B010
    if not calls:
        raise RuntimeError(
            "extract_article(profile=None) did not call extraction.layouts.guess_profile; "
            "update bench/eval_vndev.py guesser() to the new call path"
        )


def loo_guessers(site: str, tree_family: str | None) -> dict[str, Callable[..., Any]]:
    """The four variants for a page of ``site`` whose full-table guess is ``tree_family``.

    * full table: every family of extraction/layouts.toml;
    * leave-one-site-out: families known only from the page's site removed (their ``sites``
      list nothing else), as tests/test_layouts.py does;
    * leave-own-family-out: every family listing the page's site removed, and the family the
      full table picks for the page, so the page is a CMS the table does not know;
    * no guessing: the generic path only.
    """
    from extraction.layouts import LAYOUTS, guess_profile, without_sites

    loo_site = without_sites([site])
    own = tuple(
        lay for lay in LAYOUTS if site not in lay.sites and f"_layout:{lay.name}" != tree_family
    )

    def with_table(table: Sequence[Any]) -> Callable[..., SiteProfile | None]:
        def guess(tree: Any, url: str = "", **_: Any) -> SiteProfile | None:
            return guess_profile(tree, url, layouts=table)

        return guess

    def none(tree: Any, url: str = "", **_: Any) -> None:
        return None

    return {
        "full table": guess_profile,
        "leave-one-site-out": with_table(loo_site),
        "leave-own-family-out": with_table(own),
        "no guessing": none,
    }


def family_of(
    page_html: bytes, url: str, headers: dict[str, list[str]] | None = None
) -> str | None:
    """The name of the profile the full-table guess builds for a page (None: no guess)."""
    from extraction.article import decode_html, parse_html
    from extraction.layouts import guess_profile

    guessed = guess_profile(parse_html(decode_html(page_html, headers)), url)
    return guessed.name if guessed else None


def site_name(url: str, registry: ProfileRegistry) -> str:
    """The profile name a URL maps to (the families' ``sites`` use them), else its host."""
    profile = registry.for_url(url)
    return profile.name if profile else host(url)


def run_layout_loo(pages: Sequence[Page] | None = None) -> dict[tuple[str, str], GroupTotals]:
    """vn-dev article pages with no profile, under each guesser variant, per group."""
    pages = [p for p in (pages if pages is not None else load_pages()) if p.is_article]
    registry = ProfileRegistry.load()
    totals: dict[tuple[str, str], GroupTotals] = {}
    for page in pages:
        family = family_of(page.html, page.gold["url"])
        variants = loo_guessers(site_name(page.gold["url"], registry), family)
        for variant, guess in variants.items():
            with guesser(guess):
                out = run_ours(page, None)
            score = score_page(page, out, "ours")
            totals.setdefault((page.group, variant), GroupTotals()).add(page, score, out.seconds)
    return totals


def corpus_digest(paths: Iterable[Path]) -> str:
    """sha256 over (name, bytes) of each file, in order (names relative to their corpus)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    print(vndev_tables(run_vndev(load_real_groups())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
