"""Layout guessing: a synthetic site profile for a page of a site the project has no profile for.

Most Vietnamese news sites run on a handful of CMSs (VCCorp, FPT, mcms, WordPress…) whose article
markup is the same from one site to the next. :func:`guess_profile` tries the layout families of
``extraction/layouts.toml`` on a page and, when none fits, guesses the layout from the page itself
(the headline element, the container holding the article's paragraphs, the sapo between them).
A guess is accepted only when the body selector finds exactly one element with substantial
Vietnamese paragraph text and the title selector finds the headline that ``og:title``, JSON-LD
or ``<title>`` name. The result is a :class:`SiteProfile` named ``_layout:<family>`` whose
selectors drive the same paragraph walker as a real profile; it never names a site (records of
such pages keep ``site`` null).

The module is pure (module-level objects are the immutable layout table); of the extraction
modules, which import it, it imports only the HTML tree's selection and the text normaliser.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass, replace
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from lxml.html import HtmlElement

from extraction.htmltree import select
from extraction.normalise import looks_vietnamese
from vnnews import jsonld
from vnnews.profiles import ProfileError, Selectors, SiteProfile
from vnnews.vocab import BOILERPLATE_CLASS_FRAGMENTS, NOT_BODY_ANCESTOR

# package data, so it is read from a wheel, an egg (Scrapyd) or a zip as well
LAYOUTS_FILE: Traversable = files(__package__ or "extraction").joinpath("layouts.toml")
MIN_BODY_CHARS = 200  # paragraph text the generic guess needs (short news items have ~300)
MIN_FAMILY_BODY_CHARS = 120  # a family body selector is specific: ~25 words will do
MIN_PARAGRAPH_CHARS = 30  # shorter <p> are labels, captions, buttons
MAX_PATH_STEPS = 6  # depth of a generated CSS path before giving up
MIN_HEADLINE_WORDS = 4  # a <title> this long names a headline, not only the site
# Boilerplate inside article bodies on any CMS (added to every guessed layout's ``remove``), on
# top of what the body walker drops by class token (share, social, comment, ads, author…).
# A guess whose body loses its text to these is refused (see _keeps_text).
GENERIC_REMOVE = (
    "script",
    "style",
    "iframe",
    "aside",
    *(f"[class*={fragment}]" for fragment in BOILERPLATE_CLASS_FRAGMENTS),
    "[type=VideoStream]",
)
_TITLE_CLASS = re.compile(r"title|tieude|tieu-de|headline|heading", re.I)
_SITE_TITLE = re.compile(
    r"\b(?:báo|tạp chí|cổng thông tin|trang tin|trang thông tin|điện tử|online|news)\b|"
    r"\.(?:vn|com|net|org)\b",
    re.I,
)
_LEAD_CLASS = re.compile(
    r"sapo|summary|tomtat|tom-tat|lead|excerpt|desc|intro|chapeau|teaser|abstract|trichdan", re.I
)
_BOILERPLATE_ANCESTOR = re.compile("|".join(NOT_BODY_ANCESTOR), re.I)
_DATE_CLASS = re.compile(r"date|time|ngay|publish|thoigian|thoi-gian", re.I)
_DATE_TEXT = re.compile(r"\b\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}\b")
_MACHINE_DATES = (
    "meta[property='article:published_time'], meta[itemprop=datePublished], "
    "meta[name=pubdate], meta[name=publishdate], time[datetime], [itemprop=datePublished]"
)
_IDENT = re.compile(r"^-?[A-Za-z_][\w-]*$")
_CONTAINERS = frozenset({"div", "section", "article", "main", "td", "span", "font", "center"})


@dataclass(frozen=True)
class Layout:
    """One CMS family: its selectors and the profiled sites it was read from (provenance)."""

    name: str
    selectors: Selectors
    sites: tuple[str, ...] = ()


def load_layouts(path: Path | Traversable = LAYOUTS_FILE) -> tuple[Layout, ...]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        layouts = []
        for entry in data.get("layout", []):
            values = dict(entry)
            name, sites = str(values.pop("name")), tuple(values.pop("sites", ()))
            layouts.append(Layout(name, Selectors.from_dict(values), sites))
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ProfileError) as exc:
        raise ProfileError(f"{path}: bad layout table: {exc!r}") from exc
    return tuple(layouts)


LAYOUTS = load_layouts()


# --- small helpers (independent of the extraction modules) ------------------------------------


def _select(root: HtmlElement, selector: str) -> list[HtmlElement]:
    return select(root, selector, warn=False)


def _words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.findall(r"\w+", plain)


def _text(node: HtmlElement) -> str:
    return " ".join(str(node.text_content()).split())


def _similar(element_text: str, headline: str) -> bool:
    """The element's words are (nearly all) the headline's; a site suffix on the headline is ok."""
    mine, theirs = set(_words(element_text)), set(_words(headline))
    common = len(mine & theirs)
    return bool(mine) and common >= 3 and common >= 0.75 * len(mine) and common >= 0.4 * len(theirs)


@dataclass(frozen=True)
class _Headlines:
    declared: tuple[str, ...]  # og:title, twitter:title, JSON-LD headline
    page_title: str  # <title>

    def match(self, text: str) -> bool:
        return any(_similar(text, h) for h in (*self.declared, self.page_title) if h)

    @property
    def informative_title(self) -> bool:
        """``<title>`` says more than a site or section name (a headline, most likely)."""
        segments = re.split(r"\s+[-|–—:»·]\s+|\s*\|\s*", self.page_title)
        # segments naming a site or portal ("Cổng thông tin điện tử tỉnh", "Báo Mẫu") say nothing
        rest = [seg for seg in segments if not (_SITE_TITLE.search(seg) and len(seg.split()) <= 8)]
        return sum(len(seg.split()) for seg in rest) >= MIN_HEADLINE_WORDS


def _headlines(tree: HtmlElement) -> _Headlines:
    declared: list[str] = []
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or "").lower()
        if key in ("og:title", "twitter:title") and node.get("content"):
            declared.append(str(node.get("content")))
    for obj in jsonld.page_objects(tree):
        if isinstance(obj.get("headline"), str):
            declared.append(obj["headline"])
    titles = [_text(t) for t in tree.iter("title")]
    return _Headlines(tuple(declared), titles[0] if titles else "")


def _paragraph_chars(node: HtmlElement) -> int:
    """Text in the node's real paragraphs (long enough, mostly not links); all its text when
    it has no ``<p>`` (legacy bodies separated by ``<br>``)."""
    paragraphs = list(node.iter("p"))
    if not paragraphs:
        return _unlinked_chars(node)
    return sum(n for n in map(_unlinked_chars, paragraphs) if n >= MIN_PARAGRAPH_CHARS)


def _unlinked_chars(node: HtmlElement) -> int:
    total = len(_text(node))
    linked = sum(len(_text(a)) for a in node.iter("a"))
    return total if linked < total / 2 else 0


def _outermost(nodes: list[HtmlElement]) -> list[HtmlElement]:
    found = set(nodes)  # lxml elements hash by identity; the set keeps the proxies alive
    return [n for n in nodes if not any(a in found for a in n.iterancestors())]


def _precedes(first: HtmlElement, second: HtmlElement, order: dict[HtmlElement, int]) -> bool:
    return order.get(first, 0) < order.get(second, 0)


def _order(tree: HtmlElement) -> dict[HtmlElement, int]:
    """Document order (keys are the elements: ``id()`` of lxml proxies is not stable)."""
    return {el: i for i, el in enumerate(tree.iter())}


# --- the families of layouts.toml --------------------------------------------------------------


def _single_body(tree: HtmlElement, selector: str) -> HtmlElement | None:
    bodies = [
        b
        for b in _outermost(_select(tree, selector))
        if _paragraph_chars(b) >= MIN_FAMILY_BODY_CHARS
    ]
    if len(bodies) > 1 and _cut_around_media(bodies):
        # one body cut into sibling parts around media (the walker reads them all,
        # bodytext.body_parts): the biggest part stands for the body
        bodies = sorted(bodies, key=_paragraph_chars, reverse=True)[:1]
    if len(bodies) != 1 or not looks_vietnamese(_text(bodies[0])[:3000]):
        return None
    return bodies[0]


def _signature(node: HtmlElement) -> tuple[str, frozenset[str]]:
    return str(node.tag), frozenset((node.get("class") or "").split())


INTERLUDE_CHARS = 150  # text of a photo with its caption, an ad slot or an embed, at most


def _cut_around_media(bodies: list[HtmlElement]) -> bool:
    """Are these the parts of one body: siblings of one kind (tag and classes), each pair
    separated by interludes (figures, ad slots, embeds: elements with little text) only? Two
    bodies side by side with nothing between, or a headline between, are two articles."""
    parent = bodies[0].getparent()
    if parent is None or any(b.getparent() is not parent for b in bodies):
        return False
    if len({_signature(b) for b in bodies}) != 1:
        return False
    found = set(bodies)
    between: list[HtmlElement] = []
    seen = 0
    for child in parent:
        if child in found:
            if seen and not between:
                return False  # adjacent: nothing for the CMS to cut around
            seen += 1
            between = []
            if seen == len(bodies):
                return True
        elif seen and isinstance(child.tag, str):
            if child.tag in ("h1", "h2") or len(_text(child)) > INTERLUDE_CHARS:
                return False
            between.append(child)
    return False


def _title_fits(
    title: HtmlElement, body: HtmlElement, heads: _Headlines, order: dict[HtmlElement, int]
) -> bool:
    """The headline named by the metadata; with none declared, a heading above the body."""
    text = _text(title)
    if heads.match(text):
        return True
    return not heads.declared and _precedes(title, body, order) and 2 <= len(text.split()) <= 40


def try_layout(tree: HtmlElement, layout: Layout, heads: _Headlines | None = None) -> bool:
    """Does this family's markup hold the article of ``tree``?"""
    sel = layout.selectors
    body = _single_body(tree, sel.body)
    if body is None:
        return False
    heads = heads or _headlines(tree)
    order = _order(tree)
    titles = _select(tree, sel.title)
    return bool(titles) and _title_fits(titles[0], body, heads, order)


