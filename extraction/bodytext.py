"""The article body: paragraphs, their cleanup, and the images with captions and credits.

With a site profile, the body is read from the profile's ``body`` subtree by our own paragraph
walker (``remove`` selectors, figures, captions, related boxes and bylines dropped). Without one,
trafilatura extracts the main text with the process's configured ``Extractor`` objects
(favor_precision, balanced as a rescue). :func:`clean_paragraphs` then drops the repeated
headline, boilerplate lines and loose captions, and peels the closing byline and "Theo X" line
off the text (recognised by :mod:`extraction.bylines`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement
from trafilatura import extract as trafilatura_extract
from trafilatura.settings import Extractor

from extraction.bylines import (
    BYLINE_LINE,
    byline_source,
    is_closing_byline,
    source_from_line,
    split_attribution,
)
from extraction.htmlmeta import fold
from extraction.htmltree import first_text, select
from extraction.normalise import normalise_line
from vnnews.pagekind import (
    CARD_MAX_CHARS,
    HEADLINE_MIN_WORDS,
    drop_overlays,
    looks_like_article_url,
)
from vnnews.profiles import Selectors
from vnnews.vocab import BOILERPLATE_BOX_TYPES, BOILERPLATE_CLASS_TOKENS, BOX_HEADINGS

# One extractor configuration per process, built at import (trafilatura copies it before any
# per-call change, so sharing it is safe). Settings measured on the Zyte benchmark: see
# bench/report.md. Reader comments are never article text.
PRECISE_EXTRACTOR = Extractor(output_format="txt", comments=False, tables=True, precision=True)
BALANCED_EXTRACTOR = Extractor(output_format="txt", comments=False, tables=True)
# favor_precision loses the whole article on a few layouts (a reprint notice wins); when its
# text is short, the balanced run is tried and kept if it is this many times longer.
SHORT_PRECISE_WORDS = 300
RESCUE_RATIO = 3.0


# === paragraphs =================================================================================


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


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
    r"(^|[\s_-])(" + "|".join(map(re.escape, BOILERPLATE_CLASS_TOKENS)) + r")([\s_-]|$)", re.I
)
_BOILERPLATE_TYPES = frozenset(BOILERPLATE_BOX_TYPES)
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
_BOX_HEADINGS = frozenset(fold(h) for h in BOX_HEADINGS)
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
    lead: str = ""  # the first paragraph, when it is a standfirst equal to a stated description
    stated_first: str = ""  # the first paragraph, kept in the text, equal to a description


def _is_boilerplate_node(node: HtmlElement) -> bool:
    if (node.get("type") or "").lower() in _BOILERPLATE_TYPES:
        return True
    tokens = f"{node.get('class') or ''} {node.get('id') or ''}".strip()
    return bool(tokens) and bool(_BOILERPLATE_CLASS.search(tokens))


_LIST_TAGS = _words("ul ol dl div section table tbody")
LINK_LIST_DENSITY = 0.6  # share of a block's text in headline links that makes it a link list
LINK_LIST_WORDS = 3  # a headline link has at least this many words


def _is_link_list(node: HtmlElement) -> bool:
    """A list of headline links inside a body (related stories, recent news, "most read"),
    whatever its markup says: a list-like block with two or more links of several words each
    and most of its text in them."""
    if node.tag not in _LIST_TAGS:
        return False
    headlines = [
        len(" ".join(str(a.text_content()).split()))
        for a in node.iter("a")
        if len(str(a.text_content()).split()) >= LINK_LIST_WORDS
    ]
    if len(headlines) < 2:
        return False
    total = len(" ".join(str(node.text_content()).split()))
    return sum(headlines) >= LINK_LIST_DENSITY * total


def _story_link(a: HtmlElement) -> str:
    """The headline of a link to another article (an article-shaped URL and at least
    HEADLINE_MIN_WORDS words that are no byline or "Theo X" attribution), else ""."""
    href = (a.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:")):
        return ""
    if not looks_like_article_url(href):
        return ""
    headline = normalise_line(a.text_content())
    if len(headline.split()) < HEADLINE_MIN_WORDS:
        return ""
    if BYLINE_LINE.match(headline) or source_from_line(headline):
        return ""
    return headline


def _is_story_card(node: HtmlElement) -> bool:
    """Another story inside the body: a nested ``<article>`` or ``<aside>`` no longer than a
    teaser card that links to an article with a headline (vietnamnet.vn's
    ``article.ck-cms-insert-news``: image, headline, description), or a block whose whole text
    is one headline link to another article (a bare "related story" line). A card is as
    :func:`vnnews.pagekind.teaser_cards` counts them: CARD_MAX_CHARS, HEADLINE_MIN_WORDS."""
    if node.tag in ("article", "aside"):
        text = normalise_line(node.text_content())
        return len(text) <= CARD_MAX_CHARS and any(_story_link(a) for a in node.iter("a"))
    if node.tag not in _BLOCK_TAGS or node.tag in ("ul", "ol", "table", "tbody", "tr"):
        return False
    links = list(node.iter("a"))
    if not links or len(links) > 2:
        return False
    headline = _story_link(links[0])
    return bool(headline) and normalise_line(node.text_content()) == headline


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


HIDDEN_PROSE_CHARS = 100  # a hidden element with a text run this long may be collapsed text


def _is_hidden_widget(node: HtmlElement) -> bool:
    """An element the page never shows (``display:none``, ``visibility:hidden``, ``hidden``)
    that holds no prose: a stock-quote box, a share bar or a template waiting for a script.
    Hidden prose (a collapsed "read more" part) stays."""
    style = (node.get("style") or "").replace(" ", "").lower()
    if not (
        "display:none" in style or "visibility:hidden" in style or node.get("hidden") is not None
    ):
        return False
    return all(len(t.strip()) < HIDDEN_PROSE_CHARS for t in node.itertext())


MEDIA_TABLE_CHARS = 200  # a table used as a figure: the media and a title or caption line
_MEDIA_TAGS = ("img", "iframe", "video", "embed", "object", "canvas", "svg", "picture")


def _is_media_table(node: HtmlElement) -> bool:
    """A layout table that frames an image, a chart or a player with a short title or caption
    (``td.title-chart`` over a chart iframe; an image over its caption): a figure, whose
    text is no story text."""
    if node.tag != "table" or next(node.iter(*_MEDIA_TAGS), None) is None:
        return False
    return len(normalise_line(node.text_content())) <= MEDIA_TABLE_CHARS


def _holds_captions(node: HtmlElement) -> bool:
    """A figure, a figure caption, or an element holding or inside one (a gallery)."""
    if node.tag in ("figure", "figcaption"):
        return True
    return next(node.iter("figure", "figcaption"), None) is not None or any(
        a.tag in ("figure", "figcaption") for a in node.iterancestors()
    )


def _prune(root: HtmlElement, selectors: Iterable[str], *, captions: bool = False) -> None:
    """Drop removable nodes; an inline element (a link inside a sentence) is kept unless it
    is the whole content of its block. ``captions`` (a photo story): figures, their captions
    and the galleries holding them stay, whatever their classes say."""
    doomed: list[HtmlElement] = []
    for selector in selectors:
        doomed.extend(select(root, selector))
    doomed.extend(
        n
        for n in root.iterdescendants()
        if isinstance(n.tag, str)
        and (
            _is_boilerplate_node(n)
            or _is_link_list(n)
            or _is_story_card(n)
            or _is_hidden_widget(n)
            or (not captions and _is_media_table(n))
        )
    )
    for node in doomed:
        if node is root or node.getparent() is None:
            continue
        if captions and _holds_captions(node):
            continue
        if node.tag in _INLINE_TAGS:
            block = _block_ancestor(node)
            if block is not None and normalise_line(block.text_content()) != normalise_line(
                node.text_content()
            ):
                continue
        _drop(node)


_BR = "\x00"  # a <br> while walking; source newlines are only spaces
_PARAGRAPH_BREAK = re.compile(_BR + r"\s*(?:" + _BR + r"\s*)+")  # <br><br>: a new paragraph


def _walk(node: HtmlElement, out: list[Paragraph], *, captions: bool = False) -> None:
    """Paragraphs of ``node`` in document order. ``captions``: a photo story's text is in its
    figure captions, so ``figcaption`` elements are read as blocks (the rest of a figure
    still is not)."""
    buf: list[str] = []
    bold: list[bool] = []

    def flush(right: bool = False) -> None:
        raw = "".join(buf)
        for block in _PARAGRAPH_BREAK.split(raw):
            lines = [re.sub(r"\s+", " ", line).strip() for line in block.split(_BR)]
            text = "\n".join(line for line in lines if line)
            if text:
                out.append(Paragraph(text, bold=bool(bold) and all(bold), right=right))
        buf.clear()
        bold.clear()

    def visit(el: HtmlElement, in_bold: bool) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if captions and tag == "figure":
            # its captions: figcaption elements, and paragraphs in caption blocks of other
            # names (vnexpress.net's gallery slides keep theirs in div.desc_cation)
            for caption in el.iter("figcaption", "p"):
                if caption.tag == "p" and any(
                    a.tag == "figcaption" for a in caption.iterancestors()
                ):
                    continue
                flush()
                if caption.text:
                    buf.append(caption.text)
                for child in caption:
                    visit(child, in_bold)
                flush()
            if el.tail:
                buf.append(el.tail)
            return
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
            buf.append(_BR)
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


def body_nodes(tree: HtmlElement, sel: Selectors) -> list[HtmlElement]:
    """Profile body matches, outermost only, the one with the most text first."""
    nodes = select(tree, sel.body)
    outer = [
        n for n in nodes if not any(o is not n and n in set(o.iterdescendants()) for o in nodes)
    ]
    return sorted(outer, key=lambda n: len(n.text_content()), reverse=True)


# A sibling between two parts of one body that holds at most this much text is an interlude
# (a photo with its caption, an ad slot, an embed), not the end of the article.
INTERLUDE_CHARS = 150
MIN_PART_CHARS = 30  # a continuation holds at least one paragraph's worth of unlinked text
MIN_BARE_PART_CHARS = 200  # ... and a part of a body with no class, a few paragraphs


def _unlinked(node: HtmlElement) -> int:
    total = len(" ".join(str(node.text_content()).split()))
    linked = sum(len(" ".join(str(a.text_content()).split())) for a in node.iter("a"))
    return total if linked < total / 2 else 0


def _classes(node: HtmlElement) -> frozenset[str]:
    return frozenset((node.get("class") or "").split())


def _interlude(node: HtmlElement) -> bool:
    if not isinstance(node.tag, str) or node.tag in _SKIP_TAGS or _is_boilerplate_node(node):
        return True
    return len(" ".join(str(node.text_content()).split())) <= INTERLUDE_CHARS


def body_parts(node: HtmlElement) -> list[HtmlElement]:
    """The body element and the siblings that continue it, in document order.

    Some pages cut one article body into several sibling containers of the same kind (same
    tag and classes) around photos, embeds and ad slots. A sibling with the body's tag and
    classes that holds unlinked text is a part of the body when only interludes (figures,
    scripts, boilerplate boxes, blocks of at most ``INTERLUDE_CHARS`` characters) stand
    between it and the body. A body with no class is extended only by classless siblings
    holding ``MIN_BARE_PART_CHARS`` of unlinked text."""
    parent = node.getparent()
    classes = _classes(node)
    if parent is None:
        return [node]
    # a classless body is continued only by a substantial classless sibling
    least = MIN_PART_CHARS if classes else MIN_BARE_PART_CHARS
    siblings = [c for c in parent if isinstance(c.tag, str)]
    index = next(i for i, c in enumerate(siblings) if c is node)

    def continuation(candidates: list[HtmlElement]) -> list[HtmlElement]:
        parts: list[HtmlElement] = []
        for sibling in candidates:
            same = sibling.tag == node.tag and _classes(sibling) == classes
            if same and _unlinked(sibling) >= least:
                parts.append(sibling)
                continue
            if not _interlude(sibling):
                break
        return parts

    before = continuation(siblings[:index][::-1])[::-1]
    return [*before, node, *continuation(siblings[index + 1 :])]


def body_paragraphs(
    node: HtmlElement, sel: Selectors, *, captions: bool = False
) -> list[Paragraph]:
    """Paragraphs of a profile's body subtree (on a copy; the page tree is left alone).
    ``captions``: read figure captions too (:func:`photo_story`), each text once."""
    root = deepcopy(node)
    _prune(root, (*sel.remove, sel.authors, sel.lead), captions=captions)
    out: list[Paragraph] = []
    _walk(root, out, captions=captions)
    if not captions:
        return out
    seen: set[str] = set()
    unique = []
    for par in out:  # galleries repeat their captions (slideshow and hidden copies)
        key = fold(par.text)
        if key not in seen:
            seen.add(key)
            unique.append(par)
    return unique


PHOTO_STORY_SHARE = 2  # captions hold at least this many times the words of the rest
PHOTO_STORY_CAPTIONS = 3  # ... in at least this many captions of prose
CAPTION_PROSE_CHARS = 60  # a caption this long tells part of the story (not "Ảnh: X")


def _caption_text(figure: HtmlElement) -> str:
    """The text of a figure's captions: its figcaptions, else its paragraphs."""
    parts = list(figure.iter("figcaption")) or list(figure.iter("p"))
    return " ".join(" ".join(str(p.text_content()).split()) for p in parts)


