"""A page farm for benchmarks: N distinct real-layout Vietnamese article pages from memory.

Each page is built from one of the bundled sample site's article pages (real Nhandan-style
layout; ``--layouts sample``) or from the real saved article pages of eleven Vietnamese news
sites in tests/data/html (``--layouts corpus``: Dân trí, VnExpress, Tuổi Trẻ, … 67-510 KB each)
with its own URL, title and an extra sentence, so every page has its own payload digest and text
digest (nothing is deduplicated away). In corpus pages, links relative to the original site are
made absolute on that site (off the farm), so a crawl's discovery finds the farm's articles
through robots.txt and the sitemaps only and never fetches a page the farm does not have.
Sample pages are rendered once at start-up, corpus pages from a per-layout shape kept in memory
(three byte replacements, ~1 ms): a threaded server serves them, never the bottleneck. Each
host (127.0.0.x) serves ``/robots.txt``, ``/sitemap.xml`` (its share of the pages) and the pages.

    python bench/pagefarm.py --pages 1000 --hosts 4 [--layouts corpus]

prints one base URL per line.

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
CORPUS_TEMPLATES = sorted((ROOT / "tests" / "data" / "html").glob("*/article-*.html"))
LAYOUTS = ("sample", "corpus")
_TITLE = re.compile(rb"<title>(.*?)</title>", re.S)
_TITLE_ANY = re.compile(rb"(<title[^>]*>)(.*?)(</title>)", re.S | re.I)
_H1 = re.compile(rb"(<h1[^>]*>)(.*?)(</h1>)", re.S)
_P = re.compile(rb"(<p>)", re.S)
_P_ANY = re.compile(rb"(<p(?:\s[^>]*)?>)", re.S | re.I)
_CANONICAL = re.compile(
    rb"<link[^>]+rel=[\"']canonical[\"'][^>]+href=[\"'](https?://[^/\"']+)([^\"'#?]*)", re.I
)
_OG_URL = re.compile(
    rb"property=[\"']og:url[\"'][^>]+content=[\"'](https?://[^/\"']+)([^\"'#?]*)", re.I
)
_ROOT_RELATIVE = re.compile(rb"""((?:href|src)=["'])/(?!/)""", re.I)


def render(i: int, host: str, layouts: str = "sample") -> bytes:
    if layouts == "corpus":
        return render_corpus(i, host)
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


def render_corpus(i: int, host: str) -> bytes:
    """Page ``i`` from a real saved article page: its own URL wherever the page names itself
    (canonical, og:url, JSON-LD), its own title, headline and a sentence in the article body;
    root-relative links point at the original site (never at the farm)."""
    template = CORPUS_TEMPLATES[i % len(CORPUS_TEMPLATES)]
    page = template.read_bytes()
    own = f"http://{host}{page_path(i)}".encode()
    found = _CANONICAL.search(page) or _OG_URL.search(page)
    if found:
        page = page.replace(found.group(1) + found.group(2), own)
        origin = found.group(1)
    else:
        origin = f"https://{template.parent.name}.example".encode()
    page = _ROOT_RELATIVE.sub(lambda m: m.group(1) + origin + b"/", page)
    tag = f" số {i}".encode()
    page = _TITLE_ANY.sub(lambda m: m.group(1) + m.group(2) + tag + m.group(3), page, count=1)
    page = _H1.sub(lambda m: m.group(1) + m.group(2) + tag + m.group(3), page, count=1)
    sentence = html.escape(f"Bản tin số {i} của trang {host} được cập nhật. ").encode()
    at = _text_start(template, page)
    if at >= 0:  # before the first words of the article's text
        return page[:at] + sentence + page[at:]
    h1 = page.find(b"<h1")  # else the first paragraph after the headline
    head, body = (page[:h1], page[h1:]) if h1 >= 0 else (b"", page)
    return head + _P_ANY.sub(lambda m: m.group(1) + sentence, body, count=1)


_TEXT_STARTS: dict[Path, bytes | None] = {}


def _text_start(template: Path, page: bytes) -> int:
    """Where the article's text starts in ``page`` (the first words trafilatura extracts from
    the template, found in the markup), or -1."""
    if template not in _TEXT_STARTS:
        import trafilatura  # only the corpus layouts need it

        text = trafilatura.extract(template.read_bytes()) or ""
        lines = [line for line in text.splitlines() if len(line) >= 40]
        _TEXT_STARTS[template] = lines[0][:24].encode() if lines else None
    start = _TEXT_STARTS[template]
    return page.find(start) if start else -1


def page_path(i: int) -> str:
    return f"/ban-tin-so-{i}-post{100000 + i}.html"


_SENTINEL = 987654321
_CORPUS_SHAPES: dict[int, bytes] = {}


def corpus_page(i: int, host: str) -> bytes:
    """:func:`render_corpus` in a few microseconds: each template is rendered once with
    placeholders, then page ``i`` is three replacements (10×N pages never sit in memory)."""
    t = i % len(CORPUS_TEMPLATES)
    mark = _SENTINEL // len(CORPUS_TEMPLATES) * len(CORPUS_TEMPLATES) + t  # same template
    if t not in _CORPUS_SHAPES:
        _CORPUS_SHAPES[t] = render_corpus(mark, "__HOST__")
    return (
        _CORPUS_SHAPES[t]
        .replace(b"__HOST__", host.encode())
        .replace(str(100000 + mark).encode(), str(100000 + i).encode())
        .replace(str(mark).encode(), str(i).encode())
    )


class Farm:
    def __init__(self, pages: int, hosts: list[str], layouts: str = "sample") -> None:
        self.layouts = layouts
        self.by_host: dict[str, dict[str, bytes]] = {h: {} for h in hosts}
        self.numbers: dict[str, dict[str, int]] = {h: {} for h in hosts}
        if layouts == "corpus":  # the shapes, before any server thread asks (lxml is not
            for t in range(min(pages, len(CORPUS_TEMPLATES))):  # to be raced at start-up)
                corpus_page(t, hosts[0])
        for i in range(pages):
            host = hosts[i % len(hosts)]
            if layouts == "corpus":  # rendered when asked for (see corpus_page)
                self.numbers[host][page_path(i)] = i
            else:
                self.by_host[host][page_path(i)] = render(i, host, layouts)
        for host, files in self.by_host.items():
            paths = [*files, *self.numbers[host]]
            urls = "".join(f"<url><loc>http://{host}{path}</loc></url>" for path in paths)
            files["/sitemap.xml"] = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"{urls}</urlset>"
            ).encode()
            files["/robots.txt"] = f"User-agent: *\nSitemap: http://{host}/sitemap.xml\n".encode()
            files["/"] = b"<html><body><a href='/sitemap.xml'>sitemap</a></body></html>"

    def get(self, host: str, path: str) -> bytes | None:
        found = self.by_host.get(host, {}).get(path)
        if found is None and path in self.numbers.get(host, {}):
            return corpus_page(self.numbers[host][path], host)
        return found


def handler_for(farm: Farm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = farm.get(self.headers.get("Host", ""), self.path.split("?", 1)[0])
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
    parser.add_argument("--layouts", choices=LAYOUTS, default="sample")
    args = parser.parse_args()
    servers = []
    hosts = []
    for n in range(1, args.hosts + 1):
        server = ThreadingHTTPServer((f"127.0.0.{n}", 0), BaseHTTPRequestHandler)
        hosts.append(f"127.0.0.{n}:{server.server_address[1]}")
        servers.append(server)
    farm = Farm(args.pages, hosts, args.layouts)
    for server in servers:
        server.RequestHandlerClass = handler_for(farm)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    for host in hosts:
        print(f"http://{host}/", flush=True)
    sys.stdout.close()
    threading.Event().wait()


if __name__ == "__main__":
    main()