# --- the generic guess -------------------------------------------------------------------------


def _in_boilerplate(node: HtmlElement) -> bool:
    for anc in node.iterancestors():
        tokens = f"{anc.get('class') or ''} {anc.get('id') or ''}"
        if anc.tag in ("footer", "nav", "aside") or _BOILERPLATE_ANCESTOR.search(tokens):
            return True
    return False


def _body_container(tree: HtmlElement) -> HtmlElement | None:
    """The container whose own paragraphs hold the most text.

    A paragraph is any text block (:func:`_text_blocks`): a ``<p>``, a leaf ``<div>``, or a run
    of text between ``<br><br>`` breaks; text in ``<div>``s or ``<br>``-separated runs counts as
    much as text in ``<p>``s."""
    score: dict[HtmlElement, int] = {}
    for container, chars in _text_blocks(tree):
        score[container] = score.get(container, 0) + chars
    if not score:
        return None
    best = max(score, key=lambda k: score[k])
    return best if score[best] >= MIN_BODY_CHARS else None


def _tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


# Elements whose own text may be a paragraph; inline elements whose text is part of it; and
# elements under which no text is a body paragraph (lists are menus or related links).
_BLOCKISH = _tags("p div section article main td li blockquote center font dd pre")
_INLINE = _tags("a span b strong em i u small sup sub mark abbr cite q time font br")
_NOT_TEXT = _tags(
    "script style noscript iframe figure figcaption picture video audio svg button form "
    "select textarea template object embed canvas map nav header footer aside ul ol "
    "h1 h2 h3 h4 h5 h6 title head"
)


