"""HTTP/1.1 download handler that keeps what Scrapy's Response drops, for the WARC.

Scrapy's ``HTTP11DownloadHandler`` discards the reason phrase of the status line and the
connection-control headers (``Connection``, ``Keep-Alive``, ``Transfer-Encoding``...),
which Twisted keeps apart from the other headers. This handler reads both from Twisted
once the headers are in and stores them in ``request.meta["_warc_wire"]``:

* ``phrase``: the reason phrase as received (bytes, may be empty);
* ``conn_headers``: list of ``(name, value)`` byte pairs of the connection headers.

``archive.middleware.WarcWriterMiddleware`` uses them to write the status line and header
block as received. Register it for ``http`` and ``https`` in ``DOWNLOAD_HANDLERS``.

No public API gives these, so this module leans on private names of Scrapy and Twisted.
They are all behind one seam, the ``_Seam`` section below, and listed in ``SEAM``;
:func:`check_seam` says which of them are missing (``tests/test_faults_handler.py`` fails
loudly on a Scrapy or Twisted upgrade that moves one). When the seam is broken, the handler
logs one WARNING and works as Scrapy's stock handler: the crawl goes on, and the WARC gets
the standard reason phrase (``http.HTTPStatus``) and the headers Scrapy keeps.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils.defer import maybe_deferred_to_future

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

WIRE_META_KEY = "_warc_wire"

# --- _Seam: every private name used, in one place --------------------------------------------

#: what the handler relies on that Scrapy and Twisted do not promise
SEAM = (
    "scrapy.core.downloader.handlers.http11._ScrapyAgent (class)",
    "_ScrapyAgent.__init__(contextFactory, bindAddress, pool, maxsize, warnsize, "
    "fail_on_dataloss, crawler, tls_verbose_logging)",
    "_ScrapyAgent._cb_bodyready(txresponse, request)",
    "_ScrapyAgent.download_request(request) -> Deferred",
    "HTTP11DownloadHandler attributes _contextFactory, _bind_address, _pool, "
    "_default_maxsize, _default_warnsize, _fail_on_dataloss, _fail_on_dataloss_warned, "
    "_crawler, _tls_verbose_logging",
    "scrapy.utils._download_handlers.get_dataloss_msg, wrap_twisted_exceptions",
    "twisted.web._newclient.HTTPClientParser.connHeaders (set by connectionMade)",
    "Twisted response ._transport._producer -> (wrapped protocols) -> ._parser",
)
_AGENT_ARGS = (
    "contextFactory",
    "bindAddress",
    "pool",
    "maxsize",
    "warnsize",
    "fail_on_dataloss",
    "crawler",
    "tls_verbose_logging",
)
_HANDLER_ATTRS = (
    "_contextFactory",
    "_bind_address",
    "_pool",
    "_default_maxsize",
    "_default_warnsize",
    "_fail_on_dataloss",
    "_fail_on_dataloss_warned",
    "_crawler",
    "_tls_verbose_logging",
)
_WRAPPED = ("wrappedProtocol", "_wrappedProtocol", "protocol")


def _private(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def check_seam(handler: object | None = None) -> list[str]:
    """What of ``SEAM`` is missing in the installed Scrapy/Twisted (empty: all there).

    With ``handler`` (an ``HTTP11DownloadHandler``), its private attributes are checked too."""
    problems: list[str] = []
    try:
        agent = _private("scrapy.core.downloader.handlers.http11", "_ScrapyAgent")
    except (ImportError, AttributeError):
        return ["scrapy.core.downloader.handlers.http11._ScrapyAgent is gone"]
    params = inspect.signature(agent.__init__).parameters
    problems += [f"_ScrapyAgent() has no {a}= argument" for a in _AGENT_ARGS if a not in params]
    bodyready = getattr(agent, "_cb_bodyready", None)
    if bodyready is None:
        problems.append("_ScrapyAgent._cb_bodyready is gone")
    elif list(inspect.signature(bodyready).parameters)[1:3] != ["txresponse", "request"]:
        problems.append("_ScrapyAgent._cb_bodyready is not (txresponse, request) any more")
    if not callable(getattr(agent, "download_request", None)):
        problems.append("_ScrapyAgent.download_request is gone")
    for name in ("get_dataloss_msg", "wrap_twisted_exceptions"):
        try:
            _private("scrapy.utils._download_handlers", name)
        except (ImportError, AttributeError):
            problems.append(f"scrapy.utils._download_handlers.{name} is gone")
    try:
        parser_class = _private("twisted.web._newclient", "HTTPClientParser")
        parser = parser_class(None, None)
        parser.connectionMade()
        if not hasattr(parser, "connHeaders"):
            problems.append("twisted HTTPClientParser has no connHeaders")
    except Exception as exc:  # any change in how the parser is built
        problems.append(f"twisted HTTPClientParser changed: {exc}")
    if handler is not None:
        problems += [
            f"HTTP11DownloadHandler has no {a}" for a in _HANDLER_ATTRS if not hasattr(handler, a)
        ]
    return problems


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


_warned: set[str] = set()


def _warn_once(key: str, message: str, *args: Any) -> None:
    if key not in _warned:
        _warned.add(key)
        logger.warning(message, *args)


def _wire_agent_class() -> Any:
    """A ``_ScrapyAgent`` subclass that notes the reason phrase and connection headers."""
    base = _private("scrapy.core.downloader.handlers.http11", "_ScrapyAgent")

    class WireKeepingAgent(base):  # type: ignore[misc,valid-type]
        def _cb_bodyready(self, txresponse: Any, request: Request) -> Any:
            try:
                wire: dict[str, Any] = {"phrase": bytes(txresponse.phrase or b"")}
                conn = _connection_headers(txresponse)
                if conn is not None:  # None: a connection already handed back to the pool
                    wire["conn_headers"] = conn
                request.meta[WIRE_META_KEY] = wire
            except Exception as exc:  # never fail a download for archive details
                logger.debug("Could not read wire details of %s: %s", request.url, exc)
            return super()._cb_bodyready(txresponse, request)

    return WireKeepingAgent


# --- the handler ---------------------------------------------------------------------------------


class WarcHttpDownloadHandler(HTTP11DownloadHandler):
    """``HTTP11DownloadHandler`` whose agent keeps the wire details for the WARC writer;
    Scrapy's own behaviour, with a WARNING once, when the seam is broken."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        problems = self.seam_problems()
        self._agent_class: Any = None
        if not problems:
            try:
                self._agent_class = _wire_agent_class()
            except Exception as exc:  # a seam check that missed something
                problems = [f"cannot subclass _ScrapyAgent: {exc}"]
        if problems:
            _warn_once(
                "seam",
                "WARC wire details off: this Scrapy/Twisted changed what archive/handler.py "
                "relies on (%s); using Scrapy's stock HTTP handler, so WARC records get the "
                "standard reason phrase and lose connection headers",
                "; ".join(problems),
            )

    def seam_problems(self) -> list[str]:
        """What is missing of the private API (tests override this to simulate an upgrade)."""
        return check_seam(self)

    @property
    def keeps_wire(self) -> bool:
        return self._agent_class is not None

    async def download_request(self, request: Request) -> Response:
        request.meta.pop(WIRE_META_KEY, None)
        if self._agent_class is None:
            return await super().download_request(request)
        wrap_twisted_exceptions = _private(
            "scrapy.utils._download_handlers", "wrap_twisted_exceptions"
        )
        agent = self._agent_class(
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
                dataloss_msg = _private("scrapy.utils._download_handlers", "get_dataloss_msg")
                logger.warning(dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
