"""Decoding an HTTP body as stored in a WARC response record.

``decode_payload(raw, headers)`` undoes chunked Transfer-Encoding (when the body is still
chunked: some tools store it de-chunked but keep the header) and every Content-Encoding
(gzip, deflate, br, identity), innermost last. ``PayloadError`` is raised for a body that
cannot be decoded, and for one that decodes to more than ``max_size`` bytes (a compression
bomb stops there: output is produced in bounded steps, never all at once).
``archive.reader`` uses this for ``ArchiveRecord.payload()``.
"""

from __future__ import annotations

import contextlib
import io
import zlib
from collections.abc import Sequence

import brotli  # type: ignore[import-untyped]

#: decoded bytes allowed for one body unless the caller says otherwise: as DOWNLOAD_MAXSIZE
#: bounds a crawl, so `scrapy reprocess` never meets a body the crawl would have refused
DEFAULT_MAX_DECODED = 16 * 1024 * 1024
_STEP = 1024 * 1024


class PayloadError(ValueError):
    """The HTTP payload cannot be decoded (bad chunking or Content-Encoding)."""


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return None


def dechunk(data: bytes) -> bytes:
    """Undo HTTP chunked transfer coding; a missing last chunk (clipped record) is fine.

    Raises PayloadError when the data does not start with a chunk-size line."""
    out = bytearray()
    pos = 0
    while pos < len(data):
        eol = data.find(b"\n", pos)
        if eol < 0:
            if pos == 0:
                raise PayloadError("body is not chunked")
            break
        size_text = data[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            if pos == 0:
                raise PayloadError("body is not chunked") from None
            break
        if size == 0:
            break
        start = eol + 1
        out += data[start : start + size]
        pos = start + size
        if data[pos : pos + 2] == b"\r\n":
            pos += 2
        elif data[pos : pos + 1] == b"\n":
            pos += 1
    return bytes(out)


def _too_big(max_size: int) -> PayloadError:
    return PayloadError(f"decoded body larger than {max_size} bytes")


def _inflate(data: bytes, wbits: int, max_size: int) -> bytes:
    out = bytearray()
    rest = data
    while True:  # one gzip member after another while they follow
        decomp = zlib.decompressobj(wbits)
        chunk = rest
        while chunk and not decomp.eof:
            out += decomp.decompress(chunk, _STEP)
            if len(out) > max_size:
                raise _too_big(max_size)
            chunk = decomp.unconsumed_tail
        if not decomp.eof:
            out += decomp.flush()
            if len(out) > max_size:
                raise _too_big(max_size)
        rest = decomp.unused_data
        if not (decomp.eof and rest[:2] == b"\x1f\x8b" and wbits > zlib.MAX_WBITS):
            return bytes(out)


def _unbrotli(data: bytes, max_size: int) -> bytes:
    decomp = brotli.Decompressor()
    out = bytearray(decomp.process(data, output_buffer_limit=_STEP))
    while len(out) <= max_size and not decomp.is_finished():
        more = decomp.process(b"", output_buffer_limit=_STEP)
        if not more:
            break
        out += more
    if len(out) > max_size:
        raise _too_big(max_size)
    return bytes(out)


def _unzstd(data: bytes, max_size: int) -> bytes:
    try:
        from backports import zstd  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:  # pragma: no cover - a Scrapy dependency
        raise PayloadError("unsupported Content-Encoding 'zstd'") from exc
    reader = zstd.ZstdFile(io.BytesIO(data))
    out = bytearray()
    try:
        while chunk := reader.read(_STEP):
            out += chunk
            if len(out) > max_size:
                raise _too_big(max_size)
    except (EOFError, zstd.ZstdError) as exc:
        raise PayloadError(f"cannot decode Content-Encoding zstd: {exc}") from exc
    return bytes(out)


def _decode_one(coding: str, data: bytes, max_size: int) -> bytes:
    try:
        if coding in ("gzip", "x-gzip"):
            if data[:2] != b"\x1f\x8b":
                return data  # stored decoded with the header left in (common in old WARCs)
            return _inflate(data, 16 + zlib.MAX_WBITS, max_size)
        if coding == "deflate":
            try:
                return _inflate(data, zlib.MAX_WBITS, max_size)
            except zlib.error:
                return _inflate(data, -zlib.MAX_WBITS, max_size)
        if coding == "br":
            return _unbrotli(data, max_size)
        if coding == "zstd":
            return _unzstd(data, max_size)
    except (zlib.error, brotli.error) as exc:
        raise PayloadError(f"cannot decode Content-Encoding {coding}: {exc}") from exc
    if coding in ("identity", ""):
        return data
    raise PayloadError(f"unsupported Content-Encoding {coding!r}")


def decode_payload(
    raw: bytes, headers: Sequence[tuple[str, str]], max_size: int = DEFAULT_MAX_DECODED
) -> bytes:
    """Decode an HTTP body as stored in a WARC response record, at most ``max_size`` bytes."""
    data = raw
    if "chunked" in (_header(headers, "Transfer-Encoding") or "").lower():
        # some tools store the body de-chunked but keep the header
        with contextlib.suppress(PayloadError):
            data = dechunk(data)
    codings = [c.strip().lower() for c in (_header(headers, "Content-Encoding") or "").split(",")]
    for coding in reversed([c for c in codings if c]):
        data = _decode_one(coding, data, max_size)
    return data
