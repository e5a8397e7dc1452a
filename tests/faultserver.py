"""A hostile little news site on 127.0.0.1: good Vietnamese articles next to every fault a
crawler meets in the wild (see ``docs/reliability.md``).

    python -m tests.faultserver [--log FILE]

prints one JSON line on stdout with the base URL of each of its listening ports, then serves
until SIGTERM:

* ``main``: the news site. ``/`` links to the articles and to every fault under ``/loi/``;
  ``/robots.txt`` is 10 MB (its rules and ``Sitemap:`` lines first); a sitemap index, news
  sitemap, RSS feed, XXE and entity-bomb XML, a 100 MB sitemap and an index of 50,000 sitemaps
  (both generated while sending), redirects of every bad kind, bombs, resets, slow bodies...
* ``robots500``: a start host whose ``/robots.txt`` answers 500 (RFC 9309: disallow all);
* ``robotsredir``: a start host whose ``/robots.txt`` redirects off-site;
* ``silent``: accepts connections and never answers;
* ``other``: the same host on another port (another origin): it must never be asked anything.

Every request is logged as ``ROLE<TAB>METHOD<TAB>TARGET`` to ``--log``. HTTP is written by
hand on raw asyncio streams so that broken HTTP (bad chunking, two Content-Lengths, resets)
can be sent. Big bodies are generated while sending, never held in memory. ``start()`` runs it
in a subprocess; ``FaultServer.stop()`` stops that process by its PID.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import signal
import socket
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]

ROLES = ("main", "robots500", "robotsredir", "silent", "other")
OFFSITE = "http://offsite.invalid"
MB = 1024 * 1024
SERVER_RESPONSE_LIMIT = 300.0  # seconds: the server's own bound on a dripping response


# --- the good articles ---------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    path: str
    title: str
    lead: str
    paragraphs: tuple[str, ...]
    published: str
    section: str = "Thời sự"
    role: str = "main"
    charset_note: str = ""  # how the bytes are served: "" (clean), "bad-utf8", "wrong-header"

    @property
    def id(self) -> str:
        return self.path.rsplit("post", 1)[1].split(".")[0]


_PARA = (
    "Theo báo cáo của Ủy ban nhân dân thành phố, trong quý I năm nay, tổng vốn đầu tư công "
    "được giải ngân đạt hơn 12.400 tỷ đồng, tăng 18% so với cùng kỳ năm trước. Lãnh đạo "
    "thành phố yêu cầu các sở, ngành tập trung tháo gỡ vướng mắc về giải phóng mặt bằng.",
    "Phát biểu tại hội nghị, Phó Chủ tịch thường trực cho biết nhiều dự án trọng điểm đã "
    "hoàn thành thủ tục đầu tư, trong đó có tuyến đường vành đai và hai bệnh viện tuyến cuối. "
    "Thành phố sẽ thành lập tổ công tác đặc biệt để kiểm tra tiến độ từng dự án hằng tháng.",
    "Người dân tại các phường ven sông bày tỏ mong muốn được bố trí tái định cư tại chỗ, "
    "bảo đảm sinh kế lâu dài. Chính quyền địa phương cam kết công khai phương án bồi thường "
    "và lắng nghe ý kiến của người dân trước khi phê duyệt.",
    "Các chuyên gia kinh tế nhận định việc đẩy nhanh giải ngân vốn đầu tư công là động lực "
    "quan trọng giúp tăng trưởng kinh tế, tạo việc làm và thu hút thêm nguồn vốn xã hội "
    "vào các lĩnh vực hạ tầng, y tế và giáo dục trong những năm tới.",
)

_TOPICS = (
    ("dau-tu-cong", "Hà Nội đẩy nhanh giải ngân vốn đầu tư công quý I"),
    ("mua-lu", "Miền Trung chủ động ứng phó mưa lũ cuối năm"),
    ("giao-duc", "Học sinh Đà Nẵng tựu trường sớm một tuần"),
    ("y-te", "Bệnh viện tuyến tỉnh được trang bị máy chụp cộng hưởng từ"),
    ("giao-thong", "Cao tốc Bắc - Nam đoạn qua Nghệ An thông xe kỹ thuật"),
    ("nong-nghiep", "Nông dân Đồng Tháp trúng mùa lúa đông xuân"),
)


def _article(n: int, slug: str, title: str, **kw: Any) -> Article:
    shift = n % len(_PARA)
    paras = _PARA[shift:] + _PARA[:shift]
    paras = tuple(f"{p} ({title}.)" for p in paras)
    return Article(
        path=kw.pop("path", f"/thoi-su/{slug}-post{100000 + n}.html"),
        title=title,
        lead=f"{title}: những diễn biến mới nhất được ghi nhận trong ngày {n + 1}/4.",
        paragraphs=paras,
        published=f"2024-04-{n + 1:02d}T08:{n:02d}:00+07:00",
        **kw,
    )


ARTICLES: tuple[Article, ...] = (
    *(_article(i, slug, title) for i, (slug, title) in enumerate(_TOPICS)),
    # 503 first, then 200 (retried)
    _article(
        7, "on-dinh", "Giá xăng dầu ổn định trong kỳ điều hành", path="/loi/tam-loi-post200001.html"
    ),
    # invalid UTF-8 inside a paragraph; a UTF-8 page whose header says ISO-8859-1
    _article(8, "byte-hong", "Tỉnh Quảng Ninh đón khách quốc tế", charset_note="bad-utf8"),
    _article(9, "sai-charset", "Sóc Trăng mở rộng vùng nuôi tôm", charset_note="wrong-header"),
    # on a start host whose robots.txt redirects off-site (unavailable: allowed)
    _article(10, "robots-chuyen", "Lâm Đồng phát triển du lịch xanh", role="robotsredir"),
)
# on a start host whose robots.txt answers 500: never fetched
BLOCKED = _article(11, "robots-loi", "Bài không được phép tải", role="robots500")


def _by_role(role: str) -> dict[str, Article]:
    return {a.path: a for a in (*ARTICLES, BLOCKED) if a.role == role}


# --- fault catalogue (paths on the main port) -----------------------------------------------

FAULT_LINKS = (
    "/loi/tam-loi-post200001.html",
    "/loi/het-gio",
    "/loi/im-lang",
    "/loi/nho-giot",
    "/loi/ngat-giua-chung",
    "/loi/cut-ngan",
    "/loi/chunk-hong",
    "/loi/chunk-cut",
    "/loi/hai-do-dai",
    "/loi/bom-gzip-post400001.html",
    "/loi/bom-deflate-post400002.html",
    "/loi/bom-brotli-post400003.html",
    "/loi/qua-lon-post400004.html",
    "/loi/qua-lon-luong-post400005.html",
    "/loi/vong-a",
    "/loi/chuoi/30",
    "/loi/sang-trang-khac",
    "/loi/sang-cong-khac",
    "/loi/sang-link-local",
    "/loi/sang-mang-rieng",
    "/loi/sang-loopback-khac",
    "/loi/sang-ipv6-loopback",
    "/loi/sang-file",
    "/loi/sang-data",
    "/loi/lam-moi-a",
    "/loi/long-sau-post400006.html",
    "/loi/nhieu-lien-ket",
    "/loi/trieu-lien-ket",
)

REDIRECTS = {
    "/loi/vong-a": "/loi/vong-b",
    "/loi/vong-b": "/loi/vong-a",
    "/loi/sang-trang-khac": f"{OFFSITE}/thoi-su/bai-post1.html",
    "/loi/sang-link-local": "http://169.254.169.254/latest/meta-data/",
    "/loi/sang-mang-rieng": "http://10.20.30.40/admin",
    "/loi/sang-file": "file:///etc/passwd",
    "/loi/sang-data": "data:text/html,<a href='/loi/du-lieu'>x</a>",
}


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def article_html(a: Article, base: str, extra_links: list[str]) -> str:
    links = "\n".join(f'<li><a href="{base}{p}">{_esc(p)}</a></li>' for p in extra_links)
    paras = "\n".join(f"<p>{_esc(p)}</p>" for p in a.paragraphs)
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "datePublished": a.published,
            "author": [{"@type": "Person", "name": "Minh Anh"}],
        },
        ensure_ascii=False,
    )
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>{_esc(a.title)} - Báo Thử Nghiệm</title>
<link rel="canonical" href="{base}{a.path}">
<meta property="og:type" content="article">
<meta property="og:title" content="{_esc(a.title)}">
<meta name="description" content="{_esc(a.lead)}">
<meta property="article:published_time" content="{a.published}">
<script type="application/ld+json">{ld}</script>
</head><body>
<header><a href="{base}/">Báo Thử Nghiệm</a> | <a href="{base}/thoi-su/">Thời sự</a></header>
<article class="detail">
<h1 class="title">{_esc(a.title)}</h1>
<div class="date">Thứ hai, {a.published[8:10]}/04/2024 08:00 (GMT+7)</div>
<h2 class="sapo">{_esc(a.lead)}</h2>
<div class="content">
{paras}
</div>
<p class="author">Minh Anh</p>
<a class="print" href="{base}/print/{a.id}">In bài viết</a>
</article>
<aside><ul>
{links}
</ul></aside>
</body></html>
"""


