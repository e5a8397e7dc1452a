"""Tolerant reading of WARC and ARC files, ours and other tools'.

``iter_records(path)`` yields one :class:`ArchiveRecord` per record with its offset and
length in the file as stored, for WARC 1.0/1.1 (and 0.18 quirks) and ARC files, gzip per
record, whole-file gzip or uncompressed. Parsing is warcio's; this module adds what a
crawl archive needs on top:

* a broken record or file is a one-line warning and a counted skip (``reader/...`` keys in
  the ``stats`` mapping you pass), never an exception: after a bad gzip member or a bad
  record the reader resynchronises on the next record it can find;
* a record shorter than its ``Content-Length`` (a clipped file) is yielded with
  ``truncated=True``;
* ``ArchiveRecord.payload()`` gives the HTTP body with chunked Transfer-Encoding and
  Content-Encoding (gzip, deflate, br) decoded, for extraction. ``raw_payload`` keeps the
  bytes as stored. The decoding is ``archive.payload``.

``read_http_record`` reads back one response record our writer wrote (also from a file still
``.open``), as the WARC middleware does to hand on a 304's original.
"""

from __future__ import annotations

import base64
import gzip
import logging
import re
import uuid
import zlib
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataException
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException

from archive.payload import decode_payload
from vnnews.paths import OPEN_SUFFIX

logger = logging.getLogger(__name__)

Headers = tuple[tuple[str, str], ...]
Stats = MutableMapping[str, int]

# Payloads above this are not kept in memory (the record is still yielded, without body).
DEFAULT_MAX_PAYLOAD = 64 * 1024 * 1024
_SCAN_BLOCK = 1024 * 1024
_HEX_SHA1 = re.compile(r"sha1:[0-9a-fA-F]{40}")
_MAGICS = (b"WARC/", b"filedesc:")  # how a WARC / an ARC record starts
# what warcio and zlib raise on damaged input
_READ_ERRORS = (
    ArchiveLoadFailed,
    StatusAndHeadersParserException,
    ChunkedDataException,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    IndexError,
    zlib.error,
)
_GZIP_MEMBER = b"\x1f\x8b\x08"
_WARC_START = re.compile(rb"(?:^|\n)(WARC/\d\.\d+\r?\n)")
_LENIENT_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})\d*T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?"
)


class _QuietIterator(ArchiveIterator):  # type: ignore[misc]
    """warcio writes a multi-line warning to stderr for a record not followed by a blank
    line; we count ``err_count`` and log one line ourselves instead."""

    INC_RECORD = ""


@dataclass(frozen=True, slots=True)
class ArchiveRecord:
    """One WARC (or ARC, converted to WARC terms) record, read into memory."""

    path: Path
    offset: int
    length: int
    rec_type: str
    warc_headers: Headers
    http_statusline: str | None
    http_headers: Headers | None
    raw_payload: bytes
    truncated: bool = False
    oversized: bool = False
    seekable: bool = True  # False: offset/length are in the decompressed whole-file stream

    def header(self, name: str) -> str | None:
        return _get(self.warc_headers, name)

    def http_header(self, name: str) -> str | None:
        return _get(self.http_headers or (), name)

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def url(self) -> str:
        return (self.header("WARC-Target-URI") or "").strip("<> ")

    @property
    def date(self) -> str:
        return self.header("WARC-Date") or ""

    @property
    def record_id(self) -> str:
        return self.header("WARC-Record-ID") or ""

    @property
    def payload_digest(self) -> str | None:
        return self.header("WARC-Payload-Digest")

    @property
    def refers_to(self) -> str | None:
        return self.header("WARC-Refers-To")

    @property
    def http_status(self) -> int | None:
        if not self.http_statusline:
            return None
        code = self.http_statusline.split(" ", 1)[0]
        return int(code) if code.isdigit() else None

    @property
    def content_type(self) -> str:
        if self.http_headers is not None:
            return self.http_header("Content-Type") or ""
        return self.header("Content-Type") or ""

    @property
    def mime(self) -> str:
        return re.split(r"[;\s]", self.content_type, maxsplit=1)[0].strip().lower()

    @property
    def fetched_at(self) -> datetime | None:
        return parse_warc_date(self.date)

    def payload(self) -> bytes:
        """HTTP body with Transfer-Encoding and Content-Encoding decoded.

        Raises PayloadError when the body cannot be decoded."""
        if self.http_headers is None:
            return self.raw_payload
        return decode_payload(self.raw_payload, self.http_headers)

    def location(self) -> dict[str, Any]:
        """The ``warc`` block of an article record (SHA-1 digests in base32 notation,
        also when a tool wrote them in hex)."""
        return {
            "filename": self.filename,
            "offset": self.offset,
            "length": self.length,
            "record_id": self.record_id,
            "payload_digest": sha1_base32(self.payload_digest),
        }


