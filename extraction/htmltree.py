"""The HTML tree: payload bytes -> NFC text -> lxml tree, and CSS selection on it.

Decoding follows what a browser would do with a Vietnamese news page (BOM, valid UTF-8, the
declared charsets, detection); see :func:`decode_html`. Compiled CSS selectors are memoised
(a pure function's cache), so the module holds no other state.
"""

from __future__ import annotations

import codecs
import html as htmllib
import logging
import re
import unicodedata
from functools import lru_cache
from typing import ClassVar

import lxml.html
from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError
from lxml.html import HtmlElement

from extraction.normalise import normalise_line

logger = logging.getLogger(__name__)

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)


class ExtractionError(ValueError):
    """The page has no article content (the pipeline counts and drops it)."""


# === decoding ==================================================================================

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


def header_values(headers: dict[str, list[str]] | None, name: str) -> list[str]:
    """Every value of header ``name`` (lower case); keys and values may be bytes or str."""
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
    for value in header_values(headers, "content-type"):
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


# === parsing and selecting =====================================================================


def parse_html(html: str) -> HtmlElement:
    """An lxml document (comments and processing instructions dropped); ExtractionError when
    there is nothing to parse."""
    html = _XML_DECL.sub("", html, count=1)
    if not html.strip():
        raise ExtractionError("empty document")
    try:
        return lxml.html.document_fromstring(html, parser=_PARSER)
    except (ParserError, ValueError) as exc:
        raise ExtractionError(f"unparsable HTML: {exc}") from exc


@lru_cache(maxsize=4096)
def _compiled(selector: str, warn: bool = True) -> CSSSelector | None:
    """CSS -> XPath translation is costly; compiled selectors are memoised (pure function)."""
    try:
        return CSSSelector(selector)
    except (SelectorError, ValueError) as exc:
        if warn:
            logger.warning("bad CSS selector %r: %s", selector, exc)
        return None


_TAG_ONLY = re.compile(r"[a-z][a-z0-9]*")


def select(root: HtmlElement, selector: str, *, warn: bool = True) -> list[HtmlElement]:
    """CSS selection that treats a bad selector as "no match" (with a warning unless ``warn``
    is false).

    Profiles and layout families carry many selectors for templates other than the page's own;
    each one is an XPath walk of the whole tree. A selector none of whose alternatives can match
    the classes and ids the document has at all (:class:`_DocumentNames`) is answered without
    the walk."""
    if _TAG_ONLY.fullmatch(selector):  # a bare tag name: lxml's own walk, ~10x an XPath's speed
        return list(root.iter(selector))
    compiled = _compiled(selector, warn) if selector else None
    if compiled is None:
        return []
    names = _DocumentNames.of(root)
    if not names.may_match(_needs(selector)):
        return []
    alternatives = _alternatives(selector)
    if len(alternatives) > 1:  # run only the alternatives the document can match
        kept = [
            text
            for text, needs, hrefs in alternatives
            if names.may_match(needs) and names.may_link(hrefs)
        ]
        if not kept:
            return []
        if len(kept) < len(alternatives):
            compiled = _compiled(", ".join(kept), warn)
            if compiled is None:
                return []
    return list(compiled(root))


def _split_alternatives(selector: str) -> list[str]:
    """The comma-separated alternatives of a selector (commas inside brackets, parentheses
    and quotes do not split)."""
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for i, char in enumerate(selector):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(selector[start:i].strip())
            start = i + 1
    parts.append(selector[start:].strip())
    return parts


_HREF_PART = re.compile(r"\[\s*href\s*\*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\]\s]*))\s*\]")
_Alternative = tuple[str, "_Needs | None", tuple[str, ...]]


@lru_cache(maxsize=4096)
def _alternatives(selector: str) -> tuple[_Alternative, ...]:
    """Each alternative of ``selector`` with what it needs (:func:`_needs`) and the substrings
    its ``[href*=…]`` tests need in some link of the document; one entry when the selector has
    a single alternative or cannot be split safely (escapes)."""
    if "," not in selector or "\\" in selector:
        return ((selector, _needs(selector), ()),)
    return tuple((part, _needs(part), _href_needs(part)) for part in _split_alternatives(selector))


def _href_needs(alternative: str) -> tuple[str, ...]:
    if "(" in alternative:  # inside :not(…) a test needs the opposite: no prefilter
        return ()
    return tuple(
        next(g for g in m.groups() if g is not None) for m in _HREF_PART.finditer(alternative)
    )


# -- the prefilter: what a selector needs, what a document has ----------------------------------

