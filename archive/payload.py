"""Decoding an HTTP body as stored in a WARC response record.

``decode_payload(raw, headers)`` undoes chunked Transfer-Encoding (when the body is still
chunked: some tools store it de-chunked but keep the header) and every Content-Encoding
(gzip, deflate, br, identity), innermost last. ``PayloadError`` is raised for a body that
cannot be decoded. ``archive.reader`` uses this for ``ArchiveRecord.payload()``.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Sequence

import brotli  # type: ignore[import-untyped]

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


def _inflate(data: bytes, wbits: int) -> bytes:
    decomp = zlib.decompressobj(wbits)
    out = decomp.decompress(data)
    # a multi-member gzip body: keep going while members follow
    while decomp.eof and decomp.unused_data[:2] == b"\x1f\x8b" and wbits > zlib.MAX_WBITS:
        rest = decomp.unused_data
        decomp = zlib.decompressobj(wbits)
        out += decomp.decompress(rest)
    return out + decomp.flush()


def _decode_one(coding: str, data: bytes) -> bytes:
    try:
        if coding in ("gzip", "x-gzip"):
            if data[:2] != b"\x1f\x8b":
                return data  # stored decoded with the header left in (common in old WARCs)
            return _inflate(data, 16 + zlib.MAX_WBITS)
        if coding == "deflate":
            try:
                return _inflate(data, zlib.MAX_WBITS)
            except zlib.error:
                return _inflate(data, -zlib.MAX_WBITS)
        if coding == "br":
            return bytes(brotli.decompress(data))
    except (zlib.error, brotli.error) as exc:
        raise PayloadError(f"cannot decode Content-Encoding {coding}: {exc}") from exc
    if coding in ("identity", ""):
        return data
    raise PayloadError(f"unsupported Content-Encoding {coding!r}")


def decode_payload(raw: bytes, headers: Sequence[tuple[str, str]]) -> bytes:
    """Decode an HTTP body as stored in a WARC response record."""
    data = raw
    if "chunked" in (_header(headers, "Transfer-Encoding") or "").lower():
        # some tools store the body de-chunked but keep the header
        with contextlib.suppress(PayloadError):
            data = dechunk(data)
    codings = [c.strip().lower() for c in (_header(headers, "Content-Encoding") or "").split(",")]
    for coding in reversed([c for c in codings if c]):
        data = _decode_one(coding, data)
    return data