def _own_runs(el: HtmlElement) -> tuple[list[str], int]:
    """The element's own text (its text, inline children, tails; block children left out),
    cut at ``<br>``s, and how much of it is link text."""
    runs: list[str] = [el.text or ""]
    linked = 0
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            runs.append("")
        elif tag in _INLINE:
            content = str(child.text_content())
            runs[-1] += content
            if tag == "a":
                linked += len(" ".join(content.split()))
        runs[-1] += child.tail or ""
    return [" ".join(r.split()) for r in runs], linked


def _text_blocks(tree: HtmlElement) -> list[tuple[HtmlElement, int]]:
    """(container, characters) of every paragraph-like text block of the page outside page
    furniture: a block element whose own text (:func:`_own_runs`) is long and mostly not
    links. A block holding several long ``<br>``-separated runs is its own container (a legacy
    body); any other block counts for the nearest container above it."""
    out: list[tuple[HtmlElement, int]] = []
    for el in tree.iter(*_BLOCKISH):  # lxml filters the tags (fewer element proxies)
        runs, linked = _own_runs(el)
        chars = sum(len(r) for r in runs)
        if chars < MIN_PARAGRAPH_CHARS or linked >= chars / 2:
            continue
        if any(a.tag in _NOT_TEXT for a in el.iterancestors()) or _in_boilerplate(el):
            continue
        if el.tag != "p" and sum(len(r) >= MIN_PARAGRAPH_CHARS for r in runs) >= 2:
            out.append((el, chars))  # <br>-separated paragraphs: the block holds the body
            continue
        parent = el.getparent()
        while parent is not None and parent.tag not in _CONTAINERS:
            parent = parent.getparent()
        if parent is not None:
            out.append((parent, chars))
    return out


