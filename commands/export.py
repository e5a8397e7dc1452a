"""``scrapy export -o OUT``: article records of an archive to JSON Lines, CSV or Parquet.

Reads the closed record files ``ARCHIVE_DIR/json/*.jsonl`` (``-s ARCHIVE_DIR=DIR``) and the
late syndication links ``ARCHIVE_DIR/links/*.jsonl``, and writes the selected records:

* ``--site NAME`` (repeatable, or comma-separated): the record's site profile name, or its
  host (``www.`` and the port do not count), or ``host:port``;
* ``--since T`` / ``--until T`` (ISO date or date-time; no offset means +07:00, as Vietnamese
  sites write dates) on ``--time published`` (default) or ``--time fetched``: since is
  inclusive, until exclusive; a record without that time is left out when a range is given;
* the latest version of each article (default) or ``--all-versions``;
* ``--since-last NAME``: only records in files this named consumer has not been given yet.
  The consumer's state (the record files it was given) is ``ARCHIVE_DIR/exports/NAME.json``,
  updated only once the output is in place: a polling job gets every record once. Record
  files are immutable once closed, so the state is exact (no time-based watermark).

Every exported record has ``schema_version`` (the version it was written with; "1.0" for
records from before versioning) and the archive's current syndication knowledge: a copy
whose original arrived later gets ``syndicated_from`` from the links files, and every
original gets ``syndicated_to`` listing all known copies of any version of the article (a
copy's ``syndicated_from.id`` names the version it copied; join on ``url`` for the latest).

Formats (``--format``, else from the suffix of OUT: ``.jsonl``/``.json``, ``.csv``,
``.parquet`` or a name without a suffix for Parquet):

* JSON Lines: one record per line, keys sorted;
* CSV: one row per record, fixed columns (:data:`COLUMNS`), lists and objects as JSON text;
* Parquet: a directory partitioned hive-style by ``site`` (the site profile name, else the
  host, a port as ``_PORT``) and ``day`` (the date of the ``--time`` field as written in the
  record, the fetch date when a record has no publication time), ``site=X/day=Y/*.parquet``;
  typed columns (lists and structs nested), ``published_utc``/``fetched_utc`` timestamps,
  and the schema version in each file's key-value metadata (``vnnews.schema_version``).

The output is written next to OUT under a temporary name and renamed over OUT only when it is
complete, so a failed export leaves an existing OUT as it was. Bad arguments: one line on
stderr, exit 2; an unreadable archive: exit 1.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy.commands import ScrapyCommand

from pipelines.schema import SCHEMA_VERSION, version_of
from vnnews.paths import JSONL_SUFFIX, ArchivePaths
from vnnews.urlcanon import article_key

FORMATS = ("jsonl", "csv", "parquet")
TIME_FIELDS = {"published": "published", "fetched": "fetched_at"}
VIETNAM = timezone(timedelta(hours=7))
CONSUMER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
BATCH = 5000

#: CSV and Parquet columns, in order (JSON Lines keeps each record's own fields)
COLUMNS = (
    "id",
    "url",
    "canonical_url",
    "site",
    "publisher",
    "title",
    "lead",
    "text",
    "authors",
    "published",
    "published_source",
    "published_precision",
    "modified",
    "modified_source",
    "fetched_at",
    "language",
    "tags",
    "categories",
    "images",
    "source",
    "text_digest",
    "version",
    "previous",
    "warc",
    "near_duplicates",
    "syndicated_from",
    "syndicated_to",
    "schema_version",
)


class ExportError(Exception):
    """One line for the user; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


# -- selecting ------------------------------------------------------------------------------


