"""``scrapy reprocess WARC... -o OUT.jsonl``: re-extract articles from WARC files, offline.

Every HTML 200 response in the given WARC/ARC files (ours or other tools': warcio,
pywb, wget, wpull, Common Crawl...) goes through ``extraction.article.extract_article``
with ``fetched_at`` = its WARC-Date and the site profile of its URL. Revisits are
resolved to their original payload (``WARC-Refers-To``, then ``WARC-Refers-To-Target-URI``
and ``-Date``, then the payload digest; first in the given files, then in
``ARCHIVE_DIR``'s CDXJ index). Records carry the ``warc`` location of the capture.

WARCs written by this project's crawls give the crawl's own records: each file's
``warcinfo`` names the profile (``-a site=``) and start URLs (a mirror) the crawl used, and
pages go to extraction only when the crawl would have sent them there (the profile's URL
patterns, else the page's markup; AMP/print variants folded), so home, section and
pagination pages stay listings. ``--site NAME`` forces a profile (and that decision) for
every file. WARCs of other tools: every HTML page is extracted.

The discovery hints a crawl handed to the extraction with a page (news-sitemap publication
date, sitemap ``lastmod``, feed dates: where ``published``/``modified`` come from on sites
whose pages carry no date) are read from the ``WARC-Vnnews-Hints`` field of the exchange's
``request`` record (written just before its response/revisit, ``WARC-Concurrent-To`` naming
it); a revisit gets its own request's hints, not its original's.

Versions follow the dedup rules: per article (its canonical URL when that is on the page's
own site, else its URL: ``vnnews.urlcanon.article_key``) in capture order, a new text is a new
version (``previous`` = the version before), a text seen before is dropped. Output lines
are sorted (article, version), keys sorted, so the same input gives the same bytes.
A one-line summary goes to stderr; broken records and non-HTML records are counted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from archive.cdxj import CdxjIndex, url_key
from archive.payload import PayloadError
from archive.reader import ArchiveRecord, iter_records, read_record_at, warc_timestamp
from archive.recordbuilder import HINTS_FIELD, read_hints
from archive.versions import VersionLedger, version_key
from pipelines.schema import SCHEMA_VERSION
from vnnews.atomicfile import OutputError, check_target, replace_on_success
from vnnews.paths import ArchivePaths
from vnnews.profiles import ProfileRegistry, SiteProfile

logger = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
WARC_SUFFIXES = (".warc.gz", ".warc", ".arc.gz", ".arc")
CHUNK = 8  # pages per trip to a worker process
WINDOW = 4  # chunks in flight per worker while the archive is read
Location = tuple[Path, int]


@dataclass(frozen=True)
class Task:
    """One extraction to run (picklable, for the process pool)."""

    body: bytes
    url: str
    fetched_at: datetime
    profile: SiteProfile | None
    headers: dict[str, list[str]]
    warc: dict[str, Any]
    site: str | None = None  # the record's "site": the crawl's profile name
    decide: bool = False  # apply the crawl's article/listing decision (our crawls, --site)
    hints: dict[str, str] | None = None  # the crawl's discovery hints (its request record)


@dataclass(frozen=True)
class CrawlInfo:
    """What a file's ``warcinfo`` says about the crawl that wrote it: whether it was this
    project's crawl (``software``), its profile (``-a site=``) and start URLs (a mirror crawled
    with ``-a start_urls=``)."""

    profile: str | None = None
    hosts: frozenset[str] = frozenset()
    ours: bool = False

    @classmethod
    def of(cls, record: ArchiveRecord) -> CrawlInfo:
        fields: dict[str, str] = {}
        for line in record.raw_payload.decode("utf-8", "replace").splitlines():
            name, sep, value = line.partition(":")
            if sep:
                fields[name.strip().lower()] = value.strip()
        hosts = {
            (urlsplit(u).hostname or "").lower().removeprefix("www.")
            for u in fields.get("start-urls", "").split()
        }
        ours = fields.get("software", "").startswith("vnnews-archiver/")
        return cls(fields.get("profile") or None, frozenset(h for h in hosts if h), ours)

    def covers(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        return any(host == h or host.endswith("." + h) for h in self.hosts)


def crawl_decision(
    body: bytes, url: str, profile: SiteProfile | None, headers: Any, tree: Any = None
) -> str | None:
    """None when the crawl would hand this page to extraction, else why not (``listing``,
    ``variant``): the spider's rule (spiders.news) — the profile's URL patterns, else the
    page's own markup; a page whose rel=canonical names another page of its host is a variant
    (AMP, print) the crawl folds into that page. ``tree``: the page as
    :func:`extraction.article.read_page` reads it (read here when not given)."""
    from urllib.parse import urljoin

    from extraction.article import ExtractionError, read_page
    from vnnews.pagekind import is_article_page
    from vnnews.urlcanon import canonicalize_url, is_template_canonical

    if tree is None:
        try:
            tree = read_page(body, headers)
        except ExtractionError:
            return "listing"
    decided = profile.is_article_url(url) if profile else None
    if not (decided if decided is not None else is_article_page(tree, url)):
        return "listing"
    hrefs = tree.xpath('//link[@rel="canonical"]/@href')
    if hrefs:
        try:  # against <base href> when the page has one, as the crawl resolves links
            base = urljoin(url, str((tree.xpath("//base/@href") or [""])[0]).strip())
            target = canonicalize_url(urljoin(base, str(hrefs[0]).strip()))
        except ValueError:  # a malformed URL: no canonical
            return None
        own = canonicalize_url(url)
        same_host = urlsplit(own).netloc == urlsplit(target).netloc
        if target != own and same_host and not is_template_canonical(own, target):
            return "variant"
    return None


def run_task(task: Task) -> tuple[str, Any]:
    """("ok", record) | ("skip", reason) | ("error", one-line message). The page is parsed
    once: the crawl's decision and the extraction read the same tree."""
    from extraction.article import ExtractionError, extract_page, read_page

    try:
        tree = None
        if task.decide:
            try:
                tree = read_page(task.body, task.headers)
            except ExtractionError:
                return "listing", None
            not_article = crawl_decision(task.body, task.url, task.profile, task.headers, tree)
            if not_article is not None:
                return not_article, None
        record = extract_page(
            task.body,
            task.url,
            fetched_at=task.fetched_at,
            profile=task.profile,
            hints=task.hints,
            headers=task.headers,
            tree=tree,
        ).record
    except ExtractionError as exc:
        return "skip", str(exc)
    except Exception as exc:  # a broken page must not stop the run
        return "error", f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    record["warc"] = task.warc
    record["schema_version"] = SCHEMA_VERSION
    if task.site is not None:
        record["site"] = task.site
    return "ok", record


