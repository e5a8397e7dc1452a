"""HTTP/1.1 download handler that keeps what Scrapy's Response drops, for the WARC.

Scrapy's ``HTTP11DownloadHandler`` discards the reason phrase of the status line and the
connection-control headers (``Connection``, ``Keep-Alive``, ``Transfer-Encoding``...),
which Twisted keeps apart from the other headers. This handler reads both from Twisted
once the headers are in and stores them in ``request.meta["_warc_wire"]``:

* ``phrase``: the reason phrase as received (bytes, may be empty);
* ``conn_headers``: list of ``(name, value)`` byte pairs of the connection headers.

``archive.middleware.WarcWriterMiddleware`` uses them to write the status line and header
block as received. Register it for ``http`` and ``https`` in ``DOWNLOAD_HANDLERS``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler, _ScrapyAgent
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response

logger = logging.getLogger(__name__)

WIRE_META_KEY = "_warc_wire"
_WRAPPED = ("wrappedProtocol", "_wrappedProtocol", "protocol")


def _connection_headers(txresponse: Any) -> list[tuple[bytes, bytes]] | None:
    """Connection-control headers of a Twisted response, from its parser; None if not found."""
    node = getattr(getattr(txresponse, "_transport", None), "_producer", None)
    for _ in range(6):  # tcp.Client -> _WrappingProtocol -> (TLS) -> HTTP11ClientProtocol
        if node is None or getattr(node, "_parser", None) is not None:
            break
        node = next(
            (getattr(node, a) for a in _WRAPPED if getattr(node, a, None) is not None), None
        )
    conn = getattr(getattr(node, "_parser", None), "connHeaders", None)
    if conn is None:
        return None
    return [(name, value) for name, values in conn.getAllRawHeaders() for value in values]


class _WireKeepingAgent(_ScrapyAgent):
    """A ``_ScrapyAgent`` that notes the reason phrase and connection headers."""

    def _cb_bodyready(self, txresponse: Any, request: Request) -> Any:
        try:
            wire: dict[str, Any] = {"phrase": bytes(txresponse.phrase or b"")}
            conn = _connection_headers(txresponse)
            if conn is not None:
                wire["conn_headers"] = conn
            request.meta[WIRE_META_KEY] = wire
        except Exception as exc:  # never fail a download for archive details
            logger.debug("Could not read wire details of %s: %s", request.url, exc)
        return super()._cb_bodyready(txresponse, request)


class WarcHttpDownloadHandler(HTTP11DownloadHandler):
    """``HTTP11DownloadHandler`` whose agent keeps the wire details for the WARC writer."""

    async def download_request(self, request: Request) -> Response:
        request.meta.pop(WIRE_META_KEY, None)
        agent = _WireKeepingAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))  # type: ignore[no-any-return]
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
