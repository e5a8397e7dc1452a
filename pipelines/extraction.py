"""HTML -> article record: the one extraction entry point (see docs/extraction.md).

``extract_article()`` is pure: it takes the payload and what the spider knew about the page and
returns the record fields of ``pipelines/article.schema.json`` except ``warc``, ``version`` and
``previous`` (added by the pipeline). It runs in worker processes, so inputs and outputs are plain
picklable values; module-level objects are immutable configuration plus a memo of compiled CSS
selectors (a pure function's cache).

With a site profile, the body is read from the profile's ``body`` subtree by our own paragraph
walker (``remove`` selectors, figures, captions, related boxes and bylines dropped). Without one,
trafilatura extracts the main text with the process's configured ``Extractor`` objects
(favor_precision, balanced as a rescue). Metadata comes from the profile's selectors first, then
JSON-LD / Open Graph / ``<meta>``, then generic markup.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import html as htmllib
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import lxml.html
from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError
from lxml.html import HtmlElement
from trafilatura import extract as trafilatura_extract
from trafilatura.settings import Extractor

from pipelines.normalise import looks_vietnamese, normalise_line, normalise_record
from spiders.profiles import Selectors, SiteProfile

logger = logging.getLogger(__name__)

# One extractor configuration per process, built at import (trafilatura copies it before any
# per-call change, so sharing it is safe). Settings measured on the Zyte benchmark: see
# bench/report.md. Reader comments are never article text.
PRECISE_EXTRACTOR = Extractor(output_format="txt", comments=False, tables=True, precision=True)
BALANCED_EXTRACTOR = Extractor(output_format="txt", comments=False, tables=True)
# favor_precision loses the whole article on a few layouts (a reprint notice wins); when its
# text is short, the balanced run is tried and kept if it is this many times longer.
SHORT_PRECISE_WORDS = 300
RESCUE_RATIO = 3.0

MIN_TEXT_WORDS = 20  # fewer words than this: not an article (listing, error or paywall page)

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)


class ExtractionError(ValueError):
    """The page has no article content (the pipeline counts and drops it)."""


# === decoding and parsing ====================================================================

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
# What browsers do (WHATWG Encoding): these labels mean windows-1252.
_LABEL_ALIASES = {"latin1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return _LABEL_ALIASES.get(name, name)


def _header_values(headers: dict[str, list[str]] | None, name: str) -> list[str]:
    values: list[str] = []
    for key, value in (headers or {}).items():
        key_text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key_text.lower() != name:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            values.append(item.decode("latin-1") if isinstance(item, bytes) else str(item))
    return values


def declared_charsets(
    body: bytes, headers: dict[str, list[str]] | None = None, encoding: str | None = None
) -> list[str]:
    """Charsets the response claims: HTTP Content-Type, then ``<meta>``, then the caller's guess."""
    labels: list[str | None] = []
    for value in _header_values(headers, "content-type"):
        match = _HEADER_CHARSET.search(value)
        labels.append(match.group(1) if match else None)
    meta_match = _META_CHARSET.search(body[:4096])
    labels.append(meta_match.group(1).decode("ascii", "replace") if meta_match else None)
    labels.append(encoding)
    out: list[str] = []
    for label in labels:
        codec = _codec(label)
        if codec and codec not in out:
            out.append(codec)
    return out


def decode_html(
    body: bytes | str,
    headers: dict[str, list[str]] | None = None,
    encoding: str | None = None,
) -> str:
    """Decode a payload to NFC text.

    Order: a BOM; UTF-8 when the bytes are valid UTF-8 (a legacy page is almost never valid
    UTF-8 by accident, while a UTF-8 page with a wrong label is common); the declared charsets
    (HTTP, ``<meta>``, the caller's guess) when they decode cleanly; charset detection;
    UTF-8 with replacement characters. windows-1258 puts tone marks as combining characters,
    hence the NFC.
    """
    if isinstance(body, str):
        return unicodedata.normalize("NFC", body)
    text = _decode_bytes(body, headers, encoding)
    return unicodedata.normalize("NFC", text)


def _decode_bytes(body: bytes, headers: dict[str, list[str]] | None, encoding: str | None) -> str:
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for codec in declared_charsets(body, headers, encoding):
        if codec in ("utf-8", "utf-16", "utf-32"):
            continue  # already ruled out (or not an HTML-compatible 8-bit encoding)
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    detected = _detect(body)
    if detected is not None:
        return detected
    return body.decode("utf-8", errors="replace")


