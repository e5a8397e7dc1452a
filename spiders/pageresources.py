"""Page resources, found on a parsed page (pure: lxml and the standard library only).

What an archived page needs to render as the reader saw it: images (``src``, ``srcset``, lazy
``data-*`` attributes, ``<picture><source srcset>``, ``poster``), stylesheets and what they
``@import`` and ``url()``, scripts, icons, and linked documents. Which of them may be fetched,
and the requests, are :mod:`spiders.resources`; this module only reads pages and stylesheets,
so that it runs in the page-analysis worker processes (:mod:`spiders.pageanalysis`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from lxml.html import HtmlElement

DOCUMENT_EXTENSIONS = (
    ".pdf",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".ppt",
    ".pptx",
    ".odt",
    ".ods",
    ".rtf",
)
# a link whose text holds none of DOCUMENT_EXTENSIONS (any case) cannot resolve to a document
# unless it is a bare query (it keeps the base's path); checked before the costly join
_DOCUMENT_HINT = re.compile("|".join(re.escape(ext) for ext in DOCUMENT_EXTENSIONS), re.IGNORECASE)
_IMG_ATTRS = ("src", "data-src", "data-original", "data-lazy-src", "data-lazy", "data-full-src")
_SRCSET_ATTRS = ("srcset", "data-srcset", "data-lazy-srcset")
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?(?:"([^"]*)"|'([^']*)'|([^\s;'")]+))""", re.I)
_CSS_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}", re.IGNORECASE)
_CSS_CHARSET = re.compile(rb'^@charset\s+"([^"]+)"', re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


@dataclass(frozen=True, order=True)
class ResourceLink:
    """One resource of a page: absolute URL and kind (``image``, ``stylesheet``, ``font``,
    ``script``, ``icon``, ``media``, ``document``)."""

    url: str
    kind: str


def parse_srcset(value: str) -> list[str]:
    """The URLs of a ``srcset`` value (``a.jpg 480w, b.jpg 2x``), as the HTML standard splits
    it: a URL runs to the next whitespace (commas inside it are kept), then descriptors run
    to the next comma."""
    urls: list[str] = []
    pos, end = 0, len(value)
    while pos < end:
        while pos < end and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < end and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0
            while pos < end:
                char = value[pos]
                pos += 1
                if char == "(":
                    depth += 1
                elif char == ")":
                    depth = max(0, depth - 1)
                elif char == "," and depth == 0:
                    break
        if url:
            urls.append(url)
    return urls


# A site's pages repeat the same resources (logos, styles, scripts, srcset sizes): joined and
# checked once per process, not once per page.
@functools.lru_cache(maxsize=1 << 16)
def _usable(url: str) -> bool:
    return bool(url) and urlsplit(url).scheme in ("http", "https")


@functools.lru_cache(maxsize=1 << 16)
def _absolute(base: str, value: str) -> str:
    value = value.strip()
    if not value or value.startswith(("data:", "javascript:", "blob:", "about:", "#")):
        return ""
    return urljoin(base, value).split("#", 1)[0]


def is_document_url(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(DOCUMENT_EXTENSIONS)


def html_resources(
    tree: HtmlElement, base_url: str, *, documents: bool = True
) -> list[ResourceLink]:
    """Every resource ``tree`` (an lxml page) needs or links to as a document, in a stable
    order (document order, no repeats)."""
    found: dict[str, ResourceLink] = {}

    def add(value: str | None, kind: str) -> None:
        url = _absolute(base_url, value or "")
        if _usable(url) and url not in found:
            found[url] = ResourceLink(url, kind)

    for el in tree.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "source" and _parent_tag(el) in ("video", "audio"):
            pass  # audio and video are big: only posters are fetched
        elif tag in ("img", "source", "image") or (tag == "input" and el.get("type") == "image"):
            for attr in _IMG_ATTRS:
                add(el.get(attr), "image")
            for attr in _SRCSET_ATTRS:
                for url in parse_srcset(el.get(attr) or ""):
                    add(url, "image")
        elif tag == "link":
            rel = (el.get("rel") or "").lower().split()
            as_ = (el.get("as") or "").lower()
            if "stylesheet" in rel:
                add(el.get("href"), "stylesheet")
            elif {"icon", "apple-touch-icon", "shortcut"} & set(rel):
                add(el.get("href"), "icon")
            elif "preload" in rel and as_ in ("style", "font", "image", "script"):
                kind = {"style": "stylesheet"}.get(as_, as_)
                add(el.get("href"), kind)
        elif tag == "script":
            add(el.get("src"), "script")
        elif tag == "video":
            add(el.get("poster"), "image")
        elif tag == "style":
            for link in css_resources(el.text or "", base_url):
                add(link.url, link.kind)
        elif tag == "a" and documents:
            value = el.get("href") or ""
            if _DOCUMENT_HINT.search(value) or value.lstrip().startswith("?"):
                href = _absolute(base_url, value)
                if _usable(href) and is_document_url(href):
                    add(href, "document")
        style = el.get("style") if tag else None
        if style and "url(" in style:
            for link in css_resources(style, base_url):
                add(link.url, link.kind)
    return list(found.values())


def _parent_tag(el: HtmlElement) -> str:
    parent = el.getparent()
    return str(parent.tag) if parent is not None else ""


def css_text(body: bytes, content_type: str = "") -> str:
    """A stylesheet's text: its ``@charset`` or the header's charset, else UTF-8."""
    charset = ""
    match = _CSS_CHARSET.match(body.lstrip(b"\xef\xbb\xbf"))
    if match:
        charset = match.group(1).decode("ascii", "replace")
    elif "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip()
    try:
        return body.decode(charset or "utf-8", "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


def css_resources(text: str, base_url: str) -> list[ResourceLink]:
    """What a stylesheet imports (``@import``: stylesheets) and refers to by ``url()``
    (fonts inside ``@font-face``, images elsewhere), resolved against ``base_url``."""
    text = _CSS_COMMENT.sub("", text)
    out: dict[str, ResourceLink] = {}

    def add(value: str, kind: str) -> None:
        url = _absolute(base_url, value)
        if _usable(url) and url not in out:
            out[url] = ResourceLink(url, kind)

    for match in _CSS_IMPORT.finditer(text):
        add(next(g for g in match.groups() if g is not None), "stylesheet")
    imported = set(out)
    fonts: set[str] = set()
    for block in _CSS_FONT_FACE.finditer(text):
        for match in _CSS_URL.finditer(block.group(0)):
            value = next((g for g in match.groups() if g is not None), "")
            add(value, "font")
            fonts.add(_absolute(base_url, value))
    for match in _CSS_URL.finditer(text):
        value = next((g for g in match.groups() if g is not None), "")
        url = _absolute(base_url, value)
        if url not in imported and url not in fonts:
            add(value, "image")
    return list(out.values())
