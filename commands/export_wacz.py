"""``scrapy export-wacz -o OUT.wacz``: the archive as one WACZ 1.1.1 file to hand to anyone.

A WACZ (https://specs.webrecorder.net/wacz/1.1.1/) is a ZIP, every entry stored (not
compressed, so replay tools read WARC records by offset), holding:

* ``archive/*.warc.gz``   the closed WARC files of ``ARCHIVE_DIR/warc`` (or ``--warc FILE``),
  byte for byte;
* ``indexes/index.cdx``   their index, CDXJ lines (``archive.cdxj``, pywb's fields; ``filename`` is
  the name under ``archive/``);
* ``pages/pages.jsonl``   the pages list: a ``json-pages-1.0`` header, then one line per
  article capture (``id``, ``url``, ``ts``, ``title``) from ``ARCHIVE_DIR/json/*.jsonl``, or
  every HTML 200 response when there are no records;
* ``datapackage.json``    profile ``data-package``, ``wacz_version`` 1.1.1, every entry with its
  ``path``, ``bytes`` and ``sha256:`` hash; ``datapackage-digest.json`` its digest.

The file is written as a temporary file beside the target and renamed when complete, with
the mode the umask gives; a failed export leaves no temporary file and the old target as it
was. replayweb.page opens the result; py-wacz's ``wacz validate`` accepts it.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from archive.cdxj import index_warc
from archive.reader import iter_records
from archive.recordbuilder import SOFTWARE
from vnnews.atomicfile import OutputError, check_target
from vnnews.paths import ArchivePaths

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
_CHUNK = 1 << 20
# ZIP entries need a date; the DOS format starts in 1980.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class ExportError(Exception):
    """The export cannot be made; ``str()`` is the one line to show."""


def _umask_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def iso_ts(value: str) -> str:
    """A record's ``fetched_at`` / a WARC-Date as the ISO UTC form pages.jsonl uses."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def pages_from_records(json_dir: Path, warc_names: set[str]) -> list[dict[str, Any]]:
    """One page per article record whose capture is in the exported WARC files."""
    pages: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(json_dir.glob("*.jsonl")) if json_dir.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a crash: the repair keeps the rest
            if not isinstance(record, dict):
                continue
            warc = record.get("warc") or {}
            if warc.get("filename") not in warc_names:
                continue
            page = {
                "id": str(record.get("id") or warc.get("record_id")),
                "url": str(record["url"]),
                "ts": iso_ts(str(record["fetched_at"])),
                "title": str(record.get("title") or ""),
            }
            pages[(page["url"], page["ts"])] = page
    return [pages[key] for key in sorted(pages)]


def pages_from_warcs(warcs: list[Path]) -> list[dict[str, Any]]:
    """One page per HTML 200 response (for archives without JSON records)."""
    pages = []
    for path in warcs:
        for record in iter_records(path):
            html = record.mime in ("text/html", "application/xhtml+xml")
            if record.rec_type == "response" and record.http_status == 200 and html:
                pages.append({"id": record.record_id, "url": record.url, "ts": iso_ts(record.date)})
    return sorted(pages, key=lambda p: (p["url"], p["ts"]))


def index_lines(warcs: list[Path]) -> list[str]:
    lines: list[str] = []
    for path in warcs:
        lines.extend(index_warc(path))
    return sorted(lines)