def _detect(body: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # a trafilatura dependency; keep working without it
        return None
    best = from_bytes(body[:200_000]).best()
    if best is None:
        return None
    return body.decode(best.encoding, errors="replace")


def parse_html(html: str) -> HtmlElement:
    html = _XML_DECL.sub("", html, count=1)
    if not html.strip():
        raise ExtractionError("empty document")
    try:
        return lxml.html.document_fromstring(html, parser=_PARSER)
    except (ParserError, ValueError) as exc:
        raise ExtractionError(f"unparsable HTML: {exc}") from exc


@lru_cache(maxsize=1024)
def _compiled(selector: str) -> CSSSelector | None:
    """CSS -> XPath translation is costly; compiled selectors are memoised (pure function)."""
    try:
        return CSSSelector(selector)
    except (SelectorError, ValueError) as exc:
        logger.warning("bad CSS selector %r: %s", selector, exc)
        return None


def select(root: HtmlElement, selector: str) -> list[HtmlElement]:
    """CSS selection that treats a bad selector as "no match" (with a warning)."""
    compiled = _compiled(selector) if selector else None
    return list(compiled(root)) if compiled is not None else []


# === page metadata (meta tags, JSON-LD) =========================================================

_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "blogposting",
    "liveblogposting",
    "scholarlyarticle",
    "report",
}