def photo_story_container(tree: HtmlElement) -> HtmlElement | None:
    """On a page nobody has a layout for: the smallest element holding every figure whose
    captions are prose (CAPTION_PROSE_CHARS), when there are at least PHOTO_STORY_CAPTIONS of
    them (a photo story's gallery), else None."""
    figures = [f for f in tree.iter("figure") if len(_caption_text(f)) >= CAPTION_PROSE_CHARS]
    outer = [f for f in figures if not any(a in figures for a in f.iterancestors("figure"))]
    if len(outer) < PHOTO_STORY_CAPTIONS:
        return None
    common = list(outer[0].iterancestors())
    for figure in outer[1:]:
        ancestors = set(figure.iterancestors())
        common = [a for a in common if a in ancestors]
    container = common[0] if common else None
    if container is None or container.tag in ("html", "body"):
        return None
    return container


def photo_story(paragraphs: list[Paragraph], with_captions: list[Paragraph]) -> bool:
    """A photo story: the body read without its figure captions holds little, read with them
    it holds at least PHOTO_STORY_SHARE times as many words, in at least PHOTO_STORY_CAPTIONS
    captions of prose (vnexpress.net's ``fck_detail_photo`` galleries, VCCorp photo stories).
    A short item with one captioned photo is none: its body is found elsewhere."""
    plain = sum(len(p.text.split()) for p in paragraphs)
    full = sum(len(p.text.split()) for p in with_captions)
    own = {p.text for p in paragraphs}
    prose = [p for p in with_captions if p.text not in own and len(p.text) >= CAPTION_PROSE_CHARS]
    return full >= PHOTO_STORY_SHARE * max(plain, 1) and len(prose) >= PHOTO_STORY_CAPTIONS