def print_html(a: Article, base: str) -> str:
    """The print variant of an article: declares its article by rel=canonical."""
    paras = "\n".join(f"<p>{_esc(p)}</p>" for p in a.paragraphs)
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<title>{_esc(a.title)}</title><link rel="canonical" href="{base}{a.path}">
<meta property="og:type" content="article"></head>
<body onload="window.print()"><h1>{_esc(a.title)}</h1>{paras}</body></html>
"""


def home_html(base: str, role: str) -> str:
    own = [a for a in ARTICLES if a.role == role] + ([BLOCKED] if role == "robots500" else [])
    items = [f'<li><a href="{base}{a.path}">{_esc(a.title)}</a></li>' for a in own]
    if role == "main":
        items += [f'<li><a href="{base}{p}">{_esc(p)}</a></li>' for p in FAULT_LINKS]
        items.append(f'<li><a href="{base}/cam/bai-mat-post999999.html">cấm</a></li>')
    feeds = (
        f'<link rel="alternate" type="application/rss+xml" href="{base}/rss/tin-moi.rss">'
        f'<link rel="alternate" type="application/rss+xml" href="{base}/rss/bom.rss">'
        if role == "main"
        else ""
    )
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<title>Báo Thử Nghiệm - Tin tức</title><meta property="og:type" content="website">{feeds}
</head><body><h1>Tin mới</h1><ul>
{chr(10).join(items)}
</ul></body></html>
"""


