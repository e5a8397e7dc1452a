"""SyndicationPipeline: link each new record to earlier near-duplicates and to its original.

Runs after the dedup pipeline (a record reaching it is a new article version) and before the
JSON output. For each record it looks up the persistent near-duplicate index
(:mod:`archive.neardup`, every record archived before, any run, any site) and sets:

* ``near_duplicates``: ``[{id, url, similarity}]``, records whose lead+text is at least
  ``NEARDUP_THRESHOLD`` similar, most similar first, one per article (article key,
  :func:`vnnews.urlcanon.article_key`: the canonical URL when it is on the record's own site,
  else the record's URL). Other versions of the record's own article (same article key) are
  versions, not near-duplicates;
* ``syndicated_from``: ``{id, url, decided_by}``, the original this record republishes, when
  one of these says so (first rule that points one way wins):

  1. ``canonical``: the record's ``rel=canonical`` names the other record's page on another
     site (:func:`vnnews.urlcanon.site_key`: ``www.``/``m.``/``amp.`` hosts, scheme and default
     ports are one site);
  2. ``attribution``: the record's ``source`` ("Theo X", "Nguồn: X") names the other record's
     publisher, site or domain (and not the record's own);
  3. ``earlier_published``: the other record was published earlier (at the precision both
     dates have).

  Only records of another outlet (site profile, else site key) count: near-duplicates within
  one site are listed but never called syndication;
* ``syndicated_to``: ``[{id, url, decided_by}]``, copies archived *before* this original (the
  same rules, seen from the other side). Their records were written already and are never
  rewritten: each such link is written as a line ``{id, url, syndicated_from, similarity,
  linked_at, schema_version}`` to ``ARCHIVE_DIR/links/links-*.jsonl`` (``.open`` while the run
  writes it), which ``scrapy export`` merges into the copy's ``syndicated_from``.

The record is then added to the index with its origin, so later records see it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import run_in_thread

from archive.neardup import (
    DocEntry,
    Match,
    NearDupConfigError,
    NearDupIndex,
    open_neardup_index,
    record_text,
)
from pipelines.jsonlines import repair_open_file, writer_alive
from pipelines.schema import SCHEMA_VERSION
from vnnews.paths import JSONL_SUFFIX, OPEN_SUFFIX, ArchivePaths
from vnnews.urlcanon import article_key, site_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

RULES = ("canonical", "attribution", "earlier_published")

# -- Names: does an attribution line name this publisher? ---------------------------------

#: words that name the kind of outlet, not the outlet ("Báo", "Tạp chí", "điện tử"...)
_NAME_PREFIXES = (
    "cong thong tin dien tu",
    "trang thong tin dien tu",
    "trang tin dien tu",
    "cong thong tin",
    "bao dien tu",
    "tap chi",
    "bao",
    "dai",
    "bao moi",
)
_NAME_SUFFIXES = ("dien tu", "online", "news")
#: domain labels that are not the outlet's name
_DOMAIN_LABELS = {"www", "m", "amp", "vn", "com", "net", "org", "gov", "edu", "info", "tv", "int"}
_HOSTLIKE = re.compile(r"^[\w-]+(\.[\w-]+)+(/.*)?$")


def fold(text: str) -> str:
    """Lower case, no tone marks or diacritics (đ -> d), words separated by one space."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", bare))


def name_keys(name: str | None) -> set[str]:
    """Comparable keys of an outlet name: "Báo Nhân Dân điện tử" -> {"nhandan", ...};
    "nhandan.vn" -> {"nhandan"}; "Thông tấn xã Việt Nam" -> also its initials "ttxvn"."""
    if not name:
        return set()
    name = name.strip()
    keys: set[str] = set()
    if _HOSTLIKE.match(name) and " " not in name:
        host = name.split("/")[0].lower()
        labels = [x for x in host.split(".") if x not in _DOMAIN_LABELS]
        if labels and not all(x.isdigit() for x in labels):
            keys.add(fold(labels[-1]).replace(" ", ""))
        return {k for k in keys if len(k) >= 3}
    folded = fold(name)
    keys.add(folded.replace(" ", ""))
    stripped = folded
    for prefix in _NAME_PREFIXES:
        if stripped.startswith(prefix + " "):
            stripped = stripped[len(prefix) + 1 :]
            break
    for suffix in _NAME_SUFFIXES:
        if stripped.endswith(" " + suffix):
            stripped = stripped[: -len(suffix) - 1]
    keys.add(stripped.replace(" ", ""))
    words = stripped.split()
    if len(words) >= 3:
        keys.add("".join(w[0] for w in words))
    return {k for k in keys if len(k) >= 3}