def parse_time(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ExportError(
            f"{name} {value!r} is not an ISO date or date-time (e.g. 2024-06-10 or"
            " 2024-06-10T08:00+07:00)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)


def record_time(record: dict[str, Any], field_name: str) -> datetime | None:
    value = record.get(field_name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)


def host_key(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}_{parts.port}" if parts.port else host


def site_key(record: dict[str, Any]) -> str:
    """The Parquet ``site`` partition: the profile name, else the host (``_PORT`` appended)."""
    return str(record.get("site") or host_key(str(record.get("url") or "")) or "unknown")


@dataclass
class Query:
    sites: set[str] = field(default_factory=set)
    since: datetime | None = None
    until: datetime | None = None
    time_field: str = "published"
    all_versions: bool = False

    def site_matches(self, record: dict[str, Any]) -> bool:
        if not self.sites:
            return True
        url = str(record.get("url") or "")
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
        names = {str(record.get("site") or ""), host_key(url), host}
        if parts.port:  # host:port, as run reports and `scrapy sites` name such a site
            names.add(f"{host}:{parts.port}")
        return bool(self.sites & names)

    def time_matches(self, record: dict[str, Any]) -> bool:
        if self.since is None and self.until is None:
            return True
        when = record_time(record, self.time_field)
        if when is None:
            return False
        if self.since is not None and when < self.since:
            return False
        return self.until is None or when < self.until

    def describe(self) -> dict[str, Any]:
        return {
            "sites": sorted(self.sites),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "time": self.time_field,
            "all_versions": self.all_versions,
        }


# -- reading the archive ----------------------------------------------------------------------


def record_files(paths: ArchivePaths) -> list[Path]:
    """Closed record files, oldest first (names start with a sortable timestamp per prefix)."""
    if not paths.json_dir.is_dir():
        return []
    return sorted(p for p in paths.json_dir.iterdir() if p.name.endswith(JSONL_SUFFIX))


def read_lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("r", encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ExportError(f"{path}:{number}: not JSON ({exc.msg})", 1) from None
            if isinstance(value, dict):
                yield value


def link(entry: dict[str, Any]) -> dict[str, Any]:
    return {"id": entry["id"], "url": entry["url"], "decided_by": entry["decided_by"]}


@dataclass
class Archive:
    """What the selection needs from the whole archive: latest versions and all links."""

    files: list[Path]
    latest: dict[str, int] = field(default_factory=dict)
    versions: dict[str, set[str]] = field(default_factory=dict)
    origin: dict[str, dict[str, Any]] = field(default_factory=dict)
    copies: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def scan(cls, paths: ArchivePaths) -> Archive:
        archive = cls(record_files(paths))
        for path in archive.files:
            for record in read_lines(path):
                key = _article(record)
                archive.latest[key] = max(
                    archive.latest.get(key, 0), int(record.get("version") or 1)
                )
                archive.versions.setdefault(key, set()).add(str(record.get("id")))
                source = record.get("syndicated_from")
                if source:
                    archive._link(str(record["id"]), str(record["url"]), source)
                for copy in record.get("syndicated_to") or ():
                    archive._link(copy["id"], copy["url"], {**link(copy), **_self(record)})
        if paths.links_dir.is_dir():
            for path in sorted(paths.links_dir.glob(f"*{JSONL_SUFFIX}")):
                for line in read_lines(path):
                    archive._link(str(line["id"]), str(line["url"]), line["syndicated_from"])
        return archive

    def _link(self, copy_id: str, copy_url: str, source: dict[str, Any]) -> None:
        """``copy_id`` republishes ``source`` (the first link found for a copy stands)."""
        source = link(source)
        self.origin.setdefault(copy_id, source)
        entry = {"id": copy_id, "url": copy_url, "decided_by": source["decided_by"]}
        self.copies.setdefault(source["id"], {}).setdefault(copy_id, entry)

    def complete(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record with the archive's syndication knowledge and its schema version."""
        out = dict(record)
        out["schema_version"] = version_of(record)
        rid = str(record.get("id"))
        if "near_duplicates" not in out:
            out["near_duplicates"] = []
        out["syndicated_from"] = record.get("syndicated_from") or self.origin.get(rid)
        # copies of any version of this article (a copy names the version it copied)
        key = _article(record)
        copies: dict[str, dict[str, Any]] = {}
        for version_id in sorted(self.versions.get(key, set()) | {rid}):
            copies.update(self.copies.get(version_id, {}))
        out["syndicated_to"] = [copies[k] for k in sorted(copies)]
        return out

    def is_latest(self, record: dict[str, Any]) -> bool:
        key = _article(record)
        return int(record.get("version") or 1) >= self.latest.get(key, 0)


def _article(record: dict[str, Any]) -> str:
    """The article a record is a version of (as the crawl's dedup names it)."""
    return article_key(str(record.get("url") or ""), record.get("canonical_url"))


def _self(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "url": record["url"]}


def select(archive: Archive, files: Iterable[Path], query: Query) -> Iterator[dict[str, Any]]:
    for path in files:
        for record in read_lines(path):
            if not query.site_matches(record) or not query.time_matches(record):
                continue
            if not query.all_versions and not archive.is_latest(record):
                continue
            yield archive.complete(record)


# -- consumers --------------------------------------------------------------------------------


def consumer_state(paths: ArchivePaths, name: str) -> tuple[Path, set[str]]:
    if not CONSUMER_NAME.match(name):
        raise ExportError(
            f"--since-last {name!r}: use letters, digits, '.', '_' or '-' (at most 100)"
        )
    path = paths.exports_dir / f"{name}.json"
    if not path.exists():
        return path, set()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return path, set(data["files"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ExportError(f"cannot read consumer state {path}: {exc}", 1) from None


def save_state(path: Path, files: set[str], query: Query, count: int) -> None:
    data = {
        "files": sorted(files),
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        "last_export": {"records": count, "query": query.describe()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)


# -- writing ----------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count


def write_csv(records: Iterable[dict[str, Any]], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for record in records:
            writer.writerow([_cell(record.get(c)) for c in COLUMNS])
            count += 1
    return count


def arrow_schema(query: Query) -> Any:
    import pyarrow as pa

    link_type = pa.struct([("id", pa.string()), ("url", pa.string()), ("decided_by", pa.string())])
    types = {
        "authors": pa.list_(pa.string()),
        "tags": pa.list_(pa.string()),
        "categories": pa.list_(pa.string()),
        "images": pa.list_(
            pa.struct([("url", pa.string()), ("caption", pa.string()), ("credit", pa.string())])
        ),
        "version": pa.int32(),
        "warc": pa.struct(
            [
                ("filename", pa.string()),
                ("offset", pa.int64()),
                ("length", pa.int64()),
                ("record_id", pa.string()),
                ("payload_digest", pa.string()),
            ]
        ),
        "near_duplicates": pa.list_(
            pa.struct([("id", pa.string()), ("url", pa.string()), ("similarity", pa.float64())])
        ),
        "syndicated_from": link_type,
        "syndicated_to": pa.list_(link_type),
    }
    fields = [pa.field(c, types.get(c, pa.string())) for c in COLUMNS if c != "site"]
    fields += [
        pa.field("record_site", pa.string()),
        pa.field("published_utc", pa.timestamp("us", tz="UTC")),
        pa.field("fetched_utc", pa.timestamp("us", tz="UTC")),
        pa.field("site", pa.string()),
        pa.field("day", pa.string()),
    ]
    metadata = {
        "vnnews.schema_version": SCHEMA_VERSION,
        "vnnews.query": json.dumps(query.describe(), sort_keys=True),
    }
    return pa.schema(fields, metadata=metadata)


def parquet_row(record: dict[str, Any], query: Query) -> dict[str, Any]:
    row = {c: record.get(c) for c in COLUMNS if c != "site"}
    for name in ("authors", "tags", "categories", "images", "near_duplicates", "syndicated_to"):
        row[name] = row[name] or []
    row["record_site"] = record.get("site")
    row["published_utc"] = record_time(record, "published")
    row["fetched_utc"] = record_time(record, "fetched_at")
    row["site"] = site_key(record)
    day = str(record.get(query.time_field) or record.get("fetched_at") or "")
    row["day"] = day[:10] or "unknown"
    return row


def write_parquet(records: Iterable[dict[str, Any]], directory: Path, query: Query) -> int:
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    schema = arrow_schema(query)
    count = 0

    def batches() -> Iterator[Any]:
        nonlocal count
        rows: list[dict[str, Any]] = []
        for record in records:
            rows.append(parquet_row(record, query))
            count += 1
            if len(rows) >= BATCH:
                yield pa.RecordBatch.from_pylist(rows, schema=schema)
                rows = []
        if rows:
            yield pa.RecordBatch.from_pylist(rows, schema=schema)

    directory.mkdir(parents=True, exist_ok=True)
    partitioning = ds.partitioning(
        pa.schema([("site", pa.string()), ("day", pa.string())]), flavor="hive"
    )
    ds.write_dataset(
        ds.Scanner.from_batches(batches(), schema=schema),
        directory,
        format="parquet",
        partitioning=partitioning,
        basename_template="part-{i}.parquet",
        existing_data_behavior="error",
    )
    if count == 0:  # still a dataset DuckDB and pandas open: one file, every column, no rows
        pq.write_table(schema.empty_table(), directory / "part-0.parquet")
    return count


def replace_path(tmp: Path, target: Path) -> None:
    """Put ``tmp`` at ``target``; an existing target is moved aside first, removed after."""
    if not target.exists() and not target.is_symlink():
        os.replace(tmp, target)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    old = aside / target.name
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        os.replace(old, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def output_format(path: str, given: str | None) -> str:
    if given:
        if given not in FORMATS:
            raise ExportError(f"--format {given!r}: use one of {', '.join(FORMATS)}")
        return given
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ""):
        return "parquet"
    raise ExportError(f"cannot tell the format of {path!r}: give --format jsonl, csv or parquet")


def export(
    paths: ArchivePaths,
    output: str,
    fmt: str,
    query: Query,
    since_last: str | None = None,
) -> tuple[int, int]:
    """Write the selected records to ``output``; returns (records, files read)."""
    if not paths.root.is_dir():
        raise ExportError(f"no archive at {paths.root} (set -s ARCHIVE_DIR=DIR)", 1)
    target = Path(output)
    if target.parent and not target.parent.is_dir():
        raise ExportError(f"cannot write {target}: {target.parent} is not a directory")
    if fmt != "parquet" and target.is_dir():
        raise ExportError(f"{target} is a directory; give a file name for {fmt}")
    state_path, done = consumer_state(paths, since_last) if since_last else (None, set())
    archive = Archive.scan(paths)
    files = [p for p in archive.files if p.name not in done]
    tmp_root = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        tmp = tmp_root / target.name
        records = select(archive, files, query)
        if fmt == "jsonl":
            count = write_jsonl(records, tmp)
        elif fmt == "csv":
            count = write_csv(records, tmp)
        else:
            count = write_parquet(records, tmp, query)
        replace_path(tmp, target)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    if state_path is not None:
        save_state(state_path, done | {p.name for p in files}, query, count)
    return count, len(files)


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return (
            "-o OUT [--format jsonl|csv|parquet] [--site NAME] [--since T] [--until T]"
            " [--time published|fetched] [--all-versions] [--since-last NAME]"
        )

    def short_desc(self) -> str:
        return "Export article records (JSON Lines, CSV, Parquet partitioned by site and day)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", help="output file (Parquet: a directory)")
        parser.add_argument("--format", help="jsonl, csv or parquet (default: from OUT)")
        parser.add_argument("--site", action="append", default=[], help="site name or host")
        parser.add_argument("--since", help="from this time on (inclusive)")
        parser.add_argument("--until", help="before this time (exclusive)")
        parser.add_argument("--time", default="published", help="published (default) or fetched")
        parser.add_argument(
            "--all-versions", action="store_true", help="every version, not only the latest"
        )
        parser.add_argument(
            "--since-last", metavar="NAME", help="only what consumer NAME was not given yet"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        try:
            if args:
                raise ExportError(f"unexpected argument {args[0]!r}; the output is -o OUT")
            if not opts.output:
                raise ExportError("give the output with -o OUT (.jsonl, .csv or .parquet)")
            if opts.time not in TIME_FIELDS:
                raise ExportError(f"--time {opts.time!r}: use published or fetched")
            query = Query(
                sites={s.strip() for arg in opts.site for s in arg.split(",") if s.strip()},
                since=parse_time(opts.since, "--since") if opts.since else None,
                until=parse_time(opts.until, "--until") if opts.until else None,
                time_field=TIME_FIELDS[opts.time],
                all_versions=opts.all_versions,
            )
            if query.since and query.until and query.since >= query.until:
                raise ExportError("--since must be before --until")
            fmt = output_format(opts.output, opts.format)
            paths = ArchivePaths.of(self.settings["ARCHIVE_DIR"])
            count, files = export(paths, opts.output, fmt, query, opts.since_last)
        except ExportError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = exc.code
            return
        except OSError as exc:
            print(f"error: cannot export to {opts.output}: {exc.strerror or exc}", file=sys.stderr)
            self.exitcode = 1
            return
        print(
            f"exported {count} records from {files} record files to {opts.output} ({fmt},"
            f" schema {SCHEMA_VERSION})",
            file=sys.stderr,
        )