# --- sitemaps and feeds ------------------------------------------------------------------------


def urlset(urls: list[str]) -> str:
    rows = "".join(f"<url><loc>{_esc(u)}</loc></url>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>\n'
    )


def sitemapindex(urls: list[str]) -> str:
    rows = "".join(f"<sitemap><loc>{_esc(u)}</loc></sitemap>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>\n'
    )


_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def xxe_sitemap(other: str) -> str:
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE urlset [\n'
        '<!ENTITY file SYSTEM "file:///etc/passwd">\n'
        f'<!ENTITY net SYSTEM "{other}/xxe-sitemap">\n]>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>&file;</loc></url><url><loc>&net;</loc></url></urlset>\n"
    )


def bomb_sitemap() -> str:
    return (
        '<?xml version="1.0"?>\n'
        + _LAUGHS.replace("lolz", "urlset")
        + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>&lol9;</loc></url></urlset>\n"
    )


def rss(base: str, other: str) -> str:
    items = "".join(
        f"<item><title>{_esc(a.title)}</title><link>{base}{a.path}</link>"
        f"<pubDate>Mon, 0{i + 1} Apr 2024 08:00:00 +0700</pubDate></item>"
        for i, a in enumerate(ARTICLES[:3])
    )
    items += f"<item><title>Cổng khác</title><link>{other}/thoi-su/cong-khac-post700001.html</link></item>"
    items += "<item><title>Tệp</title><link>file:///etc/passwd</link></item>"
    items += "<item><title>&xxe;</title><link>&xxe;</link></item>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>\n'
        f'<rss version="2.0"><channel><title>Tin mới</title><link>{base}/</link>'
        f"{items}</channel></rss>\n"
    )