# A selector's needs: per comma-separated alternative, the class tokens, class-attribute
# substrings and ids it cannot match without. Parsed conservatively: anything not understood
# (escapes, namespaces) needs nothing, so the selector is run.
_Needs = tuple[tuple[frozenset[str], tuple[str, ...], frozenset[str]], ...]
_IDENT = r"-?[A-Za-z_][\w-]*"
_PAREN = re.compile(r"\([^()]*\)")
_BRACKET = re.compile(
    r"\[\s*([\w-]+)\s*([~*^$|]?=)\s*(?:\"([^\"]*)\"|'([^']*)'|([^\]\s]*))\s*\]|\[[^\]]*\]"
)
_CLASS = re.compile(r"\.(" + _IDENT + ")")
_ID = re.compile(r"#(" + _IDENT + ")")


@lru_cache(maxsize=4096)
def _needs(selector: str) -> _Needs | None:
    """None when some alternative needs nothing this prefilter knows (always run it)."""
    if "\\" in selector or "|" in selector.replace("|=", ""):
        return None
    text = selector
    while True:  # drop the arguments of :not(), :has(), :nth-child() … (innermost first)
        stripped = _PAREN.sub("", text)
        if stripped == text:
            break
        text = stripped
    needs = []
    for alternative in text.split(","):
        classes: set[str] = set()
        substrings: list[str] = []
        for match in _BRACKET.finditer(alternative):
            name, op = match.group(1), match.group(2)
            value = next((g for g in match.group(3, 4, 5) if g is not None), "")
            if name == "class" and value:
                if op == "~=":
                    classes.add(value)
                elif op in ("*=", "^=", "$=", "="):
                    substrings.append(value)
        plain = _BRACKET.sub(" ", alternative)
        classes.update(_CLASS.findall(plain))
        ids = frozenset(_ID.findall(plain))
        if not classes and not substrings and not ids:
            return None
        needs.append((frozenset(classes), tuple(substrings), ids))
    return tuple(needs)


class _DocumentNames:
    """The class tokens, class attribute values and ids present anywhere in one document.

    Kept for the last four documents asked about (a worker reads one page at a time; the body
    walker works on copies of parts of it). The extraction removes elements but never adds
    classes or ids, so what was read stays a superset of what the tree holds: a selector it
    rules out cannot match."""

    _recent: ClassVar[list[tuple[HtmlElement, _DocumentNames]]] = []

    def __init__(self, doc: HtmlElement) -> None:
        values = [str(v) for v in doc.xpath("//@class")]
        self.classes = set(" ".join(values).split())
        self.joined = "\0".join(values)
        self.ids = {str(v) for v in doc.xpath("//@id")}
        self._doc = doc
        self._hrefs: str | None = None
        self.frozen: frozenset[str] | None = None

    @classmethod
    def of(cls, root: HtmlElement) -> _DocumentNames:
        doc = root.getroottree().getroot()
        for known, names in cls._recent:
            if known is doc:
                return names
        names = cls(doc)
        cls._recent = [(doc, names), *cls._recent[:3]]
        return names

    def may_link(self, hrefs: tuple[str, ...]) -> bool:
        """Some ``href`` in the document may contain each of ``hrefs`` (all values, read once
        on first use)."""
        if not hrefs:
            return True
        if self._hrefs is None:
            self._hrefs = "\0".join(str(v) for v in self._doc.xpath("//@href"))
        return all(h in self._hrefs for h in hrefs)

    def may_match(self, needs: _Needs | None) -> bool:
        if needs is None:
            return True
        return any(
            classes <= self.classes
            and all(s in self.joined for s in substrings)
            and ids <= self.ids
            for classes, substrings, ids in needs
        )


def class_tokens(root: HtmlElement) -> frozenset[str]:
    """Every class token used anywhere in ``root``'s document (read once per document)."""
    names = _DocumentNames.of(root)
    if names.frozen is None:
        names.frozen = frozenset(names.classes)
    return names.frozen


def names_mention(root: HtmlElement, *parts: str) -> bool:
    """Some class or id anywhere in ``root``'s document contains one of ``parts`` (any case;
    read once per document): a cheap test before an XPath walk looking for them."""
    names = _DocumentNames.of(root)
    text = f"{names.joined}\0{chr(0).join(names.ids)}".lower()
    return any(part in text for part in parts)


def node_text(node: HtmlElement) -> str:
    """An element's text; for ``<meta>`` (profiles may select them) its ``content``."""
    if node.tag == "meta":
        return htmllib.unescape(str(node.get("content") or ""))
    return str(node.text_content())


def first_text(root: HtmlElement, selector: str) -> str:
    """The first non-empty normalised text among ``selector``'s matches, else ""."""
    for node in select(root, selector):
        text = normalise_line(node_text(node))
        if text:
            return text
    return ""