def _heading_candidates(tree: HtmlElement) -> list[HtmlElement]:
    out = []
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("title", "meta", "a", "html", "body"):
            continue
        tokens = f"{el.get('class') or ''} {el.get('id') or ''}"
        if el.tag in ("h1", "h2", "h3") or (
            el.tag in _CONTAINERS | {"p"} and _TITLE_CLASS.search(tokens)
        ):
            words = len(_text(el).split())
            if 2 <= words <= 40:
                out.append(el)
    return out


def _find_title(
    tree: HtmlElement, body: HtmlElement, heads: _Headlines, order: dict[HtmlElement, int]
) -> HtmlElement | None:
    candidates = [h for h in _heading_candidates(tree) if not _in_boilerplate(h)]
    matching = [h for h in candidates if heads.match(_text(h))]
    if matching:  # the h1 if one matches, else the first element that does
        return next((h for h in matching if h.tag == "h1"), matching[0])
    if heads.declared or heads.informative_title:
        return None  # the page names its headline and no heading shows it
    above = [h for h in candidates if _precedes(h, body, order) and body not in h.iterancestors()]
    near = [h for h in above if _common_depth(h, body) <= 3]
    return near[-1] if near else None


def _common_depth(a: HtmlElement, b: HtmlElement) -> int:
    """Steps from ``b`` up to the nearest ancestor it shares with ``a``."""
    ancestors_a = set(a.iterancestors())
    for depth, anc in enumerate(b.iterancestors(), start=1):
        if anc in ancestors_a:
            return depth
    return 99


def _find_lead(
    tree: HtmlElement, title: HtmlElement, body: HtmlElement, order: dict[HtmlElement, int]
) -> HtmlElement | None:
    """A sapo-classed block between the headline and the body, or the body's first block."""
    start, end = order.get(title, 0), order.get(body, 0)
    first_blocks = [c for c in body.iterchildren() if isinstance(c.tag, str)][:2]
    for el in tree.iter():
        position = order.get(el, 0)
        if not isinstance(el.tag, str) or not (start < position < end or el in first_blocks):
            continue
        tokens = f"{el.get('class') or ''} {el.get('id') or ''}"
        if _LEAD_CLASS.search(tokens) and len(_text(el)) >= 40 and body not in el.iterancestors():
            return el
        if el in first_blocks and _LEAD_CLASS.search(tokens) and len(_text(el)) >= 40:
            return el
    return None


def _css_step(el: HtmlElement) -> str:
    ident = el.get("id") or ""
    if _IDENT.match(ident):
        return f"{el.tag}#{ident}"
    classes = [c for c in (el.get("class") or "").split() if _IDENT.match(c)]
    step = str(el.tag) + "".join(f".{c}" for c in classes)
    parent = el.getparent()
    if parent is not None:  # a position only when the classes do not tell siblings apart
        same = list(parent.iterchildren(el.tag))
        alike = [s for s in same if set(classes) <= set((s.get("class") or "").split())]
        if len(alike) > 1:
            step += f":nth-of-type({same.index(el) + 1})"
    return step


def css_path(tree: HtmlElement, el: HtmlElement) -> str | None:
    """A CSS selector that selects exactly ``el`` in ``tree`` (None when none is found)."""
    steps: list[str] = []
    node: HtmlElement | None = el
    for _ in range(MAX_PATH_STEPS):
        if node is None or node.tag in ("html", "body"):
            break
        steps.insert(0, _css_step(node))
        selector = " > ".join(steps)
        found = _select(tree, selector)
        if len(found) == 1 and found[0] is el:
            return selector
        node = node.getparent()
    return None