def bomb_rss() -> str:
    return (
        '<?xml version="1.0"?>\n'
        + _LAUGHS.replace("lolz", "rss")
        + '<rss version="2.0"><channel><title>&lol9;</title>'
        "<item><title>&lol9;</title><link>&lol9;</link></item></channel></rss>\n"
    )


# --- bombs and big bodies (built once, lazily) ---------------------------------------------------

_BOMB_DECODED = 200 * MB
_bombs: dict[str, bytes] = {}
_bomb_lock = threading.Lock()


def _bomb_plain_chunks() -> Iterator[bytes]:
    head = b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Bom</title></head><body><p>"
    yield head
    block = b"a" * MB
    for _ in range(_BOMB_DECODED // MB):
        yield block
    yield b"</p></body></html>"


def bomb(kind: str) -> bytes:
    """A small body that decodes to 200 MB: gzip, deflate (zlib) or br."""
    with _bomb_lock:
        if kind not in _bombs:
            if kind == "br":
                comp = brotli.Compressor(quality=1)
                out = [comp.process(c) for c in _bomb_plain_chunks()] + [comp.finish()]
            else:
                wbits = 16 + zlib.MAX_WBITS if kind == "gzip" else zlib.MAX_WBITS
                z = zlib.compressobj(6, zlib.DEFLATED, wbits)
                out = [z.compress(c) for c in _bomb_plain_chunks()] + [z.flush()]
            _bombs[kind] = b"".join(out)
        return _bombs[kind]


_MILLION_LINKS: list[bytes] = []


def million_links_gz() -> bytes:
    """A page with 1,000,000 links, gzip-encoded (small on the wire, ~30 MB decoded)."""
    with _bomb_lock:
        if not _MILLION_LINKS:
            z = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            parts = [z.compress(b"<!DOCTYPE html><html><head><title>Links</title></head><body>")]
            for start in range(0, 1_000_000, 10_000):
                chunk = "".join(
                    f'<a href="/tin/lien-ket-{n}">{n}</a>' for n in range(start, start + 10_000)
                )
                parts.append(z.compress(chunk.encode()))
            parts.append(z.compress(b"</body></html>"))
            parts.append(z.flush())
            _MILLION_LINKS.append(b"".join(parts))
        return _MILLION_LINKS[0]


# --- the server ------------------------------------------------------------------------------------


@dataclass
class Req:
    role: str
    method: str
    target: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass
class Server:
    log_path: Path | None
    urls: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    def log(self, req: Req) -> None:
        if self.log_path is not None:
            with self.log_path.open("a", encoding="utf-8") as f:
                f.write(f"{req.role}\t{req.method}\t{req.target}\n")

    async def handle(self, role: str, reader: asyncio.StreamReader, writer: Any) -> None:
        try:
            while True:
                req = await self._read_request(role, reader)
                if req is None:
                    return
                self.log(req)
                if role == "silent":
                    await asyncio.sleep(SERVER_RESPONSE_LIMIT)
                    return
                keep = await self.respond(req, writer)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _read_request(self, role: str, reader: asyncio.StreamReader) -> Req | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = [*lines[0].split(" "), "", ""][:3]
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        return Req(role, method, target, headers)

    # -- writing helpers --

    @staticmethod
    async def send(
        writer: Any,
        status: str,
        body: bytes,
        ctype: str = "text/html; charset=utf-8",
        extra: list[tuple[str, str]] | None = None,
    ) -> bool:
        head = [f"HTTP/1.1 {status}", f"Content-Type: {ctype}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in extra or []]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        return True

    async def redirect(self, writer: Any, location: str, status: str = "302 Found") -> bool:
        return await self.send(writer, status, b"", extra=[("Location", location)])

    @staticmethod
    async def stream(
        writer: Any, head: str, chunks: AsyncIterator[bytes] | Iterator[bytes]
    ) -> bool:
        writer.write(head.encode("latin-1"))
        if isinstance(chunks, Iterator):
            for chunk in chunks:
                writer.write(chunk)
                await writer.drain()
        else:
            async for chunk in chunks:
                writer.write(chunk)
                await writer.drain()
        return False

    # -- routing --

    async def respond(self, req: Req, writer: Any) -> bool:
        base = self.urls[req.role]
        path = req.path
        if req.role == "other":
            return await self.send(writer, "200 OK", b"<html><body>other origin</body></html>")
        if path == "/robots.txt":
            return await self.robots(req, writer)
        if path == "/":
            return await self.send(writer, "200 OK", home_html(base, req.role).encode())
        articles = _by_role(req.role)
        if path in articles:
            return await self.article(req, writer, articles[path])
        if req.role == "main":
            return await self.main_routes(req, writer)
        return await self.send(writer, "404 Not Found", b"<html><body>404</body></html>")

    async def robots(self, req: Req, writer: Any) -> bool:
        base = self.urls[req.role]
        if req.role == "robots500":
            return await self.send(writer, "500 Internal Server Error", b"oops", "text/plain")
        if req.role == "robotsredir":
            return await self.redirect(writer, f"{OFFSITE}/robots.txt")
        rules = (
            "User-agent: *\nDisallow: /cam/\n"
            f"Sitemap: {base}/sitemap-index.xml\n"
            f"Sitemap: {self.urls['other']}/sitemap-cong-khac.xml\n"
        ).encode()
        filler = b"# " + b"robots " * 1000 + b"\n"
        count = (10 * MB - len(rules)) // len(filler)
        body_len = len(rules) + count * len(filler)
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body_len}\r\n\r\n"

        def chunks() -> Iterator[bytes]:
            yield rules
            for _ in range(count // 64):
                yield filler * 64
            yield filler * (count % 64)

        return await self.stream(writer, head, chunks()) or True

    async def article(self, req: Req, writer: Any, a: Article) -> bool:
        base = self.urls[req.role]
        if a.path == "/loi/tam-loi-post200001.html":
            n = self.counters.get(a.path, 0)
            self.counters[a.path] = n + 1
            if n == 0:
                return await self.send(writer, "503 Service Unavailable", b"busy")
        i = ARTICLES.index(a) if a in ARTICLES else 0
        others = [x.path for x in ARTICLES if x.role == a.role and x is not a][:2]
        faults = (
            [FAULT_LINKS[(i * 3 + k) % len(FAULT_LINKS)] for k in range(3)]
            if a.role == "main"
            else []
        )
        text = article_html(a, base, others + faults)
        body = text.encode("utf-8")
        ctype = "text/html; charset=utf-8"
        if a.charset_note == "bad-utf8":
            body = body.replace(b'<div class="content">', b'<div class="content">\xff\xfe\xc3(')
        elif a.charset_note == "wrong-header":
            ctype = "text/html; charset=iso-8859-1"
        return await self.send(writer, "200 OK", body, ctype)

    async def main_routes(self, req: Req, writer: Any) -> bool:
        base, other = self.urls["main"], self.urls["other"]
        path = req.path
        port = base.rsplit(":", 1)[1]
        if path.startswith("/print/"):
            found = [a for a in ARTICLES if a.id == path.rsplit("/", 1)[1]]
            if found:
                return await self.send(writer, "200 OK", print_html(found[0], base).encode())
        if path in REDIRECTS:
            return await self.redirect(writer, REDIRECTS[path])
        if path == "/loi/sang-cong-khac":
            return await self.redirect(writer, f"{other}{ARTICLES[0].path}")
        if path == "/loi/sang-loopback-khac":
            return await self.redirect(writer, f"http://127.0.0.2:{port}{ARTICLES[0].path}")
        if path == "/loi/sang-ipv6-loopback":
            return await self.redirect(writer, f"http://[::1]:{port}{ARTICLES[0].path}")
        if path.startswith("/loi/chuoi/"):
            n = int(path.rsplit("/", 1)[1] or 0)
            if n > 0:
                return await self.redirect(writer, f"/loi/chuoi/{n - 1}", "301 Moved Permanently")
            return await self.send(writer, "200 OK", b"<html><body>end of chain</body></html>")
        if path in ("/loi/lam-moi-a", "/loi/lam-moi-b"):
            nxt = "/loi/lam-moi-b" if path.endswith("a") else "/loi/lam-moi-a"
            page = f'<html><head><meta http-equiv="refresh" content="0;url={nxt}"></head><body>…</body></html>'
            return await self.send(writer, "200 OK", page.encode())
        if path == "/loi/het-gio":
            await asyncio.sleep(SERVER_RESPONSE_LIMIT)
            return False
        if path == "/loi/im-lang":
            await asyncio.sleep(SERVER_RESPONSE_LIMIT)
            return False
        if path == "/loi/nho-giot":
            return await self.drip(writer)
        if path == "/loi/ngat-giua-chung":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
            )
            writer.write(b"<html><body>" + b"x" * 5000)
            await writer.drain()
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        if path == "/loi/cut-ngan":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10000\r\n\r\n"
            )
            writer.write(b"<html><body>" + b"y" * 3000)
            await writer.drain()
            return False
        if path == "/loi/chunk-hong":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            writer.write(b"10\r\n<html><body>abcd\r\nzz-not-hex\r\nhello\r\n0\r\n\r\n")
            await writer.drain()
            return False
        if path == "/loi/chunk-cut":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            writer.write(b"10\r\n<html><body>abcd\r\n10\r\n0123456789")
            await writer.drain()
            return False
        if path == "/loi/hai-do-dai":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 20\r\n"
                b"Content-Length: 2000\r\n\r\n<html><body>two lengths</body></html>"
            )
            await writer.drain()
            return False
        if "/loi/bom-" in path:
            kind = {"gzip": "gzip", "deflate": "deflate", "brotli": "br"}[path.split("-")[1]]
            return await self.send(writer, "200 OK", bomb(kind), extra=[("Content-Encoding", kind)])
        if path == "/loi/qua-lon-post400004.html":
            size = 200 * MB
            head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {size}\r\n\r\n"
            return await self.stream(writer, head, _filler(size))
        if path == "/loi/qua-lon-luong-post400005.html":
            head = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n\r\n"
            return await self.stream(writer, head, _filler(200 * MB))
        if path == "/loi/long-sau-post400006.html":
            a = ARTICLES[0]
            deep = "<div>" * 100_000 + "<p>Sâu quá.</p>" + "</div>" * 100_000
            page = article_html(a, base, []).replace(
                '<div class="content">', f'<div class="content">{deep}'
            )
            page = page.replace(f'href="{base}{a.path}"', f'href="{base}{path}"')
            return await self.send(writer, "200 OK", page.encode())
        if path == "/loi/nhieu-lien-ket":
            links = "".join(f'<a href="/anh/hinh-{n}.jpg">{n}</a>' for n in range(6_000))
            page = f"<html><head><title>Nhiều liên kết</title></head><body>{links}</body></html>"
            return await self.send(writer, "200 OK", page.encode())
        if path == "/loi/trieu-lien-ket":
            return await self.send(
                writer, "200 OK", million_links_gz(), extra=[("Content-Encoding", "gzip")]
            )
        return await self.xml_routes(req, writer)

    async def xml_routes(self, req: Req, writer: Any) -> bool:
        base, other = self.urls["main"], self.urls["other"]
        path = req.path
        xml = "application/xml; charset=utf-8"
        if path == "/sitemap-index.xml":
            children = ["/sitemap-tin.xml", "/sitemap-xxe.xml", "/sitemap-bom.xml"]
            children += ["/sitemap-100mb.xml", "/sitemap-50k.xml"]
            body = sitemapindex([base + c for c in children] + [f"{other}/sitemap-khac.xml"])
            return await self.send(writer, "200 OK", body.encode(), xml)
        if path == "/sitemap-tin.xml":
            urls = [base + a.path for a in ARTICLES if a.role == "main"]
            urls += [f"{other}/thoi-su/cong-khac-post700002.html", "file:///etc/passwd"]
            return await self.send(writer, "200 OK", urlset(urls).encode(), xml)
        if path == "/sitemap-xxe.xml":
            return await self.send(writer, "200 OK", xxe_sitemap(other).encode(), xml)
        if path == "/sitemap-bom.xml":
            return await self.send(writer, "200 OK", bomb_sitemap().encode(), xml)
        if path == "/sitemap-100mb.xml":
            head = f"HTTP/1.1 200 OK\r\nContent-Type: {xml}\r\nConnection: close\r\n\r\n"
            return await self.stream(writer, head, _huge_sitemap(base, 100 * MB))
        if path == "/sitemap-50k.xml":
            body = sitemapindex([f"{base}/sm/{n}.xml" for n in range(50_000)])
            return await self.send(writer, "200 OK", body.encode(), xml)
        if path.startswith("/sm/"):
            n = int(path[4:].split(".")[0])
            a = [x for x in ARTICLES if x.role == "main"][n % 6]
            return await self.send(writer, "200 OK", urlset([base + a.path]).encode(), xml)
        if path == "/rss/tin-moi.rss":
            return await self.send(
                writer, "200 OK", rss(base, other).encode(), "application/rss+xml"
            )
        if path == "/rss/bom.rss":
            return await self.send(writer, "200 OK", bomb_rss().encode(), "application/rss+xml")
        return await self.send(writer, "404 Not Found", b"<html><body>404</body></html>")

    async def drip(self, writer: Any) -> bool:
        """Slowloris: headers at once, then one byte a second (bounded by the server too)."""
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
        )
        await writer.drain()
        for _ in range(int(SERVER_RESPONSE_LIMIT)):
            writer.write(b"<")
            await writer.drain()
            await asyncio.sleep(1.0)
        return False