def run_tasks(tasks: list[Task]) -> list[tuple[str, Any]]:
    """:func:`run_task` over a chunk (one trip to a worker process for several pages)."""
    return [run_task(task) for task in tasks]


def is_html(record: ArchiveRecord, body: bytes) -> bool:
    if record.mime:
        return record.mime in HTML_TYPES
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def http_headers_dict(record: ArchiveRecord) -> dict[str, list[str]]:
    """HTTP headers as Scrapy names them (``Content-Type``), values as lists."""
    out: dict[str, list[str]] = {}
    for name, value in record.http_headers or ():
        out.setdefault(name.title(), []).append(value)
    return out


def input_files(paths: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.name.endswith(WARC_SUFFIXES)))
        else:
            files.append(path)
    return files


class Reprocessor:
    """Two passes: responses (and where originals are), then revisits."""

    def __init__(
        self,
        registry: ProfileRegistry,
        archive_dir: Path | None = None,
        jobs: int = 1,
        site: SiteProfile | None = None,
    ) -> None:
        self.registry = registry
        self.forced = site
        self.crawl_info: dict[Path, CrawlInfo] = {}
        self.archive_dir = archive_dir
        self.jobs = max(1, jobs)
        self.stats: Counter[str] = Counter()
        self.by_id: dict[str, Location] = {}
        self.by_capture: dict[tuple[str, str], Location] = {}
        self.by_digest: dict[str, list[tuple[str, Location]]] = {}
        self.revisits: list[tuple[ArchiveRecord, dict[str, str] | None]] = []
        # hints of request records, by the id of the response/revisit they go with
        self.pending_hints: dict[str, dict[str, str]] = {}
        self.records: list[dict[str, Any]] = []
        self.unreadable: list[Path] = []  # inputs that are not WARC/ARC files at all
        self._archive_index: CdxjIndex | bool | None = False
        self._pool: ProcessPoolExecutor | None = None

    def run(self, files: list[Path]) -> list[dict[str, Any]]:
        if self.jobs > 1:
            self._pool = ProcessPoolExecutor(self.jobs)
        try:
            self._run_batches(self._scan(files))
            self._run_batches(self._resolved_revisits())
        finally:
            if self._pool is not None:
                self._pool.shutdown()
        return assign_versions(self.records, self.stats)

    # -- pass 1 -----------------------------------------------------------------------

    def _scan(self, files: list[Path]) -> Iterator[Task]:
        for path in files:
            broken = self.stats["reader/broken_files"]
            for record in iter_records(path, self.stats):
                task = self._consider(record)
                if task is not None:
                    yield task
            if self.stats["reader/broken_files"] > broken:
                self.unreadable.append(path)

    def _consider(self, record: ArchiveRecord) -> Task | None:
        if record.rec_type == "warcinfo" and record.path not in self.crawl_info:
            self.crawl_info[record.path] = CrawlInfo.of(record)
            return None
        if record.rec_type == "request":
            self._remember_hints(record)
            return None
        hints = self.pending_hints.pop(record.record_id, None) if self.pending_hints else None
        if record.rec_type == "revisit":
            self.stats["reprocess/revisits"] += 1
            if record.mime and record.mime not in HTML_TYPES:
                self.stats["reprocess/not_html"] += 1
            elif record.http_status in (None, 200, 304):
                self.revisits.append((record, hints))
            else:
                self.stats["reprocess/not_200"] += 1
            return None
        if record.rec_type != "response":
            return None
        if record.http_status != 200:
            self.stats["reprocess/not_200"] += 1
            return None
        if not is_html(record, record.raw_payload[:1024]):
            self.stats["reprocess/not_html"] += 1
            return None
        self._remember(record)
        self.stats["reprocess/html_responses"] += 1
        return self._task(record, record, hints)

    def _remember_hints(self, request: ArchiveRecord) -> None:
        """Keep a request record's discovery hints for the response/revisit it names."""
        hints = read_hints(request.header(HINTS_FIELD))
        target = request.header("WARC-Concurrent-To")
        if hints and target:
            self.stats["reprocess/hinted_requests"] += 1
            self.pending_hints[target.strip()] = hints

    def _remember(self, record: ArchiveRecord) -> None:
        if not record.seekable:
            return
        location = (record.path, record.offset)
        if record.record_id:
            self.by_id[record.record_id] = location
        self.by_capture[(url_key(record.url), warc_timestamp(record.date))] = location
        if record.payload_digest:
            entry = (warc_timestamp(record.date), location)
            self.by_digest.setdefault(record.payload_digest, []).append(entry)

    def _task(
        self,
        body_record: ArchiveRecord,
        capture: ArchiveRecord,
        hints: dict[str, str] | None = None,
    ) -> Task | None:
        if body_record.truncated or body_record.oversized:
            self.stats["reprocess/truncated"] += 1  # still extracted: partial text is text
        try:
            body = body_record.payload()
        except PayloadError as exc:
            self.stats["reprocess/payload_errors"] += 1
            logger.warning("%s@%d: %s", capture.path, capture.offset, exc)
            return None
        fetched_at = capture.fetched_at
        if fetched_at is None:
            self.stats["reprocess/bad_dates"] += 1
            logger.warning(
                "%s@%d: unreadable WARC-Date %r", capture.path, capture.offset, capture.date
            )
            return None
        profile = self._profile_for(capture)
        return Task(
            body=body,
            url=capture.url,
            fetched_at=fetched_at,
            profile=profile,
            headers=http_headers_dict(body_record),
            warc=capture.location(),
            site=profile.name if profile is not None else None,
            decide=self.forced is not None or self._ours(capture),
            hints=hints,
        )

    def _ours(self, capture: ArchiveRecord) -> bool:
        info = self.crawl_info.get(capture.path)
        return info is not None and info.ours

    def _profile_for(self, capture: ArchiveRecord) -> SiteProfile | None:
        """``--site``, else the profile the crawl used on this host (its warcinfo: ``profile``
        and ``start-urls``), else the profile of the URL's own host."""
        if self.forced is not None:
            return self.forced
        info = self.crawl_info.get(capture.path)
        if info is not None and info.profile and (info.covers(capture.url) or not info.hosts):
            try:
                return self.registry.get(info.profile)
            except ValueError:
                self.stats["reprocess/unknown_profile"] += 1
        return self.registry.for_url(capture.url)

    # -- pass 2 -----------------------------------------------------------------------

    def _resolved_revisits(self) -> Iterator[Task]:
        for revisit, hints in self.revisits:
            original = self._original(revisit)
            if original is None:
                self.stats["reprocess/revisits_unresolved"] += 1
                continue
            if original.http_status != 200 or not is_html(original, original.raw_payload[:1024]):
                self.stats["reprocess/not_html"] += 1
                continue
            self.stats["reprocess/revisits_resolved"] += 1
            task = self._task(original, revisit, hints)
            if task is not None:
                yield task

    def _original(self, revisit: ArchiveRecord) -> ArchiveRecord | None:
        location = self._local_original(revisit)
        if location is not None:
            return read_record_at(location[0], location[1], self.stats)
        return self._archived_original(revisit)

    def _local_original(self, revisit: ArchiveRecord) -> Location | None:
        if revisit.refers_to and revisit.refers_to in self.by_id:
            return self.by_id[revisit.refers_to]
        target = revisit.header("WARC-Refers-To-Target-URI")
        date = revisit.header("WARC-Refers-To-Date")
        if target and date:
            found = self.by_capture.get((url_key(target), warc_timestamp(date)))
            if found is not None:
                return found
        candidates = self.by_digest.get(revisit.payload_digest or "", [])
        before = [c for c in candidates if c[0] <= warc_timestamp(revisit.date)]
        chosen = (before or candidates)[-1:] if candidates else []
        return chosen[0][1] if chosen else None

    def _archived_original(self, revisit: ArchiveRecord) -> ArchiveRecord | None:
        index = self._load_archive_index()
        if index is None or self.archive_dir is None:
            return None
        target = revisit.header("WARC-Refers-To-Target-URI")
        date = revisit.header("WARC-Refers-To-Date")
        entry = index.at(target, warc_timestamp(date)) if target and date else None
        if entry is None and revisit.payload_digest:
            entry = index.original(revisit.payload_digest, before=warc_timestamp(revisit.date))
        if entry is None:
            return None
        warc_dir = ArchivePaths.of(self.archive_dir).warc_dir
        return read_record_at(warc_dir / entry.filename, entry.offset, self.stats)

    def _load_archive_index(self) -> CdxjIndex | None:
        if self._archive_index is False:
            path = ArchivePaths.of(self.archive_dir).cdxj if self.archive_dir else None
            self._archive_index = (
                CdxjIndex.from_file(path, self.stats) if path and path.exists() else None
            )
        return self._archive_index if isinstance(self._archive_index, CdxjIndex) else None

    # -- extraction ---------------------------------------------------------------------

    def _run_batches(self, tasks: Iterator[Task]) -> None:
        """Extract ``tasks`` in order. With a pool, chunks of CHUNK pages go to the workers
        while the archive is still being read, at most WINDOW chunks in flight (the bodies
        waiting in memory stay bounded)."""
        chunks = _chunks(tasks, CHUNK)
        if self._pool is None:
            for chunk in chunks:
                self._take(chunk, run_tasks(chunk))
            return
        pending: deque[tuple[list[Task], Future[list[tuple[str, Any]]]]] = deque()
        for chunk in chunks:
            pending.append((chunk, self._pool.submit(run_tasks, chunk)))
            if len(pending) >= WINDOW * self.jobs:
                self._take(*_result(pending.popleft()))
        while pending:
            self._take(*_result(pending.popleft()))

    def _take(self, batch: list[Task], results: list[tuple[str, Any]]) -> None:
        for task, (status, value) in zip(batch, results, strict=True):
            if status == "ok":
                self.records.append(value)
            elif status in ("listing", "variant"):
                self.stats[f"reprocess/{status}"] += 1
            elif status == "skip":
                self.stats["reprocess/not_article"] += 1
            else:
                self.stats["reprocess/extract_errors"] += 1
                logger.warning("%s (%s): %s", task.url, task.warc["filename"], value)