def guess_generic(tree: HtmlElement, heads: _Headlines | None = None) -> Selectors | None:
    """Selectors read off this page: the headline element, the paragraph container, the sapo."""
    body = _body_container(tree)
    if body is None or not looks_vietnamese(_text(body)[:3000]):
        return None
    heads = heads or _headlines(tree)
    order = _order(tree)
    title = _find_title(tree, body, heads, order)
    if title is not None and (title is body or body in title.iterancestors()):
        return None
    if title is None and (heads.declared or not heads.informative_title):
        return None
    # No heading shows the headline that only <title> names (the h1 is the logo, or there is
    # none): the body is still this container; the title comes from <title> (htmlmeta).
    body_css = css_path(tree, body)
    title_css = (css_path(tree, title) if title is not None else None) or ""
    if not body_css or (title is not None and not title_css):
        return None
    lead_css = date_css = ""
    if title is not None:
        lead = _find_lead(tree, title, body, order)
        lead_css = (css_path(tree, lead) if lead is not None else None) or ""
        dateline = _find_dateline(tree, title, body, order)
        date_css = (css_path(tree, dateline) if dateline is not None else None) or ""
    return Selectors(
        title=title_css, lead=lead_css, body=body_css, published=date_css, remove=GENERIC_REMOVE
    )


def _find_dateline(
    tree: HtmlElement, title: HtmlElement, body: HtmlElement, order: dict[HtmlElement, int]
) -> HtmlElement | None:
    """On a page with no machine-readable publication date: the date line between the headline
    and the body ("Cập nhật: 08:15 ngày 16/01/2015" on a portal that shows no other date)."""
    if _select(tree, _MACHINE_DATES):
        return None
    if any("datePublished" in obj for obj in jsonld.page_objects(tree)):
        return None
    start, end = order.get(title, 0), order.get(body, 0)
    for el in tree.iter():
        if not isinstance(el.tag, str) or not start < order.get(el, 0) < end:
            continue
        tokens = f"{el.get('class') or ''} {el.get('id') or ''}"
        text = _text(el)
        if _DATE_CLASS.search(tokens) and len(text) <= 80 and _DATE_TEXT.search(text):
            return el
    return None


# --- the entry point ---------------------------------------------------------------------------


def guess_profile(
    tree: HtmlElement, url: str = "", *, layouts: Sequence[Layout] | None = None
) -> SiteProfile | None:
    """A synthetic profile for a page of an unknown site, or None when no layout fits.

    ``layouts`` replaces the family table (the leave-one-out evaluation passes a reduced one).
    ``url`` is accepted for interface symmetry; the guess never looks the host up.
    """
    heads = _headlines(tree)
    for layout in LAYOUTS if layouts is None else layouts:
        if try_layout(tree, layout, heads):
            sel = replace(layout.selectors, remove=(*layout.selectors.remove, *GENERIC_REMOVE))
            if _keeps_text(tree, sel):
                return _synthetic(f"_layout:{layout.name}", sel, tree)
    generic = guess_generic(tree, heads)
    if generic is None or not _keeps_text(tree, generic):
        return None
    return _synthetic("_layout:generic", generic, tree)


def _keeps_text(tree: HtmlElement, sel: Selectors) -> bool:
    """The body still holds its text once the ``remove`` selectors have run (on a copy)."""
    bodies = sorted(_select(tree, sel.body), key=lambda n: len(n.text_content()), reverse=True)
    if not bodies:
        return False
    body = deepcopy(bodies[0])
    for selector in sel.remove:
        for node in _select(body, selector):
            if node is not body and node.getparent() is not None:
                node.drop_tree()
    return _paragraph_chars(body) >= MIN_FAMILY_BODY_CHARS


def _synthetic(name: str, sel: Selectors, tree: HtmlElement) -> SiteProfile:
    site_names = [
        str(n.get("content") or "")
        for n in tree.iter("meta")
        if (n.get("property") or n.get("name") or "").lower() == "og:site_name"
    ]
    return SiteProfile(
        name=name,
        publisher=next((s.strip() for s in site_names if s.strip()), ""),
        domains=(),
        selectors=sel,
        path=str(LAYOUTS_FILE),
    )


def without_sites(sites: Iterable[str], layouts: Sequence[Layout] = LAYOUTS) -> tuple[Layout, ...]:
    """The table minus the families known only from ``sites`` (leave-one-out evaluation)."""
    left_out = set(sites)
    return tuple(lay for lay in layouts if not lay.sites or set(lay.sites) - left_out)
