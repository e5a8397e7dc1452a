"""A page farm for benchmarks: N distinct real-layout Vietnamese article pages from memory.

Each page is built from one of the bundled sample site's article pages (real Nhandan-style
layout) with its own URL, title and an extra sentence, so every page has its own payload digest
and text digest (nothing is deduplicated away). Pages are rendered once at start-up and served
from memory by a threaded server, so the server is never the bottleneck. Each host (127.0.0.x)
serves ``/robots.txt``, ``/sitemap.xml`` (its share of the pages) and the pages.

    python bench/pagefarm.py --pages 1000 --hosts 4      # prints one base URL per line

Used by bench/scaleout.py; stop it by PID.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "tests" / "sites" / "nhandan").glob("*-post*.html"))
_TITLE = re.compile(rb"<title>(.*?)</title>", re.S)
_H1 = re.compile(rb"(<h1[^>]*>)(.*?)(</h1>)", re.S)
_P = re.compile(rb"(<p>)", re.S)


def render(i: int, host: str) -> bytes:
    template = TEMPLATES[i % len(TEMPLATES)]
    # its own URL everywhere the page names itself (canonical, og:url, JSON-LD)
    page = template.read_bytes().replace(template.name.encode(), page_path(i)[1:].encode())
    tag = f" số {i}".encode()
    page = _TITLE.sub(lambda m: b"<title>" + m.group(1) + tag + b"</title>", page, count=1)
    page = _H1.sub(lambda m: m.group(1) + m.group(2) + tag + m.group(3), page, count=1)
    sentence = html.escape(f"Bản tin số {i} của trang {host} được cập nhật. ").encode()
    page = _P.sub(lambda m: m.group(1) + sentence, page, count=1)
    # the sample pages carry __BASE__ placeholders for absolute links
    return page.replace(b"__BASE__", f"http://{host}".encode())


def page_path(i: int) -> str:
    return f"/ban-tin-so-{i}-post{100000 + i}.html"


class Farm:
    def __init__(self, pages: int, hosts: list[str]) -> None:
        self.by_host: dict[str, dict[str, bytes]] = {h: {} for h in hosts}
        for i in range(pages):
            host = hosts[i % len(hosts)]
            self.by_host[host][page_path(i)] = render(i, host)
        for host, files in self.by_host.items():
            urls = "".join(f"<url><loc>http://{host}{path}</loc></url>" for path in files)
            files["/sitemap.xml"] = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"{urls}</urlset>"
            ).encode()
            files["/robots.txt"] = f"User-agent: *\nSitemap: http://{host}/sitemap.xml\n".encode()
            files["/"] = b"<html><body><a href='/sitemap.xml'>sitemap</a></body></html>"


def handler_for(farm: Farm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            files = farm.by_host.get(self.headers.get("Host", ""), {})
            body = files.get(self.path.split("?", 1)[0])
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            kind = "text/xml" if self.path.endswith(".xml") else "text/html; charset=utf-8"
            if self.path.endswith(".txt"):
                kind = "text/plain"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=4, help="127.0.0.1 … 127.0.0.N")
    args = parser.parse_args()
    servers = []
    hosts = []
    for n in range(1, args.hosts + 1):
        server = ThreadingHTTPServer((f"127.0.0.{n}", 0), BaseHTTPRequestHandler)
        hosts.append(f"127.0.0.{n}:{server.server_address[1]}")
        servers.append(server)
    farm = Farm(args.pages, hosts)
    for server in servers:
        server.RequestHandlerClass = handler_for(farm)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    for host in hosts:
        print(f"http://{host}/", flush=True)
    sys.stdout.close()
    threading.Event().wait()


if __name__ == "__main__":
    main()