def _chunks(tasks: Iterator[Task], size: int) -> Iterator[list[Task]]:
    chunk: list[Task] = []
    for task in tasks:
        chunk.append(task)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _result(
    pending: tuple[list[Task], Future[list[tuple[str, Any]]]],
) -> tuple[list[Task], list[tuple[str, Any]]]:
    chunk, future = pending
    return chunk, future.result()


def _capture_order(record: dict[str, Any]) -> tuple[str, str, int]:
    warc = record.get("warc") or {}
    return (str(record.get("fetched_at")), str(warc.get("filename")), int(warc.get("offset", 0)))


def _article_order(record: dict[str, Any]) -> tuple[str, tuple[str, str, int]]:
    key = version_key(record)
    article = key[0] if key else str(record.get("canonical_url") or record.get("url"))
    return article, _capture_order(record)


def assign_versions(records: list[dict[str, Any]], stats: Counter[str]) -> list[dict[str, Any]]:
    """Dedup as the crawl does (``archive.versions``): one record per (article, text),
    numbered in capture order; sorted by article then version."""
    ledger = VersionLedger()
    out = []
    for record in sorted(records, key=_article_order):
        if ledger.add(record):
            out.append(record)
        else:
            stats["reprocess/unchanged_text"] += 1
    stats["reprocess/records"] = len(out)
    return out