def generic_paragraphs(tree: HtmlElement, url: str) -> list[Paragraph]:
    """trafilatura on the whole page, less its pop-ups and modals
    (:func:`vnnews.pagekind.drop_overlays`; the tree is changed): precision mode, balanced
    mode as a rescue."""
    drop_overlays(tree)
    text = trafilatura_extract(tree, url=url, options=PRECISE_EXTRACTOR) or ""
    if len(text.split()) < SHORT_PRECISE_WORDS:
        balanced = trafilatura_extract(tree, url=url, options=BALANCED_EXTRACTOR) or ""
        if len(balanced.split()) > RESCUE_RATIO * len(text.split()):
            text = balanced
    return [Paragraph(line.strip()) for line in text.split("\n") if line.strip()]


def _is_caption(text: str) -> bool:
    """A loose "… Ảnh: X" paragraph; a byline such as "Tin, ảnh: X" is none."""
    if BYLINE_LINE.match(text):
        return False
    return len(text) <= 300 and bool(_CAPTION_LINE.search(text)) and len(text.split()) >= 2


def clean_paragraphs(
    paragraphs: list[Paragraph],
    *,
    title: str,
    lead: str,
    vietnamese: bool,
    site_names: Iterable[str] = (),
    descriptions: Iterable[str] = (),
    standfirst: Callable[[str], bool] | None = None,
) -> CleanBody:
    """Drop the prepended headline/lead/site name (``site_names`` may also hold headline
    variants), boilerplate lines and loose captions; peel
    the closing byline (-> authors) and the closing "Theo X" line (-> source) off the text.

    A first paragraph equal to one of ``descriptions`` (meta/og/JSON-LD description) is the
    lead (``lead``, out of the text) only when ``standfirst(text)`` says its element is a
    standfirst (:func:`is_standfirst`); otherwise it stays in the text and is noted in
    ``stated_first`` (the record's lead must not repeat it)."""
    body = CleanBody(paragraphs=[])
    kept: list[Paragraph] = []
    heads = {fold(title), fold(lead), *(fold(n) for n in site_names)} - {""}
    stated = {fold(d) for d in descriptions} - {""}
    for index, par in enumerate(paragraphs):
        folded = fold(par.text)
        if index < 3 and folded in heads:
            continue
        if not kept and not body.lead and index < 3 and folded in stated:
            if standfirst is not None and standfirst(par.text):
                body.lead = par.text
                continue
            body.stated_first = par.text
        if _BOILERPLATE_LINE.match(par.text) and len(par.text) < 250:
            continue
        if len(par.text) <= 40 and folded in _BOX_HEADINGS:
            continue  # "TIN MỚI" over an (empty) recent-news list inside the body
        if vietnamese and _is_caption(par.text):
            body.captions.append(par.text)
            continue
        kept.append(par)
    if body.stated_first and (not kept or kept[0].text != body.stated_first):
        body.stated_first = ""  # dropped after all (boilerplate, caption): not in the text
    for _ in range(3):  # closing lines: "Theo X", bylines, in any order
        if not kept:
            break
        last = kept[-1]
        named = source_from_line(last.text)
        if named and not body.source and len(last.text) <= 90:
            body.source = named
            body.bylines[:0] = split_attribution(last.text)[1]  # "Theo A/B": A wrote it
            kept.pop()
            continue
        if is_closing_byline(last.text, emphasised=last.right or last.bold, vietnamese=vietnamese):
            body.bylines.insert(0, kept.pop().text)
            body.source = body.source or byline_source(last.text, site_names) or ""
            continue
        break
    body.paragraphs = [p.text for p in kept]
    if body.stated_first and body.stated_first not in body.paragraphs:
        body.stated_first = ""  # peeled off as a closing line
    return body