def outlet(entry: DocEntry) -> str:
    """Who published a record: its site profile, else its site key (host without
    ``www.``/``m.``/``amp.``, port when not the default)."""
    return entry.site or site_key(entry.url)


def outlet_names(entry: DocEntry) -> set[str]:
    keys = name_keys(entry.publisher) | name_keys(entry.site)
    keys |= name_keys(urlsplit(entry.url).hostname or "")
    return keys


def names_outlet(source: str | None, entry: DocEntry) -> bool:
    """Whether an attribution ``source`` names the outlet of ``entry``."""
    return bool(name_keys(source) & outlet_names(entry))


# -- Direction of one pair ------------------------------------------------------------------


def cross_host(entry: DocEntry) -> bool:
    """The record's canonical link points to another site (:func:`vnnews.urlcanon.site_key`):
    then the record is its own article (:func:`article`), a copy naming its original."""
    return site_key(entry.url) != site_key(entry.canonical_url)


def article(entry: DocEntry) -> str:
    """The article a record is a version of (:func:`vnnews.urlcanon.article_key`, the key the
    dedup index numbers versions by)."""
    return article_key(entry.url, entry.canonical_url)


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def earlier(a: DocEntry, b: DocEntry) -> bool | None:
    """Whether ``a`` was published before ``b``; None when the dates cannot say."""
    pa, pb = _parse(a.published), _parse(b.published)
    if pa is None or pb is None:
        return None
    if "day" in (a.published_precision, b.published_precision):
        da, db = (a.published or "")[:10], (b.published or "")[:10]
        return None if da == db else da < db
    return None if pa == pb else pa < pb


def direction(record: DocEntry, other: DocEntry) -> tuple[int, str] | None:
    """(+1, rule): ``record`` copies ``other``; (-1, rule): ``other`` copies ``record``;
    None: nothing says which is the original. The first rule that points one way wins."""
    copies = record.canonical_url in (other.url, other.canonical_url) and cross_host(record)
    copied = other.canonical_url in (record.url, record.canonical_url) and cross_host(other)
    if copies != copied:
        return (1 if copies else -1), "canonical"
    copies = names_outlet(record.source, other) and not names_outlet(record.source, record)
    copied = names_outlet(other.source, record) and not names_outlet(other.source, other)
    if copies != copied:
        return (1 if copies else -1), "attribution"
    first = earlier(other, record)
    if first is not None:
        return (1 if first else -1), "earlier_published"
    return None


def same_article(record: DocEntry, other: DocEntry) -> bool:
    """Another version of the record's own article (not a near-duplicate)."""
    return other.id == record.id or article(other) == article(record)


@dataclass
class Links:
    """What the pipeline sets on one record, and the late links to write."""

    near_duplicates: list[dict[str, Any]]
    syndicated_from: dict[str, Any] | None
    syndicated_to: list[dict[str, Any]]
    late: list[tuple[Match, str]]


def decide(record: DocEntry, matches: list[Match], by_canonical: list[DocEntry]) -> Links:
    """Near-duplicates and syndication links of ``record`` (pure; the pipeline does the I/O).

    ``matches``: near-duplicates from the index; ``by_canonical``: indexed records whose URL
    is the record's canonical URL or whose canonical URL is the record's URL (rule 1 holds
    even when the texts differ more than the threshold)."""
    best: dict[str, Match] = {}
    for match in matches:
        if same_article(record, match.entry):
            continue
        key = article(match.entry)
        if key not in best or match.similarity > best[key].similarity:
            best[key] = match
    near = sorted(best.values(), key=lambda m: (-m.similarity, m.entry.id))
    pairs = {m.entry.id: m for m in near}
    for entry in by_canonical:
        if entry.id not in pairs and not same_article(record, entry):
            pairs[entry.id] = Match(entry, 0.0)
    sources: list[tuple[int, str, str, float, str, Match]] = []
    copies: list[tuple[Match, str]] = []
    for match in pairs.values():
        other = match.entry
        if outlet(other) == outlet(record) and not (cross_host(record) or cross_host(other)):
            continue  # one outlet's own near-duplicates are not syndication
        found = direction(record, other)
        if found is None:
            continue
        sign, rule = found
        if sign > 0:
            when = _parse(other.published)
            order = when.astimezone(UTC).isoformat() if when else "~"
            sources.append((RULES.index(rule), order, rule, -match.similarity, other.id, match))
        elif other.origin is None:
            copies.append((match, rule))
    syndicated_from = None
    if sources:
        _, _, rule, _, _, match = min(sources, key=lambda s: s[:2] + s[3:5])
        syndicated_from = {"id": match.entry.id, "url": match.entry.url, "decided_by": rule}
    copies.sort(key=lambda c: c[0].entry.id)
    return Links(
        near_duplicates=[
            {"id": m.entry.id, "url": m.entry.url, "similarity": m.similarity} for m in near
        ],
        syndicated_from=syndicated_from,
        syndicated_to=[
            {"id": m.entry.id, "url": m.entry.url, "decided_by": rule} for m, rule in copies
        ],
        late=copies,
    )