def _filler(size: int) -> Iterator[bytes]:
    head = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Bài rất dài</title></head><body>"
    )
    yield head.encode()
    sent = len(head.encode())
    block = ("<p>" + "Một đoạn văn rất dài lặp lại. " * 2000 + "</p>\n").encode()
    while sent + len(block) <= size:
        yield block
        sent += len(block)
    yield b" " * (size - sent)


def _huge_sitemap(base: str, size: int) -> Iterator[bytes]:
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    sent, n = 0, 0
    while sent < size:
        rows = "".join(
            f"<url><loc>{base}/tin/bai-so-{k}-post{9_000_000 + k}.html</loc></url>"
            for k in range(n, n + 2000)
        ).encode()
        n += 2000
        sent += len(rows)
        yield rows
    yield b"</urlset>\n"


async def _serve(log_path: Path | None) -> None:
    server = Server(log_path)
    servers = []
    for role in ROLES:
        srv = await asyncio.start_server(
            lambda r, w, role=role: server.handle(role, r, w), "127.0.0.1", 0, limit=256 * 1024
        )
        port = srv.sockets[0].getsockname()[1]
        server.urls[role] = f"http://127.0.0.1:{port}"
        servers.append(srv)
    print(json.dumps(server.urls), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for srv in servers:
        srv.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--log", type=Path, default=None)
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.log))
    return 0