# === standfirst ===============================================================================

# Class/id/role tokens of a standfirst (the "sapo"/"dek" under a headline); camelCase and
# -/_ separated parts count ("post-excerpt", "articleSummary", "strapline").
_STANDFIRST_WORD = re.compile(
    r"excerpt|standfirst|strapline|summary|sapo|subline|intro|description|teaser|chapo|"
    r"abstract|subtitle|subhead|lead|dek|deck",
    re.I,
)
_STANDFIRST_ATTRS = ("class", "id", "role", "itemprop", "data-role")
_TEXT_TAGS = _BLOCK_TAGS | _INLINE_TAGS | {"summary"}


def _standfirst_token(node: HtmlElement) -> bool:
    for attr in _STANDFIRST_ATTRS:
        value = node.get(attr) or ""
        # "postExcerpt" -> "post Excerpt"; tokens split on space, "-", "_"
        for part in re.split(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])", value):
            if part and _STANDFIRST_WORD.fullmatch(part):
                return True
    return False


def _text_siblings(node: HtmlElement) -> Iterator[HtmlElement]:
    """The following sibling elements holding text (images, figures, scripts skipped)."""
    for sibling in node.itersiblings():
        if not isinstance(sibling.tag, str) or sibling.tag in _SKIP_TAGS:
            continue
        if sibling.text_content().strip():
            yield sibling


