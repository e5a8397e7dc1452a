"""archive.middleware: the request and response header blocks written to the WARC (no
network; the middleware in real crawls is tests/test_warc_crawl.py, its wiring
tests/test_extension.py)."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import Response

from archive.handler import WIRE_META_KEY
from archive.middleware import request_header_block, response_header_block


def test_header_blocks_without_the_wire_handler() -> None:
    """Without WarcHttpDownloadHandler: standard phrase, Scrapy's headers as they are."""
    request = Request("http://127.0.0.1:8080/a?b=%C4%91#frag", headers={"Accept": "text/html"})
    response = Response(
        request.url, status=404, headers={"Content-Length": "3", "Set-Cookie": ["a=1", "b=2"]},
        body=b"abc", request=request,
    )  # fmt: skip
    block = response_header_block(request, response).raw
    assert block.startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert b"Content-Length: 3\r\n" in block and block.count(b"Set-Cookie:") == 2
    req = request_header_block(request).raw
    assert req.startswith(b"GET /a?b=%C4%91 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n")
    assert b"frag" not in req and b"Accept: text/html\r\n" in req


def test_header_blocks_with_wire_details() -> None:
    request = Request("http://127.0.0.1:8080/p", method="POST", body=b"x=1")
    request.meta[WIRE_META_KEY] = {
        "phrase": b"Fine Thanks",
        "conn_headers": [(b"Transfer-Encoding", b"chunked"), (b"Connection", b"close")],
    }
    response = Response(
        request.url, status=200, headers={"Content-Length": "9", "X-A": "1"}, body=b"123456789",
        request=request,
    )  # fmt: skip
    block = response_header_block(request, response).raw
    assert block == (
        b"HTTP/1.1 200 Fine Thanks\r\nX-A: 1\r\n"
        b"X-Archive-Orig-Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )  # Scrapy's synthesised Content-Length is not the wire's: dropped
    req = request_header_block(request).raw
    assert req.startswith(b"POST /p HTTP/1.1\r\n") and b"Content-Length: 3\r\n" in req