# --- running it from tests -------------------------------------------------------------------------


@dataclass
class FaultServer:
    """A running fault server subprocess: ``urls[role]`` and its request log."""

    urls: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def requests(self, role: str | None = None) -> list[str]:
        """Request targets (path and query) served, oldest first, for one role or all."""
        if not self.log_path.exists():
            return []
        rows = [line.split("\t") for line in self.log_path.read_text("utf-8").splitlines()]
        return [t for r, _, t in rows if role is None or r == role]

    def stop(self) -> None:
        """Stop the server process by its PID: terminate, wait 5 s, kill."""
        proc = self.process
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def start(log_path: Path, cwd: Path, timeout: float = 20.0) -> FaultServer:
    """Start ``python -m tests.faultserver`` and wait for its JSON line of URLs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.faultserver", "--log", str(log_path)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    try:
        urls = json.loads(line[0]) if line and line[0] else None
    except ValueError:
        urls = None
    server = FaultServer(urls or {}, log_path, proc)
    if not urls:
        server.stop()
        raise RuntimeError("fault server did not start")
    return server


def gunzip_size(data: bytes) -> int:
    """Decoded size of a gzip body (tests use it to check a bomb really is one)."""
    return len(gzip.decompress(data))


if __name__ == "__main__":
    sys.exit(main())