def _standfirst_node(node: HtmlElement, chain: list[HtmlElement]) -> bool:
    if any(_standfirst_token(n) for n in chain):
        return True
    # the first of a run of sibling paragraphs with its tag (a media box or an ad may come
    # between; a class such as "title" before "bodytext" is no standfirst mark): body text
    return not any(sibling.tag == node.tag for sibling in _text_siblings(node))


def is_standfirst(tree: HtmlElement, text: str) -> bool:
    """Is the element holding ``text`` (a first body paragraph equal to the page's stated
    description) a standfirst rather than the first ordinary body paragraph?

    It is when the element (or a wrapper holding only it) has a standfirst-like class/id/role
    (excerpt, standfirst, strapline, summary, sapo, subline, intro, description, lead, dek…),
    or when it is not followed by a sibling of its own tag (``h2.article-subline`` before
    ``<p>``s, ``p.post-excerpt`` before ``div.post-body``). The first ``<p>`` of a run of
    sibling ``<p>``s is body text (many sites copy it into their description). Every element
    holding exactly that text must qualify; none found, no standfirst."""
    target = fold(text)
    if not target:
        return False
    root = tree.find("body")
    root = root if root is not None else tree
    limit = 2 * len(text) + 200  # a cheap bound before folding an element's text
    matches: list[HtmlElement] = []
    for node in root.iter(*_TEXT_TAGS):
        content = node.text_content()
        if len(content) <= limit and fold(content) == target:
            matches.append(node)
    found = set(matches)
    outermost = [n for n in matches if n.getparent() not in found]
    if not outermost:
        return False
    return all(
        _standfirst_node(node, [n for n in matches if n is node or node in n.iterancestors()])
        for node in outermost
    )


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
            text = first_text(container, selector)
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


def attach_captions(images: list[dict[str, Any]], captions: list[str]) -> None:
    """Captions met as loose body paragraphs go, in order, to the images that have none."""
    free = [image for image in images if not image.get("caption")]
    for image, caption in zip(free, captions, strict=False):
        image["caption"], image["credit"] = split_credit(caption)
