"""archive.payload: chunked transfer coding and Content-Encoding undone, errors named."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from archive.payload import PayloadError, dechunk, decode_payload

HTML = "<html><body><p>Tin tức Đà Nẵng — Nhân Dân</p></body></html>".encode()


def _chunk(data: bytes, size: int = 7) -> bytes:
    parts = [
        b"%x\r\n%s\r\n" % (len(data[i : i + size]), data[i : i + size])
        for i in range(0, len(data), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


def test_bad_content_encoding_raises_payload_error() -> None:
    with pytest.raises(PayloadError):
        decode_payload(b"\x1f\x8bnot gzip at all", [("Content-Encoding", "gzip")])
    with pytest.raises(PayloadError):
        decode_payload(b"abc", [("Content-Encoding", "compress")])


def test_dechunk_tolerates_missing_last_chunk() -> None:
    assert dechunk(_chunk(HTML)[:-5]) == HTML
    with pytest.raises(PayloadError):
        dechunk(b"<html>")


def test_codings_undone_innermost_last() -> None:
    body = gzip.compress(brotli.compress(HTML), mtime=0)
    headers = [("Content-Encoding", "br, gzip"), ("Transfer-Encoding", "chunked")]
    assert decode_payload(_chunk(body), headers) == HTML
    assert decode_payload(zlib.compress(HTML), [("content-encoding", "DEFLATE")]) == HTML


def test_gzip_header_on_a_decoded_body_and_multi_member_gzip() -> None:
    assert decode_payload(HTML, [("Content-Encoding", "gzip")]) == HTML  # stored decoded
    two = gzip.compress(HTML[:10]) + gzip.compress(HTML[10:])
    assert decode_payload(two, [("Content-Encoding", "gzip")]) == HTML


def test_dechunked_body_with_chunked_header_is_kept() -> None:
    assert decode_payload(HTML, [("Transfer-Encoding", "chunked")]) == HTML