# -- The pipeline ---------------------------------------------------------------------------


class LinkWriter:
    """``ARCHIVE_DIR/links/links-{stamp}-{pid}.jsonl``: opened on the first link, ``.open``
    until the run closes it; leftovers of killed runs are repaired like the JSON records."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.path: Path | None = None
        self.fh: IO[bytes] | None = None
        self.count = 0

    def repair(self) -> int:
        if not self.dir.is_dir():
            return 0
        repaired = 0
        for leftover in sorted(self.dir.glob(f"*{JSONL_SUFFIX}{OPEN_SUFFIX}")):
            if not writer_alive(leftover):
                repair_open_file(leftover)
                repaired += 1
        return repaired

    def write(self, line: dict[str, Any]) -> None:
        if self.fh is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
            name = f"links-{stamp}-{os.getpid()}{JSONL_SUFFIX}{OPEN_SUFFIX}"
            self.path = self.dir / name
            self.fh = open(self.path, "xb")  # noqa: SIM115 - held open for the whole run
        data = json.dumps(line, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        self.fh.write(data.encode("utf-8") + b"\n")
        self.fh.flush()
        self.count += 1

    def close(self) -> None:
        if self.fh is None or self.path is None:
            return
        self.fh.close()
        self.fh = None
        self.path.rename(self.path.with_name(self.path.name.removesuffix(OPEN_SUFFIX)))


class SyndicationPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.threshold = settings.getfloat("NEARDUP_THRESHOLD")
        self.max_results = settings.getint("NEARDUP_MAX_RESULTS")
        self.candidates = settings.getint("NEARDUP_CANDIDATES")
        self.links = LinkWriter(ArchivePaths.of(settings["ARCHIVE_DIR"]).links_dir)
        self.index: NearDupIndex | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SyndicationPipeline:
        if not crawler.settings.getbool("NEARDUP_ENABLED"):
            raise NotConfigured("near-duplicate links are off; set NEARDUP_ENABLED=True")
        return cls(crawler)

    def open_spider(self) -> None:
        try:
            self.index = open_neardup_index(self.crawler.settings)
        except NearDupConfigError as exc:
            raise NotConfigured(str(exc)) from exc
        repaired = self.links.repair()
        if repaired:
            logger.warning("Repaired %d links file(s) left by an interrupted run", repaired)

    def close_spider(self) -> None:
        self.links.close()
        if self.index is not None:
            self.index.close()
            self.index = None

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, dict) or not item.get("id") or not item.get("url"):
            return item
        links = await run_in_thread(self.link, item)
        item["near_duplicates"] = links.near_duplicates
        item["syndicated_from"] = links.syndicated_from
        item["syndicated_to"] = links.syndicated_to
        self._inc("syndication/records")
        if links.near_duplicates:
            self._inc("syndication/with_near_duplicates")
        if links.syndicated_from:
            self._inc(f"syndication/from/{links.syndicated_from['decided_by']}")
        if links.late:
            self._inc("syndication/late_links", len(links.late))
        return item

    def link(self, record: dict[str, Any]) -> Links:
        """Look up, decide, store (one record at a time in this process)."""
        index = self.index
        assert index is not None, "open_spider was not called"
        signature = index.signer.signature(record_text(record))
        entry = DocEntry.from_record(record)
        with self._lock:
            matches = index.query(signature, self.threshold, self.max_results, self.candidates)
            related = (
                [e for e in index.find_by_url(entry.canonical_url) if e.url == entry.canonical_url]
                if cross_host(entry)
                else []
            )
            related += [e for e in index.find_by_url(entry.url) if cross_host(e)]
            links = decide(entry, matches, related)
            origin = links.syndicated_from["id"] if links.syndicated_from else None
            index.add(DocEntry.from_record(record, origin=origin), signature)
            now = datetime.now(UTC).isoformat(timespec="seconds")
            for match, rule in links.late:
                if not index.set_origin(match.entry.id, entry.id):
                    continue  # another crawler linked it meanwhile
                self.links.write(
                    {
                        "id": match.entry.id,
                        "url": match.entry.url,
                        "syndicated_from": {"id": entry.id, "url": entry.url, "decided_by": rule},
                        "similarity": match.similarity,
                        "linked_at": now,
                        "schema_version": SCHEMA_VERSION,
                    }
                )
        return links