@dataclass
class PageMeta:
    """What ``<head>`` and JSON-LD say about the page."""

    metas: dict[str, list[str]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    ld_objects: list[dict[str, Any]] = field(default_factory=list)
    html_lang: str = ""
    header_lang: str = ""
    base_href: str = ""

    def get(self, *keys: str) -> str:
        for key in keys:
            for value in self.metas.get(key, ()):
                if value.strip():
                    return value.strip()
        return ""

    def all(self, key: str) -> list[str]:
        return [v for v in self.metas.get(key, ()) if v.strip()]

    @property
    def article_ld(self) -> dict[str, Any]:
        for obj in self.ld_objects:
            if _ld_types(obj) & _ARTICLE_TYPES:
                return obj
        return {}

    def ld_values(self, key: str) -> list[Any]:
        value = self.article_ld.get(key)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    @property
    def site_name(self) -> str:
        return self.get("og:site_name", "application-name")

    @property
    def is_article_typed(self) -> bool:
        return self.get("og:type").lower() == "article" or bool(self.article_ld)


def _ld_types(obj: dict[str, Any]) -> set[str]:
    types = obj.get("@type", [])
    types = types if isinstance(types, list) else [types]
    return {str(t).lower() for t in types}


def _walk_ld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk_ld(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _walk_ld(data["@graph"])


def read_meta(tree: HtmlElement, headers: dict[str, list[str]] | None) -> PageMeta:
    meta = PageMeta()
    for node in tree.iter("meta"):
        key = node.get("property") or node.get("name") or node.get("itemprop") or ""
        key = key or (node.get("http-equiv") or "")
        if key and node.get("content") is not None:
            meta.metas.setdefault(key.strip().lower(), []).append(node.get("content", ""))
    for node in tree.iter("link"):
        rel = (node.get("rel") or "").lower().split()
        for name in rel:
            if node.get("href") and name not in meta.links:
                meta.links[name] = node.get("href", "")
    for node in tree.iter("script"):
        if (node.get("type") or "").lower().strip() == "application/ld+json" and node.text:
            meta.ld_objects.extend(_walk_ld(_load_json(node.text)))
    meta.html_lang = tree.get("lang") or tree.get("xml:lang") or ""
    header_langs = _header_values(headers, "content-language")
    meta.header_lang = header_langs[0] if header_langs else meta.get("content-language")
    bases = tree.xpath("//base[@href]/@href")
    meta.base_href = str(bases[0]) if bases else ""
    return meta


def _load_json(text: str) -> Any:
    text = text.strip().removeprefix("<!--").removesuffix("-->").strip()
    try:
        return json.loads(text, strict=False)
    except ValueError:
        return None


def _ld_name(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("name") or ""
    return htmllib.unescape(str(value)) if isinstance(value, str | int) else ""


def _split_list(values: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for value in values:
        if isinstance(value, list):
            out.extend(_split_list(value))
        elif isinstance(value, str):
            out.extend(part for part in re.split(r"\s*[,;]\s*", htmllib.unescape(value)) if part)
    return out


# === simple fields =============================================================================

_SUFFIX_SEP = re.compile(r"\s+[-|–—:»·]\s+|\s*\|\s*")
_SITE_WORDS = re.compile(
    r"\b(báo|tạp chí|điện tử|online|news|tin tức|cổng thông tin)\b|\.(vn|com|net)\b", re.I
)
_LEAD_SELECTORS = (
    ".article__sapo",
    ".sapo",
    "h2.detail-sapo",
    ".detail-sapo",
    "[data-role=sapo]",
    ".sapo_detail",
    "p.description",
    ".singular-sapo",
)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d").replace("ð", "d"))
    return re.sub(r"[\W_]", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


def strip_site_suffix(title: str, site_names: Iterable[str]) -> str:
    """Drop a trailing (or leading) " - Báo Nhân Dân điện tử" / "| VnExpress" segment."""
    names = {_folded(n) for n in site_names if n and len(_folded(n)) >= 3}
    parts = _SUFFIX_SEP.split(title)
    if len(parts) < 2:
        return title.strip()

    def is_site(segment: str) -> bool:
        folded = _folded(segment)
        if not folded:
            return True
        if any(n in folded or folded in n for n in names if len(folded) >= 3):
            return True
        return bool(_SITE_WORDS.search(segment)) and len(segment.split()) <= 6

    while len(parts) > 1 and is_site(parts[-1]):
        parts.pop()
    while len(parts) > 1 and is_site(parts[0]):
        parts.pop(0)
    kept = title
    if parts:
        start = title.find(parts[0])
        end = title.rfind(parts[-1]) + len(parts[-1])
        kept = title[start:end] if 0 <= start < end else title
    return kept.strip()


def node_text(node: HtmlElement) -> str:
    """An element's text; for ``<meta>`` (profiles may select them) its ``content``."""
    if node.tag == "meta":
        return htmllib.unescape(str(node.get("content") or ""))
    return str(node.text_content())


def _first_text(root: HtmlElement, selector: str) -> str:
    for node in select(root, selector):
        text = normalise_line(node_text(node))
        if text:
            return text
    return ""


def _site_names(meta: PageMeta, profile: SiteProfile | None, url: str) -> list[str]:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    names = [meta.site_name, meta.get("author", "twitter:site", "copyright"), host]
    names.append(host.split(".")[0] if host else "")
    if profile:
        names += [profile.publisher, profile.name, *profile.domains]
    publisher = meta.article_ld.get("publisher")
    names.append(_ld_name(publisher))
    return [n for n in names if n]


def title_candidates(
    tree: HtmlElement, sel: Selectors, meta: PageMeta, names: list[str]
) -> list[str]:
    """Headline candidates, best first, site-name segments removed (empty ones dropped)."""
    headline = meta.ld_values("headline")
    candidates = [
        _first_text(tree, sel.title),
        meta.get("og:title", "twitter:title"),
        normalise_line(_ld_name(headline[0])) if headline else "",
        _first_text(tree, "h1"),
        _first_text(tree, "title"),
    ]
    return [strip_site_suffix(htmllib.unescape(c), names) for c in candidates if c]


def extract_title(tree: HtmlElement, sel: Selectors, meta: PageMeta, names: list[str]) -> str:
    candidates = title_candidates(tree, sel, meta, names)
    return candidates[0] if candidates else ""


def extract_lead(tree: HtmlElement, sel: Selectors, meta: PageMeta) -> tuple[str, bool]:
    """The sapo and whether it came from the page body (True) or from ``<meta>`` (False)."""
    for selector in (sel.lead, *_LEAD_SELECTORS):
        text = _first_text(tree, selector)
        if text:
            return text, True
    return normalise_line(meta.get("description", "og:description")), False


def canonical_url(url: str, meta: PageMeta) -> str:
    for candidate in (meta.links.get("canonical", ""), meta.get("og:url")):
        if not candidate.strip():
            continue
        parts = urlsplit(urljoin(url, candidate.strip()))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            continue
        if parts.path in ("", "/") and urlsplit(url).path not in ("", "/"):
            continue  # og:url at the home page: a template default, not this page
        netloc = parts.netloc
        if (parts.scheme, parts.port) in (("https", 443), ("http", 80)):
            netloc = parts.hostname
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return url


def detect_language(meta: PageMeta, text: str) -> str:
    """Declared language (html lang, Content-Language, og:locale) checked against the text."""
    declared = ""
    for value in (meta.html_lang, meta.header_lang, meta.get("og:locale", "language")):
        code = value.strip().lower().replace("_", "-").split("-")[0].split(",")[0]
        if re.fullmatch(r"[a-z]{2,3}", code):
            declared = code
            break
    vietnamese = looks_vietnamese(text)
    if vietnamese:
        return "vi"
    if declared and declared != "vi":
        return declared
    # A page labelled "vi" (or unlabelled) whose text has no Vietnamese letters at all.
    if re.search(r"[A-Za-z]{3}", text) and not looks_vietnamese(text, threshold=0.005):
        return "en" if not declared or declared == "vi" else declared
    return declared or "vi"


def extract_tags(tree: HtmlElement, sel: Selectors, meta: PageMeta) -> list[str]:
    for selector in (sel.tags, ".article__tag a", ".tags a", ".tag_detail a", "a[rel=tag]"):
        nodes = select(tree, selector)
        raw = [node_text(n) for n in nodes]
        if any(n.tag == "meta" for n in nodes):  # "a, b, c" in one content attribute
            raw = _split_list(raw)
        found = [normalise_line(t).strip("#,;. ") for t in raw]
        if any(found):
            return [t for t in found if t]
    for source in (meta.all("article:tag"), meta.ld_values("keywords"), meta.all("news_keywords")):
        tags = _split_list(source)
        if tags:
            return tags
    return _split_list(meta.all("keywords"))


_HOME_WORDS = {"trangchu", "home", "trangchinh", "homepage"}


def extract_categories(tree: HtmlElement, sel: Selectors, meta: PageMeta) -> list[str]:
    selectors = (sel.categories, ".breadcrumb a", ".breadcrumbs a", ".bread-crumb-detail a")
    for selector in selectors:
        found = [normalise_line(node_text(n)) for n in select(tree, selector)]
        found = [c for c in found if c and _folded(c) not in _HOME_WORDS]
        if found:
            return found
    for obj in meta.ld_objects:
        if "breadcrumblist" in _ld_types(obj):
            items = obj.get("itemListElement") or []
            names = [
                _ld_name(i.get("item") if "name" not in i else i)
                for i in items
                if isinstance(i, dict)
            ]
            names = [n for n in names if n and _folded(n) not in _HOME_WORDS]
            if names:
                return names
    return _split_list(meta.ld_values("articleSection")) or _split_list(meta.all("article:section"))


# === authors and attribution ===================================================================

_AUTHOR_PREFIX = re.compile(
    r"^(?:bài\s*(?:và|,|&)\s*ảnh|bài|tin\s*(?:và|,|&)\s*ảnh|tin|ảnh|video|clip|thực hiện|"
    r"tác giả|người viết|nhóm phóng viên|phóng viên|by)\s*[:：\-–]?\s+",
    re.I,
)
_AUTHOR_NOTE = re.compile(r"\s*\((?:tổng hợp|lược dịch|biên dịch|dịch|theo [^)]*)\)\s*$", re.I)
_ORG_WORDS = re.compile(
    r"https?:|www\.|\.(vn|com|net|org)\b|@|\d|\b(báo|tạp chí|online|news|ttxvn|vccorp|"
    r"ban biên tập|tòa soạn|cổng thông tin|công ty|tổng hợp)\b",
    re.I,
)
_SOURCE_LINE = re.compile(
    r"^\(?\s*(?:theo|nguồn)\s*:?\s+([^,;:!?()]{2,60}?|\S+\.(?:vn|com|net|org)\S*)\s*\)?\s*\.?$",
    re.I,
)


def source_from_line(text: str) -> str | None:
    """ "Theo Nhandan.vn", "(Theo TTXVN)", "Nguồn: Reuters" -> the source; None for a sentence
    such as "Theo đó, giá vàng tăng." or "Theo tôi thấy vậy" (the name must be capitalised)."""
    match = _SOURCE_LINE.match(text.strip())
    if not match:
        return None
    name = match.group(1).strip()
    domain = re.search(r"\.(vn|com|net|org)\b", name, re.I)
    if len(name.split()) > 8 or not (name[:1].isupper() or name[:1].isdigit() or domain):
        return None
    return name


_BYLINE_SELECTORS = (
    ".article__author .name",
    ".author-item-name",
    ".article-detail-author__main .name",
    ".detail-author .name",
    "[data-role=author]",
    "a[rel=author]",
    ".author",
    ".byline",
)


def clean_author(raw: str, site_names: Iterable[str] = ()) -> str | None:
    """A person's name from a byline string, or None when it is not one."""
    name = normalise_line(htmllib.unescape(raw))
    name = _AUTHOR_NOTE.sub("", _AUTHOR_PREFIX.sub("", name)).strip(" .,-–:")
    if not name or len(name) > 60 or len(name.split()) > 6:
        return None
    if name.lower().startswith("theo "):  # "Theo Hồ Hương": a person of the source paper
        return clean_author(name[5:], site_names)
    if _ORG_WORDS.search(name):
        return None
    folded = _folded(name)
    if not folded or any(folded == _folded(s) for s in site_names if s):
        return None
    return name


def _split_names(raw: str) -> list[str]:
    raw = _AUTHOR_NOTE.sub("", _AUTHOR_PREFIX.sub("", normalise_line(raw)))
    return [p for p in re.split(r"\s+[-–/&]\s+|\s*,\s*|\s+và\s+", raw) if p.strip()]


def extract_authors(
    tree: HtmlElement, sel: Selectors, meta: PageMeta, bylines: list[str], names: list[str]
) -> list[str]:
    """Profile byline > closing byline in the body > JSON-LD Person > generic byline markup."""
    candidates: list[list[str]] = []
    if sel.authors:
        candidates.append([node_text(n) for n in select(tree, sel.authors)])
    candidates.append(bylines)
    ld_people = [a for a in meta.ld_values("author") if not _is_org(a)]
    candidates.append([_ld_name(a) for a in ld_people])
    candidates.append(meta.all("article:author") + meta.all("author"))
    for selector in _BYLINE_SELECTORS:
        candidates.append([n.text_content() for n in select(tree, selector)][:5])
    for group in candidates:
        authors: list[str] = []
        for raw in group:
            for part in _split_names(raw):
                name = clean_author(part, names)
                if name and name.casefold() not in {a.casefold() for a in authors}:
                    authors.append(name)
        if authors:
            return authors
    return []


def _is_org(value: Any) -> bool:
    return isinstance(value, dict) and bool(
        _ld_types(value) & {"organization", "newsmediaorganization"}
    )


def extract_source(tree: HtmlElement, sel: Selectors, meta: PageMeta, closing: str) -> str:
    """Attribution: a closing "Theo X"/"Nguồn: X" line, a source field, "Theo X" metadata."""
    if closing:
        return closing
    profile_source = getattr(sel, "source", "")
    for selector in (profile_source, "[data-field=source]", ".link-source-name", ".source-name"):
        text = _first_text(tree, selector)
        named = source_from_line(text)
        if named:
            return named
        if text:
            return text
    for raw in [_ld_name(a) for a in meta.ld_values("author")] + meta.all("article:author"):
        named = source_from_line(normalise_line(raw))
        if named and not clean_author(named):
            return named
    return ""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# === body text ================================================================================

_BLOCK_TAGS = _words(
    "p div section article main header footer aside h1 h2 h3 h4 h5 h6 ul ol li dl dt dd "
    "blockquote pre table thead tbody tfoot tr td th caption hr address center details"
)
_INLINE_TAGS = _words("a span b strong em i u font small sup sub mark abbr cite q time")
_SKIP_TAGS = _words(
    "script style noscript iframe figure figcaption picture video audio svg button form "
    "input select textarea template object embed canvas map img source nav"
)
# Generic boilerplate inside article bodies (class/id tokens; VCCorp "type" boxes).
_BOILERPLATE_CLASS = re.compile(
    r"(^|[\s_-])(related|relate|relates|tinlienquan|tin-lien-quan|box-?relate|share|social|"
    r"sharing|comments?|advert|ads|adv|banner|rennab|sda_middle|breadcrumb|caption|newsletter|"
    r"recommend|readmore|read-more|see-?more|xem-?them|author|byline|tags?|photocms_caption)"
    r"([\s_-]|$)",
    re.I,
)
_BOILERPLATE_TYPES = _words(
    "relatedonenews relatednewsbox relatednews photo video videostream layoutalbum "
    "insertarticlerelate wrapnote"
)
_BOILERPLATE_LINE = re.compile(
    r"^(?:>>|»|\(?\s*(?:xem thêm|đọc thêm|xem tiếp|xem chi tiết|tin liên quan|bài liên quan|"
    r"mời (?:quý )?(?:bạn đọc|độc giả)|tải ứng dụng|tải app|video đang được xem nhiều|"
    r"bạn đọc có thể|theo dõi (?:báo|chúng tôi)|advertisement|read more|related(?: post)?:|"
    r"see more:|also on |don't miss|you may also like|most read|subscribe to|tags$|comments$|"
    r"share this|follow (?:us|the|him|her)\b.*\b(?:twitter|facebook|instagram)|filed under|"
    r"this copy is for your personal|like this story|tell us what you think|sign up for|"
    r"get the latest updates|-? ?order reprints)|.*click to tweet$)",
    re.I,
)
_CAPTION_LINE = re.compile(r"(?:^|[(\[\s.])(?:ảnh|ảnh minh họa|ảnh minh hoạ|photo)\s*:\s*\S", re.I)
_CREDIT = re.compile(
    r"[(\[]?\s*(?:ảnh minh họa|ảnh minh hoạ|nguồn ảnh|ảnh|photo|đồ họa|đồ hoạ)\s*:\s*", re.I
)


@dataclass
class Paragraph:
    text: str
    bold: bool = False  # all of its text inside <strong>/<b>
    right: bool = False  # right-aligned (bylines are)


@dataclass
class CleanBody:
    paragraphs: list[str]
    captions: list[str] = field(default_factory=list)
    bylines: list[str] = field(default_factory=list)
    source: str = ""


def _is_boilerplate_node(node: HtmlElement) -> bool:
    if (node.get("type") or "").lower() in _BOILERPLATE_TYPES:
        return True
    tokens = f"{node.get('class') or ''} {node.get('id') or ''}".strip()
    return bool(tokens) and bool(_BOILERPLATE_CLASS.search(tokens))


def _block_ancestor(node: HtmlElement) -> HtmlElement | None:
    parent = node.getparent()
    while parent is not None and parent.tag not in _BLOCK_TAGS:
        parent = parent.getparent()
    return parent


def _drop(node: HtmlElement) -> None:
    """Remove an element but keep its tail text (which belongs to the parent)."""
    parent = node.getparent()
    if parent is not None:
        node.drop_tree()


def _prune(root: HtmlElement, selectors: Iterable[str]) -> None:
    """Drop removable nodes; an inline element (a link inside a sentence) is kept unless it
    is the whole content of its block."""
    doomed: list[HtmlElement] = []
    for selector in selectors:
        doomed.extend(select(root, selector))
    doomed.extend(
        n for n in root.iterdescendants() if isinstance(n.tag, str) and _is_boilerplate_node(n)
    )
    for node in doomed:
        if node is root or node.getparent() is None:
            continue
        if node.tag in _INLINE_TAGS:
            block = _block_ancestor(node)
            if block is not None and normalise_line(block.text_content()) != normalise_line(
                node.text_content()
            ):
                continue
        _drop(node)


def _walk(node: HtmlElement, out: list[Paragraph]) -> None:
    buf: list[str] = []
    bold: list[bool] = []

    def flush(right: bool = False) -> None:
        raw = "".join(buf)
        lines = [re.sub(r"[ \t\r\n\f]+", " ", line).strip() for line in raw.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            out.append(Paragraph(text, bold=bool(bold) and all(bold), right=right))
        buf.clear()
        bold.clear()

    def visit(el: HtmlElement, in_bold: bool) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP_TAGS or not tag:
            if el.tail:
                buf.append(el.tail)
                if el.tail.strip():
                    bold.append(in_bold)
            return
        block = tag in _BLOCK_TAGS
        right = "right" in (el.get("style") or "").replace(" ", "") or el.get("align") == "right"
        if block:
            flush()
        if tag == "br":
            buf.append("\n")
        strong = in_bold or tag in ("b", "strong")
        if el.text:
            buf.append(el.text)
            if el.text.strip():
                bold.append(strong)
        for child in el:
            visit(child, strong)
        if block:
            flush(right)
        if el.tail:
            buf.append(el.tail)
            if el.tail.strip():
                bold.append(in_bold)

    visit(node, False)
    flush()


def body_paragraphs(node: HtmlElement, sel: Selectors) -> list[Paragraph]:
    """Paragraphs of a profile's body subtree (on a copy; the page tree is left alone)."""
    root = deepcopy(node)
    _prune(root, (*sel.remove, sel.authors, sel.lead))
    out: list[Paragraph] = []
    _walk(root, out)
    return out


def generic_paragraphs(tree: HtmlElement, url: str) -> list[Paragraph]:
    """trafilatura on the whole page: precision mode, balanced mode as a rescue."""
    text = trafilatura_extract(tree, url=url, options=PRECISE_EXTRACTOR) or ""
    if len(text.split()) < SHORT_PRECISE_WORDS:
        balanced = trafilatura_extract(tree, url=url, options=BALANCED_EXTRACTOR) or ""
        if len(balanced.split()) > RESCUE_RATIO * len(text.split()):
            text = balanced
    return [Paragraph(line.strip()) for line in text.split("\n") if line.strip()]


def _is_caption(text: str) -> bool:
    return len(text) <= 300 and bool(_CAPTION_LINE.search(text)) and len(text.split()) >= 2


def _is_closing_byline(par: Paragraph, vietnamese: bool) -> bool:
    """A closing "TRẦN HẢI" / "Bài và ảnh: MINH ANH" / "Hà Thu (tổng hợp)" / "Lê Phương"."""
    text = par.text
    if len(text) > 60 or len(text.split()) > 8 or text.endswith((".", "?", "!", ":", ";")):
        return False
    if _AUTHOR_PREFIX.match(text) or (vietnamese and _AUTHOR_NOTE.search(text)):
        return True
    words = text.split()
    letters = [c for c in text if c.isalpha()]
    upper = bool(letters) and sum(c.isupper() for c in letters) >= 0.9 * len(letters)
    title_case = len(words) <= 4 and all(w[:1].isupper() for w in words)
    return vietnamese and (upper or par.right or par.bold or title_case) and len(words) <= 6


def clean_paragraphs(
    paragraphs: list[Paragraph],
    *,
    title: str,
    lead: str,
    vietnamese: bool,
    site_names: Iterable[str] = (),
) -> CleanBody:
    """Drop the prepended headline/lead/site name (``site_names`` may also hold headline
    variants), boilerplate lines and loose captions; peel
    the closing byline (-> authors) and the closing "Theo X" line (-> source) off the text."""
    body = CleanBody(paragraphs=[])
    kept: list[Paragraph] = []
    heads = {_folded(title), _folded(lead), *(_folded(n) for n in site_names)} - {""}
    for index, par in enumerate(paragraphs):
        folded = _folded(par.text)
        if index < 3 and folded in heads:
            continue
        if _BOILERPLATE_LINE.match(par.text) and len(par.text) < 250:
            continue
        if vietnamese and _is_caption(par.text):
            body.captions.append(par.text)
            continue
        kept.append(par)
    for _ in range(3):  # closing lines: "Theo X", bylines, in any order
        if not kept:
            break
        last = kept[-1]
        named = source_from_line(last.text)
        if named and not body.source and len(last.text) <= 90:
            body.source = named
            kept.pop()
            continue
        if _is_closing_byline(last, vietnamese):
            body.bylines.insert(0, kept.pop().text)
            continue
        break
    body.paragraphs = [p.text for p in kept]
    return body


# === images ===================================================================================

_IMG_ATTRS = (
    "data-src",
    "data-original",
    "data-lazy-src",
    "data-lazy",
    "data-srcset",
    "srcset",
    "src",
)
_PLACEHOLDER = re.compile(
    r"(^data:|blank|spacer|placeholder|grey\.|gray\.|loading|1x1|pixel)", re.I
)
_CAPTION_SELECTORS = (
    "figcaption",
    ".PhotoCMS_Caption",
    ".caption",
    ".image-caption",
    "p.Image",
    "td.caption",
)


def _img_url(img: HtmlElement, base: str) -> str:
    for attr in _IMG_ATTRS:
        value = str(img.get(attr) or "").strip()
        if attr.endswith("srcset") and value:
            value = value.split(",")[0].strip().split(" ")[0]
        if value and not _PLACEHOLDER.search(value):
            return urljoin(base, value)
    return ""


def _caption_of(img: HtmlElement) -> str:
    container = img.getparent()
    for _ in range(4):
        if container is None:
            break
        for selector in _CAPTION_SELECTORS:
            text = _first_text(container, selector)
            if text:
                return text
        if container.tag in ("figure", "table") or container.get("type") == "Photo":
            break
        container = container.getparent()
    return normalise_line(img.get("cms-photo-caption") or "")


def split_credit(caption: str) -> tuple[str | None, str | None]:
    """("Thủ tướng … Ảnh: ĐỨC TÁM (TTXVN)") -> ("Thủ tướng …", "ĐỨC TÁM (TTXVN)")."""
    caption = normalise_line(caption)
    matches = list(_CREDIT.finditer(caption))
    if not matches:
        return caption or None, None
    match = matches[-1]
    credit = caption[match.end() :].strip()
    if match.group(0).lstrip()[:1] in "([" and credit.count(")") > credit.count("("):
        credit = credit[: credit.rfind(")")] if credit.endswith(")") else credit
    credit = (
        credit.rstrip(" .;)]") if credit.count("(") < credit.count(")") else credit.rstrip(" .;")
    )
    text = caption[: match.start()].strip(" .-–")
    if not credit or len(credit) > 80:
        return caption, None
    return (text + "." if text and text[-1].isalnum() else text) or None, credit


def extract_images(roots: Iterable[HtmlElement], base: str) -> list[dict[str, Any]]:
    images: list[dict[str, Any]] = []
    seen: set[str] = set()
    for root in roots:
        imgs = [root] if root.tag == "img" else list(root.iter("img"))
        for img in imgs:
            url = _img_url(img, base)
            if not url or url in seen or urlsplit(url).scheme not in ("http", "https"):
                continue
            if any(int(v) < 50 for v in (img.get("width"), img.get("height")) if v and v.isdigit()):
                continue
            seen.add(url)
            caption, credit = split_credit(_caption_of(img))
            images.append({"url": url, "caption": caption, "credit": credit})
    return images


# === dates =====================================================================================


def _fallback_dates(meta: PageMeta, timezone: str) -> dict[str, Any]:
    """Metadata-only dates, used until/unless ``pipelines.dates`` is importable."""
    tz = ZoneInfo(timezone)
    result: dict[str, Any] = {
        "published": None,
        "published_source": None,
        "published_precision": None,
        "modified": None,
        "modified_source": None,
    }
    for kind, ld_key, meta_keys in (
        ("published", "datePublished", ("article:published_time", "datepublished")),
        ("modified", "dateModified", ("article:modified_time", "datemodified")),
    ):
        options = [(f"jsonld:{ld_key}", v) for v in meta.ld_values(ld_key)]
        options += [(f"meta:{k}", meta.get(k)) for k in meta_keys]
        for source, value in options:
            parsed = _parse_date(str(value or ""), tz)
            if parsed is not None:
                result[kind], result[f"{kind}_source"] = parsed[0].isoformat(), source
                if kind == "published":
                    result["published_precision"] = parsed[1]
                break
    return result


def _parse_date(value: str, tz: ZoneInfo) -> tuple[datetime, str] | None:
    value = re.sub(r"\s+([+-]\d\d:?\d\d|Z)$", r"\1", value.strip())
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    if "T" not in value and " " not in value:
        return parsed, "day"
    return parsed, "second" if re.search(r"\d\d:\d\d:\d\d", value) else "minute"


def _dates(
    tree: HtmlElement,
    url: str,
    fetched_at: datetime,
    profile: SiteProfile | None,
    hints: dict[str, Any] | None,
    meta: PageMeta,
) -> dict[str, Any]:
    """``pipelines.dates.find_dates`` when present; the metadata fallback otherwise."""
    try:
        from pipelines import dates as dates_module
    except Exception:  # not there yet (or broken): the fallback keeps extraction alive
        dates_module = None  # type: ignore[assignment]
    if dates_module is not None:
        try:
            found = dates_module.find_dates(
                tree,
                url=url,
                fetched_at=fetched_at,
                profile=profile,
                hints=hints,
                language=_declared_language(meta, profile),
            )
        except Exception as exc:
            logger.warning("find_dates failed on %s: %r; using the metadata fallback", url, exc)
        else:
            return {
                "published": _iso(found.published),
                "published_source": found.published_source,
                "published_precision": found.published_precision,
                "modified": _iso(found.modified),
                "modified_source": found.modified_source,
            }
    return _fallback_dates(meta, profile.timezone if profile else "Asia/Ho_Chi_Minh")


def _declared_language(meta: PageMeta, profile: SiteProfile | None) -> str:
    """The language before the body is read: the profile's, else the page's declaration."""
    if profile:
        return profile.language
    for value in (meta.html_lang, meta.header_lang, meta.get("og:locale")):
        code = value.strip().lower().replace("_", "-").split("-")[0]
        if re.fullmatch(r"[a-z]{2,3}", code):
            return code
    return "vi"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


# === the entry point ==========================================================================


def text_digest(text: str) -> str:
    """``sha1:BASE32`` of the normalised text (the WARC payload-digest notation)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(text.encode("utf-8")).digest()).decode("ascii")


def record_id(canonical: str, digest: str) -> str:
    """Stable id of one article version: same canonical URL and same text, same id."""
    raw = hashlib.sha1(f"{canonical}\n{digest}".encode()).digest()
    return base64.b32encode(raw).decode("ascii").lower()


def extract_article(
    body: bytes | str,
    url: str,
    *,
    fetched_at: datetime,
    profile: SiteProfile | None,
    hints: dict[str, Any] | None = None,
    headers: dict[str, list[str]] | None = None,
    encoding: str | None = None,
) -> dict[str, Any]:
    """One article record (without ``warc``/``version``/``previous``) from one HTML payload.

    Raises :class:`ExtractionError` when the page holds no article text.
    """
    tree = parse_html(decode_html(body, headers, encoding))
    meta = read_meta(tree, headers)
    dates = _dates(tree, url, fetched_at, profile, hints, meta)
    sel = profile.selectors_for(_parse_published(dates["published"])) if profile else Selectors()
    names = _site_names(meta, profile, url)
    titles = title_candidates(tree, sel, meta, names)
    title = titles[0] if titles else ""
    lead, lead_in_page = extract_lead(tree, sel, meta)
    base = urljoin(url, meta.base_href) if meta.base_href else url

    nodes = _body_nodes(tree, sel)
    if nodes:
        paragraphs = body_paragraphs(nodes[0], sel)
        images = extract_images(select(tree, sel.images), base) or extract_images(nodes[:1], base)
    elif sel.body and not is_article_page(tree):
        # A known site whose article body is missing and whose page reads like a listing.
        raise ExtractionError(f"no {profile and profile.name} article body; a listing? {url}")
    else:
        paragraphs = generic_paragraphs(tree, url)
        images = []
    sample = " ".join(p.text for p in paragraphs[:30]) or title
    body_clean = clean_paragraphs(
        paragraphs,
        title=title,
        lead=lead if lead_in_page else "",
        vietnamese=looks_vietnamese(sample),
        # any (headline-sized) variant of the headline prepended to the body goes too
        site_names=[*names, *(t for t in titles[1:] if len(t.split()) <= 25)],
    )
    text = "\n\n".join(body_clean.paragraphs)
    if len(text.split()) < MIN_TEXT_WORDS:
        raise ExtractionError(f"no article text ({len(text.split())} words) at {url}")
    if not images and meta.get("og:image"):
        images = [{"url": urljoin(base, meta.get("og:image")), "caption": None, "credit": None}]
    _attach_captions(images, body_clean.captions)

    record: dict[str, Any] = {
        "url": url,
        "canonical_url": canonical_url(url, meta),
        "site": profile.name if profile else None,
        "publisher": (profile.publisher if profile else "") or meta.site_name or None,
        "title": title or None,
        "lead": lead or None,
        "text": text,
        "authors": extract_authors(tree, sel, meta, body_clean.bylines, names),
        **dates,
        "fetched_at": _aware(fetched_at).isoformat(),
        "language": detect_language(meta, f"{title}\n{text[:5000]}"),
        "tags": extract_tags(tree, sel, meta),
        "categories": extract_categories(tree, sel, meta),
        "images": images,
        "source": extract_source(tree, sel, meta, body_clean.source) or None,
    }
    record = normalise_record(record)
    record["text_digest"] = text_digest(record["text"])
    record["id"] = record_id(record["canonical_url"], record["text_digest"])
    return record


def _body_nodes(tree: HtmlElement, sel: Selectors) -> list[HtmlElement]:
    """Profile body matches, outermost only, the one with the most text first."""
    nodes = select(tree, sel.body)
    outer = [
        n for n in nodes if not any(o is not n and n in set(o.iterdescendants()) for o in nodes)
    ]
    return sorted(outer, key=lambda n: len(n.text_content()), reverse=True)


def _attach_captions(images: list[dict[str, Any]], captions: list[str]) -> None:
    """Captions met as loose body paragraphs go, in order, to the images that have none."""
    free = [image for image in images if not image.get("caption")]
    for image, caption in zip(free, captions, strict=False):
        image["caption"], image["credit"] = split_credit(caption)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _parse_published(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


# === listing vs article ========================================================================


_OVERLAY = re.compile(r"modal|popup|dialog|lightbox|overlay", re.I)


def _in_overlay(node: HtmlElement) -> bool:
    return any(_OVERLAY.search(a.get("class") or "") for a in node.iterancestors())


def is_article_page(page: HtmlElement | str | bytes, url: str = "") -> bool:
    """Heuristic: an article has several long paragraphs side by side in one container.

    Listing and home pages have long paragraphs too (teasers), but each sits in its own story
    box next to a headline link. ``url`` is accepted for interface symmetry (URL rules live in
    the site profiles).
    """
    tree = page if isinstance(page, HtmlElement) else parse_html(decode_html(page))
    siblings: dict[HtmlElement, int] = {}
    for p in tree.iter("p"):
        text = p.text_content().strip()
        if len(text) < 100:
            continue
        linked = sum(len(a.text_content()) for a in p.iter("a"))
        parent = p.getparent()
        if linked < len(text) / 2 and parent is not None and not _in_overlay(p):
            siblings[parent] = siblings.get(parent, 0) + 1
    return max(siblings.values(), default=0) >= 3
