"""Local HTTP server for the fixture sites under ``tests/sites`` (tests and ``make demo``).

    python -m tests.mockserver --root tests/sites/nhandan [--overlay DIR] [--host 127.0.0.1]
                               [--port 0] [--log FILE]

prints its base URL (``http://127.0.0.1:PORT``) as the first line of stdout, then serves:

* the files of ``--root``, with files of ``--overlay`` taking precedence (the same site a day
  later); ``__BASE__`` in a file is replaced by the base URL; ``/x/`` serves ``x/index.html`` and
  ``/x/trang-2`` serves ``x/trang-2.html``; names starting with ``_`` and ``expected.json`` are
  never served;
* ``Content-Type`` per file type, ``ETag`` and ``Last-Modified`` on every file, ``304`` for a
  matching ``If-None-Match`` / ``If-Modified-Since``, gzip when the request accepts it;
* two ``Set-Cookie`` headers on every response; ``/reason`` (and the paths in ``reasons``)
  answer ``200 Fine Thanks``; the paths in ``chunked`` use chunked transfer-encoding;
* from ``_site.json``: 301 ``redirects``, paths served without charset (``no_charset``) or with
  another one (``charsets``), the 404 page, and the calendar trap (``/lich?date=...`` links to
  the next day forever);
* one ``METHOD<TAB>PATH<TAB>STATUS`` line per request appended to ``--log``.

``serve()`` runs the same server in a background thread for in-process use.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import json
import signal
import sys
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PLACEHOLDER = b"__BASE__"
REASON_PATH = "/reason"
CUSTOM_REASON = "Fine Thanks"
COOKIES = ("nd_session=5f2a9c; Path=/; HttpOnly", "nd_consent=0; Path=/; Max-Age=31536000")
TYPES = {
    ".html": "text/html",
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".ttf": "font/ttf",
    ".pdf": "application/pdf",
}
DEFAULT_LAST_MODIFIED = "Thu, 06 May 2021 02:30:00 GMT"
TRAP_START = date(2021, 5, 6)


@dataclass
class Layer:
    root: Path
    last_modified: str


@dataclass
class Resource:
    body: bytes
    content_type: str
    last_modified: str | None
    status: int = 200
    reason: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


class SiteFiles:
    """The merged view of a root directory and an optional overlay."""

    def __init__(self, root: Path, overlay: Path | None = None) -> None:
        self.config: dict[str, Any] = {}
        self.layers: list[Layer] = []
        for directory in (root, overlay):
            if directory is None:
                continue
            if not directory.is_dir():
                raise SystemExit(f"mockserver: not a directory: {directory}")
            conf = read_config(directory)
            merge_config(self.config, conf)
            lm = str(conf.get("last_modified", DEFAULT_LAST_MODIFIED))
            self.layers.insert(0, Layer(directory.resolve(), lm))
        self.base_url = ""

    def find(self, path: str) -> tuple[Path, Layer] | None:
        rel = path.lstrip("/")
        parts = rel.split("/")
        if any(p.startswith(("_", ".")) for p in parts if p) or rel == "expected.json":
            return None
        if rel == "" or rel.endswith("/"):
            candidates = [rel + "index.html"]
        else:
            candidates = [rel, rel + ".html"]
        for layer in self.layers:
            for cand in candidates:
                target = (layer.root / cand).resolve()
                if target.is_relative_to(layer.root) and target.is_file():
                    return target, layer
        return None

    def render(self, data: bytes) -> bytes:
        return data.replace(PLACEHOLDER, self.base_url.encode("ascii"))

    def content_type(self, path: str, file: Path) -> str:
        ctype = TYPES.get(file.suffix, "application/octet-stream")
        if ctype != "text/html":
            return ctype
        if path in self.config.get("no_charset", []):
            return ctype
        charset = self.config.get("charsets", {}).get(path, "utf-8")
        return f"{ctype}; charset={charset}"

    def static(self, path: str) -> Resource | None:
        found = self.find(path)
        if found is None:
            return None
        file, layer = found
        res = Resource(
            self.render(file.read_bytes()), self.content_type(path, file), layer.last_modified
        )
        reason = self.config.get("reasons", {}).get(path)
        if reason:
            res.reason = str(reason)
        return res

    def not_found(self) -> Resource:
        name = str(self.config.get("not_found_page", "404.html"))
        found = self.find("/" + name)
        body = self.render(found[0].read_bytes()) if found else b"<h1>404 Not Found</h1>\n"
        return Resource(body, "text/html; charset=utf-8", None, status=404)


def read_config(directory: Path) -> dict[str, Any]:
    path = directory / "_site.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SystemExit(f"mockserver: {path} is not a JSON object")
    return data


def merge_config(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            into[key] = {**into[key], **value}
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key] = into[key] + [v for v in value if v not in into[key]]
        else:
            into[key] = value


def calendar_page(base: str, query: str) -> Resource:
    """The infinite calendar: every day links to the next (and previous) one."""
    raw = parse_qs(query).get("date", [""])[0]
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = TRAP_START
    nxt, prev = day + timedelta(days=1), day - timedelta(days=1)
    body = (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Lịch sự kiện ngày {day:%d/%m/%Y}</title>\n</head>\n<body>\n"
        f'<h1 class="calendar__title">Lịch sự kiện ngày {day:%d/%m/%Y}</h1>\n'
        '<p class="calendar__empty">Chưa có sự kiện nào trong ngày này.</p>\n'
        f'<a class="calendar__prev" href="{base}/lich?date={prev.isoformat()}">Ngày trước</a>\n'
        f'<a class="calendar__next" rel="next" href="{base}/lich?date={nxt.isoformat()}">'
        "Ngày sau</a>\n"
        f'<a href="{base}/">Trang chủ</a>\n</body>\n</html>\n'
    )
    return Resource(body.encode("utf-8"), "text/html; charset=utf-8", None)


def reason_page() -> Resource:
    body = (
        b"<!DOCTYPE html>\n<html><head><title>Fine</title></head>"
        b"<body><p>Fine, thanks.</p></body></html>\n"
    )
    return Resource(body, "text/html; charset=utf-8", None, reason=CUSTOM_REASON)


def redirect(base: str, target: str) -> Resource:
    location = base + target
    body = f'<html><body><a href="{html.escape(location)}">Moved</a></body></html>\n'.encode()
    return Resource(
        body, "text/html; charset=utf-8", None, status=301, headers=[("Location", location)]
    )


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def accepts_gzip(header: str | None) -> bool:
    for token in (header or "").split(","):
        name, _, params = token.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().removeprefix("q=").strip()
            try:
                return not q or float(q) > 0
            except ValueError:
                return False
    return False


def etag_matches(header: str, etag: str) -> bool:
    wanted = etag.strip('"')
    for tag in header.split(","):
        tag = tag.strip().removeprefix("W/").strip('"').removesuffix("-gzip")
        if tag in ("*", wanted):
            return True
    return False


def not_modified_since(header: str, last_modified: str | None) -> bool:
    if not last_modified:
        return False
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], site: SiteFiles, log: Path | None) -> None:
        super().__init__(address, Handler)
        self.site = site
        self.log_path = log
        self.log_lock = threading.Lock()
        host, port = self.server_address[:2]
        name = host.decode("ascii") if isinstance(host, bytes) else str(host)
        site.base_url = f"http://{name}:{port}"

    def record(self, method: str, path: str, status: int) -> None:
        if self.log_path is None:
            return
        with self.log_lock, self.log_path.open("a", encoding="utf-8") as fh:
            fh.write(f"{method}\t{path}\t{status}\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "NhandanMock/1.0"
    server: SiteServer

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self.respond(head_only=False)

    def do_HEAD(self) -> None:
        self.respond(head_only=True)

    def resource(self) -> Resource:
        site = self.server.site
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        if path == REASON_PATH:
            return reason_page()
        if path == site.config.get("trap", "/lich"):
            return calendar_page(site.base_url, parts.query)
        target = site.config.get("redirects", {}).get(path)
        if target:
            return redirect(site.base_url, str(target))
        return site.static(path) or site.not_found()

    def respond(self, head_only: bool) -> None:
        res = self.resource()
        etag = etag_of(res.body)
        if res.status == 200 and self.is_fresh(etag, res.last_modified):
            self.send_response(304)
            self.common_headers(etag, res.last_modified, gzipped=False)
            self.end_headers()
            return
        body = res.body
        gzipped = accepts_gzip(self.headers.get("Accept-Encoding"))
        if gzipped:
            body = gzip.compress(body, mtime=0)
        self.send_response(res.status, res.reason)
        self.send_header("Content-Type", res.content_type)
        for name, value in res.headers:
            self.send_header(name, value)
        self.common_headers(etag, res.last_modified, gzipped)
        chunked = urlsplit(self.path).path in self.server.site.config.get("chunked", [])
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head_only:
            return
        if chunked:
            self.write_chunked(body)
        else:
            self.wfile.write(body)

    def is_fresh(self, etag: str, last_modified: str | None) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag_matches(inm, etag)
        ims = self.headers.get("If-Modified-Since")
        return ims is not None and not_modified_since(ims, last_modified)

    def common_headers(self, etag: str, last_modified: str | None, gzipped: bool) -> None:
        self.send_header("ETag", etag[:-1] + '-gzip"' if gzipped else etag)
        if last_modified:
            self.send_header("Last-Modified", last_modified)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Cache-Control", "max-age=60")
        for cookie in COOKIES:
            self.send_header("Set-Cookie", cookie)

    def write_chunked(self, body: bytes, size: int = 4096) -> None:
        for start in range(0, len(body), size):
            chunk = body[start : start + size]
            self.wfile.write(f"{len(chunk):x}\r\n".encode("ascii") + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.server.record(self.command, self.path, int(code) if str(code).isdigit() else 0)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log goes to --log; errors still reach stderr via log_error."""

    def log_error(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"mockserver: {format % args}\n")


def make_server(
    root: Path | str,
    overlay: Path | str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    log: Path | str | None = None,
) -> SiteServer:
    site = SiteFiles(Path(root), Path(overlay) if overlay else None)
    return SiteServer((host, port), site, Path(log) if log else None)


def serve(
    root: Path | str,
    overlay: Path | str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    log: Path | str | None = None,
) -> tuple[SiteServer, str]:
    """Start a server in a daemon thread.

    Stop it with ``server.shutdown(); server.server_close()``.
    """
    server = make_server(root, overlay, host, port, log)
    thread = threading.Thread(target=server.serve_forever, name="mockserver", daemon=True)
    thread.start()
    return server, server.site.base_url


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mockserver", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--root", required=True, help="site directory, e.g. tests/sites/nhandan")
    parser.add_argument("--overlay", help="directory whose files override/add to --root")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--log", help="append one METHOD<TAB>PATH<TAB>STATUS line per request")
    args = parser.parse_args(argv)
    server = make_server(args.root, args.overlay, args.host, args.port, args.log)
    signal.signal(signal.SIGTERM, _stop)
    print(server.site.base_url, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