def sha1_base32(digest: str | None) -> str | None:
    """``sha1:HEX`` (40 hex digits, as some tools write it) as ``sha1:BASE32``."""
    if digest and _HEX_SHA1.fullmatch(digest):
        raw = bytes.fromhex(digest[5:])
        return "sha1:" + base64.b32encode(raw).decode("ascii")
    return digest


def _get(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return None


def _count(stats: Stats | None, key: str, n: int = 1) -> None:
    if stats is not None:
        stats[key] = stats.get(key, 0) + n


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()).encode("ascii", "backslashreplace").decode("ascii")
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__


def parse_warc_date(value: str) -> datetime | None:
    """WARC-Date as an aware datetime (UTC unless an offset is given); tolerant of
    WARC/0.18 oddities such as ``2008-10-294T05:21:46-0700``. None if unparseable."""
    m = _LENIENT_DATE.search(value or "")
    if not m:
        return None
    year, month, day, hour, minute, second, frac, zone = m.groups()
    tz: timezone = UTC
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        dt = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro)
    except ValueError:
        return None
    return dt.replace(tzinfo=tz).astimezone(UTC)


def warc_timestamp(value: str) -> str:
    """14-digit timestamp (``YYYYmmddHHMMSS``, UTC) of a WARC-Date, as pywb writes it."""
    dt = parse_warc_date(value)
    if dt is None:
        return re.sub(r"\D", "", value)[:14].ljust(14, "0")
    return dt.strftime("%Y%m%d%H%M%S")


# --- iteration ---------------------------------------------------------------------


def iter_records(
    path: str | Path,
    stats: Stats | None = None,
    *,
    max_payload: int = DEFAULT_MAX_PAYLOAD,
) -> Iterator[ArchiveRecord]:
    """Yield every readable record of a WARC/ARC file; count and skip what is broken.

    Stats keys: ``reader/files``, ``reader/records``, ``reader/broken_records``,
    ``reader/broken_files``, ``reader/truncated``, ``reader/malformed``,
    ``reader/whole_gzip_files``, ``reader/oversized``."""
    path = Path(path)
    try:
        fh = path.open("rb")
    except OSError as exc:
        logger.warning("%s: cannot open: %s", path, _one_line(exc))
        _count(stats, "reader/broken_files")
        return
    _count(stats, "reader/files")
    with fh:
        yield from _iter_file(fh, path, stats, max_payload)


def _iter_file(
    fh: BinaryIO, path: Path, stats: Stats | None, max_payload: int
) -> Iterator[ArchiveRecord]:
    head = fh.read(4096)
    compressed = head[:2] == b"\x1f\x8b"
    kind = _archive_kind(head, compressed)
    if kind is None:
        _count(stats, "reader/broken_files")
        logger.warning("%s: not a WARC or ARC file; skipped", path)
        return
    arc = kind == "arc"
    start: int | None = 0
    yielded = 0
    while start is not None:
        fh.seek(start)
        it = _QuietIterator(fh, arc2warc=True)
        try:
            for rec in it:
                record = _materialise(rec, it, path, stats, max_payload, arc=arc)
                if compressed and _starts_record(it.next_line) and it.reader is not None:
                    # the next record already started inside this gzip member
                    _count(stats, "reader/whole_gzip_files")
                    yield from _iter_whole_gzip(path, stats, max_payload, yielded, arc)
                    return
                _count(stats, "reader/records")
                yielded += 1
                yield record
            return
        except ArchiveLoadFailed as exc:
            if "non-chunked gzip" in str(exc):
                _count(stats, "reader/whole_gzip_files")
                yield from _iter_whole_gzip(path, stats, max_payload, yielded, arc)
                return
            failure: BaseException = exc
        except _READ_ERRORS as exc:
            failure = exc
        bad_at = it.offset
        start = _resync(fh, bad_at + 1, compressed)
        _count(stats, "reader/broken_records")
        logger.warning(
            "%s: broken record at offset %d (%s); %s",
            path,
            bad_at,
            _one_line(failure),
            f"resuming at offset {start}" if start is not None else "skipping rest of file",
        )


def _starts_record(line: bytes | None) -> bool:
    return bool(line) and line is not None and line.startswith(_MAGICS)


def _archive_kind(head: bytes, compressed: bool) -> str | None:
    """ "warc", "arc", "" (empty file: no records, nothing wrong) or None (not an archive)."""
    if not head:
        return ""
    if compressed:
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
        except zlib.error:
            return None
    head = head.lstrip(b"\r\n")[:9]
    for kind, magic in (("warc", b"WARC/"), ("arc", b"filedesc:")):
        if magic.startswith(head) or head.startswith(magic):
            return kind
    return None