@contextlib.contextmanager
def replace_binary_on_success(target: Path) -> Iterator[IO[bytes]]:
    """A binary file at ``target``, whole or not at all (mode: the umask's)."""
    check_target(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class _Zip:
    """Stored entries with their sha256 and size, for datapackage.json."""

    def __init__(self, out: IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self.resources: list[dict[str, Any]] = []

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        return info

    def add_bytes(self, name: str, data: bytes, *, listed: bool = True) -> None:
        self.zip.writestr(self._info(name), data)
        if listed:
            self._listed(name, hashlib.sha256(data).hexdigest(), len(data))

    def add_file(self, name: str, path: Path) -> None:
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as src, self.zip.open(self._info(name), "w", force_zip64=True) as dst:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        self._listed(name, digest.hexdigest(), size)

    def _listed(self, name: str, hexdigest: str, size: int) -> None:
        self.resources.append(
            {
                "name": Path(name).name.lower(),
                "path": name,
                "hash": f"sha256:{hexdigest}",
                "bytes": size,
            }
        )

    def close(self) -> None:
        self.zip.close()


def export_wacz(
    warcs: list[Path], json_dir: Path, target: Path, *, title: str | None = None
) -> dict[str, int]:
    """Write the WACZ; returns counts for the summary line."""
    names = [p.name for p in warcs]
    if len(set(names)) != len(names):
        raise ExportError("two WARC files share a name; export them separately")
    pages = pages_from_records(json_dir, set(names)) or pages_from_warcs(warcs)
    lines = index_lines(warcs)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with replace_binary_on_success(target) as out:
        package = _Zip(out)
        for path in warcs:
            package.add_file(f"archive/{path.name}", path)
        package.add_bytes("indexes/index.cdx", "".join(line + "\n" for line in lines).encode())
        jsonl = [json.dumps(PAGES_HEADER, ensure_ascii=False)]
        jsonl += [json.dumps(p, ensure_ascii=False, sort_keys=True) for p in pages]
        package.add_bytes("pages/pages.jsonl", ("\n".join(jsonl) + "\n").encode("utf-8"))
        datapackage: dict[str, Any] = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "software": SOFTWARE,
            "created": created,
            "title": title or f"vnnews archive ({len(pages)} pages)",
            "resources": package.resources,
        }
        data = json.dumps(datapackage, ensure_ascii=False, indent=2).encode("utf-8")
        package.add_bytes("datapackage.json", data, listed=False)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(data).hexdigest()}
        package.add_bytes(
            "datapackage-digest.json", json.dumps(digest, indent=2).encode(), listed=False
        )
        package.close()
    return {"warcs": len(warcs), "lines": len(lines), "pages": len(pages)}


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "-o OUT.wacz [--warc FILE]... [--title TEXT]"

    def short_desc(self) -> str:
        return "Package the archive (WARCs, CDXJ index, pages list) as one WACZ file"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", required=True, help="the .wacz file to write")
        parser.add_argument(
            "--warc",
            action="append",
            default=[],
            metavar="FILE",
            help="a WARC file to export (repeatable; default: every closed file of warc/)",
        )
        parser.add_argument("--title", help="title in datapackage.json")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("export-wacz takes no arguments; give -o OUT.wacz")
        assert self.settings is not None
        paths = ArchivePaths.of(self.settings["ARCHIVE_DIR"])
        target = Path(opts.output)
        try:
            check_target(target)
        except OutputError as exc:
            self._fail(str(exc), 2)
            return
        warcs = [Path(p) for p in opts.warc] or paths.warc_files()
        missing = [str(p) for p in warcs if not p.is_file()]
        if missing:
            self._fail(f"no such WARC file: {', '.join(missing)}; nothing written", 1)
            return
        if not warcs:
            self._fail(f"no WARC files in {paths.warc_dir}; crawl first (or set ARCHIVE_DIR)", 1)
            return
        try:
            counts = export_wacz(warcs, paths.json_dir, target, title=opts.title)
        except (ExportError, OutputError) as exc:
            self._fail(f"{exc}; nothing written", 1)
            return
        size = target.stat().st_size
        print(
            f"export-wacz: {counts['warcs']} WARC files, {counts['lines']} index lines, "
            f"{counts['pages']} pages -> {target} ({size / 1e6:.1f} MB)",
            file=sys.stderr,
        )

    def _fail(self, message: str, code: int) -> None:
        print(f"error: {message}", file=sys.stderr)
        self.exitcode = code