def write_jsonl(records: list[dict[str, Any]], output: str) -> None:
    """Write the records; a file target is replaced only once it is complete."""
    lines = (json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    if output == "-":
        sys.stdout.writelines(lines)
        return
    with replace_on_success(output) as out:
        out.writelines(lines)


def summary(stats: Counter[str], files: int) -> str:
    s = stats
    return (
        f"reprocess: {files} files, {s['reader/records']} records, "
        f"{s['reprocess/html_responses']} HTML responses, "
        f"{s['reprocess/revisits']} revisits ({s['reprocess/revisits_resolved']} resolved, "
        f"{s['reprocess/revisits_unresolved']} unresolved), "
        f"{s['reprocess/records']} article records, "
        f"{s['reprocess/unchanged_text']} unchanged, {s['reprocess/not_article']} not articles, "
        f"{s['reprocess/listing']} listings, {s['reprocess/variant']} variants, "
        f"{s['reprocess/not_html']} not HTML, {s['reprocess/not_200']} not 200, "
        f"{s['reprocess/extract_errors'] + s['reprocess/payload_errors']} extraction errors, "
        f"{s['reader/broken_records'] + s['reader/broken_files']} broken, "
        f"{s['reader/truncated']} truncated"
    )


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "WARC_OR_DIR... -o OUT.jsonl [--jobs N] [--no-archive] [--site NAME]"

    def short_desc(self) -> str:
        return "Re-extract article records from WARC files (no network)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", required=True, help="JSON Lines file ('-': stdout)")
        parser.add_argument("--jobs", type=int, default=1, help="extraction processes (default 1)")
        parser.add_argument(
            "--site",
            metavar="NAME",
            help="site profile for every page (default: the crawl's, from each file's warcinfo)",
        )
        parser.add_argument(
            "--no-archive",
            action="store_true",
            help="resolve revisits only within the given files, not ARCHIVE_DIR's index",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("give at least one WARC file or directory")
        assert self.settings is not None
        files = input_files(args)
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            print(f"error: no such WARC file: {', '.join(missing)}", file=sys.stderr)
            self.exitcode = 1
            return
        if opts.output != "-":
            try:
                check_target(opts.output)
            except OutputError as exc:
                self._fail(str(exc), 2)
                return
        registry = ProfileRegistry.load(self.settings.getlist("NEWS_PROFILE_DIRS"))
        forced = None
        if opts.site:
            try:
                forced = registry.get(opts.site)
            except ValueError as exc:
                self._fail(f"--site: {' '.join(str(exc).split())}", 2)
                return
        archive_dir = None if opts.no_archive else Path(self.settings["ARCHIVE_DIR"])
        processor = Reprocessor(registry, archive_dir, jobs=opts.jobs, site=forced)
        records = processor.run(files)
        if processor.unreadable:
            names = ", ".join(str(p) for p in processor.unreadable)
            print(summary(processor.stats, len(files)), file=sys.stderr)
            self._fail(f"not a WARC or ARC file: {names}; nothing written", 1)
            return
        try:
            write_jsonl(records, opts.output)
        except OutputError as exc:
            self._fail(str(exc), 1)
            return
        print(summary(processor.stats, len(files)), file=sys.stderr)

    def _fail(self, message: str, code: int) -> None:
        print(f"error: {message}", file=sys.stderr)
        self.exitcode = code