def _iter_whole_gzip(
    path: Path, stats: Stats | None, max_payload: int, skip: int, arc: bool
) -> Iterator[ArchiveRecord]:
    """A file gzipped as one stream: offsets are into the decompressed data."""
    logger.warning("%s: whole-file gzip (not one member per record); offsets not seekable", path)
    with gzip.open(path, "rb") as gz:
        it = _QuietIterator(gz, arc2warc=True)
        try:
            for n, rec in enumerate(it):
                record = _materialise(rec, it, path, stats, max_payload, seekable=False, arc=arc)
                if n >= skip:
                    _count(stats, "reader/records")
                    yield record
        except _READ_ERRORS as exc:
            _count(stats, "reader/broken_records")
            logger.warning(
                "%s: broken record at offset %d of the decompressed stream (%s); "
                "skipping rest of file",
                path,
                it.offset,
                _one_line(exc),
            )


def _materialise(
    rec: Any,
    it: Any,
    path: Path,
    stats: Stats | None,
    max_payload: int,
    *,
    seekable: bool = True,
    arc: bool = False,
) -> ArchiveRecord:
    chunks: list[bytes] = []
    size = 0
    oversized = False
    while True:
        block = rec.raw_stream.read(65536)
        if not block:
            break
        size += len(block)
        if size > max_payload:
            oversized = True
            chunks.clear()
        elif not oversized:
            chunks.append(block)
    truncated = getattr(rec.raw_stream, "limit", 0) > 0
    errors_before = it.err_count
    it.read_to_end(rec)
    decomp = it.reader.decompressor if it.reader is not None else None
    truncated = truncated or (decomp is not None and not decomp.eof and seekable)
    offset, length = it.member_info
    if truncated:
        _count(stats, "reader/truncated")
        logger.warning("%s: record at offset %d is truncated (clipped file)", path, offset)
    if it.err_count > errors_before:
        _count(stats, "reader/malformed")
        logger.warning("%s: record at offset %d not followed by a blank line", path, offset)
    if oversized:
        _count(stats, "reader/oversized")
    http = rec.http_headers
    warc_headers = tuple(rec.rec_headers.headers)
    if arc:  # warcio invents a random record id for each ARC record it reads
        stable = f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{path.name}#{offset}')}>"
        warc_headers = tuple(
            (k, stable if k.lower() == "warc-record-id" else v) for k, v in warc_headers
        )
    return ArchiveRecord(
        path=path,
        offset=offset,
        length=length,
        rec_type=rec.rec_type,
        warc_headers=warc_headers,
        http_statusline=http.statusline if http is not None else None,
        http_headers=tuple(http.headers) if http is not None else None,
        raw_payload=b"".join(chunks),
        truncated=truncated,
        oversized=oversized,
        seekable=seekable,
    )


def _resync(fh: BinaryIO, pos: int, compressed: bool) -> int | None:
    """Offset of the next plausible record start at or after ``pos``, or None."""
    fh.seek(pos)
    base = pos
    tail = b""
    while True:
        block = fh.read(_SCAN_BLOCK)
        if not block:
            return None
        data = tail + block
        if compressed:
            idx = data.find(_GZIP_MEMBER)
            if idx >= 0:
                return base - len(tail) + idx
        else:
            m = _WARC_START.search(data)
            if m and (m.start(1) > 0 or base - len(tail) > 0):
                return base - len(tail) + m.start(1)
        tail = data[-16:]
        base += len(block)


def read_record_at(
    path: str | Path, offset: int, stats: Stats | None = None
) -> ArchiveRecord | None:
    """The record that starts at ``offset`` (from a CDXJ line), or None if unreadable."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            it = _QuietIterator(fh, arc2warc=True)
            for rec in it:
                _count(stats, "reader/records")
                arc = path.name.endswith((".arc", ".arc.gz"))
                return _materialise(rec, it, path, stats, DEFAULT_MAX_PAYLOAD, arc=arc)
    except _READ_ERRORS as exc:
        _count(stats, "reader/broken_records")
        logger.warning("%s: cannot read record at offset %d (%s)", path, offset, _one_line(exc))
    return None


def read_http_record(
    warc_dir: Path, filename: str, offset: int
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Read back one response record: status, HTTP headers, payload as received.

    The payload keeps its Content-Encoding (it is what the server sent). Looks for the
    closed file first, then for the same file still being written (``.open``). Raises
    ``ValueError`` when no response record starts at ``offset``.
    """
    path = warc_dir / filename
    if not path.exists():
        path = warc_dir / (filename + OPEN_SUFFIX)
    with open(path, "rb") as stream:
        stream.seek(offset)
        for record in ArchiveIterator(stream):
            if record.rec_type != "response" or record.http_headers is None:
                raise ValueError(f"{filename}@{offset} is a {record.rec_type} record")
            status = int(record.http_headers.get_statuscode())
            headers = [
                (name, value)
                for name, value in record.http_headers.headers
                if name.lower() != "x-archive-orig-transfer-encoding"
            ]
            return status, headers, record.raw_stream.read()
    raise ValueError(f"no record at {filename}@{offset}")
