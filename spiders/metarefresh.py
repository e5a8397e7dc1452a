"""Meta-refresh redirects read from the head of the page, not from the whole page decoded.

Scrapy's ``MetaRefreshMiddleware`` looks for ``<meta http-equiv="refresh">`` in the first 4,096
characters of the page, but it gets them from ``response.text``, which decodes the whole body
on the reactor thread: a tenth of the crawl's main-thread time on 100-500 KB news pages, for a
text nobody else in the crawl reads (the page analysis decodes the page in a worker). This
subclass decodes only as many bytes as can hold those 4,096 characters, by the same rule as
``response.text`` (``w3lib.encoding.html_to_unicode`` with the response's encoding), and then
decides exactly as Scrapy does.
"""

from __future__ import annotations

import re
from typing import cast

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.httpobj import urlparse_cached
from w3lib import html
from w3lib.encoding import html_to_unicode

#: characters of the page Scrapy searches for the refresh (scrapy.utils.response)
HEAD_CHARS = 4096
#: bytes enough for that many characters in any encoding a page uses (UTF-8: 4 bytes at most)
HEAD_BYTES = 4 * HEAD_CHARS


def head_text(response: HtmlResponse) -> str:
    """The first HEAD_CHARS characters of ``response.text``, without decoding the rest: the
    same decoding (``html_to_unicode`` with the response's encoding; a BOM wins) of a prefix
    long enough to hold them."""
    charset = f"charset={response.encoding}"
    return html_to_unicode(charset, response.body[:HEAD_BYTES])[1][:HEAD_CHARS]


_REFRESH = re.compile(rb"refresh", re.IGNORECASE)


def meta_refresh(
    response: HtmlResponse, ignore_tags: list[str]
) -> tuple[None, None] | tuple[float, str]:
    """``scrapy.utils.response.get_meta_refresh`` on the head of the page. A head whose bytes
    do not hold the word at all (in an ASCII-compatible encoding: no NUL bytes) has none."""
    head = response.body[:HEAD_BYTES]
    if b"\x00" not in head and not _REFRESH.search(head):
        return None, None
    text = head_text(response)
    base = html.get_base_url(text, response.url, response.encoding)
    return html.get_meta_refresh(text, base, response.encoding, ignore_tags=ignore_tags)


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """``MetaRefreshMiddleware`` that decodes only the head of an HTML page."""

    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if (
            request.meta.get("dont_redirect", False)
            or request.method == "HEAD"
            or not isinstance(response, HtmlResponse)
            or urlparse_cached(request).scheme not in {"http", "https"}
        ):
            return response
        interval, url = meta_refresh(response, self._ignore_tags)
        if not url:
            return response
        redirected = self._redirect_request_using_get(request, response, url)
        if urlparse_cached(redirected).scheme not in {"http", "https"}:
            return response
        if cast("float", interval) < self._maxdelay:
            return self._redirect(redirected, request, "meta refresh")
        return response
