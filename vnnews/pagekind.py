"""Article or not: the one rule that tells an article page from a listing or home page.

Used by the spider (which pages to archive as articles) and by the extraction (which pages to
refuse as "not an article"). It reads the page's own markup: the home page is never an article;
``og:type=article`` counts unless the page reads like a listing (VCCorp and other CMSs put it
on section pages too); an article-typed JSON-LD object (:data:`vnnews.vocab.ARTICLE_TYPES`) or
``article:published_time`` counts; otherwise a run of prose in one container with an
article-shaped URL or a dateline under a heading.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urljoin, urlsplit

from lxml import html

from vnnews import jsonld
from vnnews.vocab import ERROR_PAGE_PHRASES

_ARTICLE_URL_HINTS = (
    re.compile(r"-(?:post|p|d|a|n)?\d{5,}(?:\.html?|\.htm|\.aspx|\.chn|\.ldo|\.vnp|\.vov)?$"),
    re.compile(r"/\d{4}/\d{1,2}/\d{1,2}/[^/]+"),
    re.compile(r"[/-]\d{6,}(?:\.html?)?$"),
)
# ``/tin-tuc/chi-tiet?id=123``, ``/News/Detail.aspx?ItemID=45``, ``/index.php?newsid=9``: the
# query names the article on many government and older CMS portals.
_DETAIL_PATH = re.compile(
    r"chi-?tiet|chitiet|detail|xem|view|noi-?dung|bai-?viet|article|story|post|news|tin",
    re.IGNORECASE,
)
_ID_PARAM = re.compile(
    r"(?:^|&)(?:id|nid|newsid|news_id|itemid|item_id|articleid|article_id|postid|post_id|"
    r"contentid|content_id|tinid|baiviet)=\d{2,}(?:&|$)",
    re.IGNORECASE,
)
_DATELINE = re.compile(
    r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{4}\b|\bngày\s+\d{1,2}\s+tháng\s+\d{1,2}\b",
    re.IGNORECASE,
)
_LISTING_LINKS = 1
_HEADINGS = "//h1|//h2|//*[contains(@class,'title') or contains(@class,'tieude')]"


def looks_like_article_url(url: str) -> bool:
    """An article-shaped URL: a numeric id or a date in the path, or a detail page with an id."""
    parts = urlsplit(url)
    if any(p.search(parts.path) for p in _ARTICLE_URL_HINTS):
        return True
    detail = _DETAIL_PATH.search(f"{parts.path}?{parts.query}")
    return bool(detail and _ID_PARAM.search(parts.query))


# --- overlays: pop-ups, modals and dialogs ------------------------------------------------------

_OVERLAY_XPATH = (
    "//dialog|//*[@role='dialog' or @role='alertdialog' or @aria-modal='true'"
    " or contains(@class,'popup') or contains(@class,'modal') or contains(@class,'Popup')"
    " or contains(@class,'Modal') or contains(@id,'popup') or contains(@id,'modal')]"
)
_OVERLAY_PART = re.compile(r"^(?:popup|modal)", re.IGNORECASE)


def _overlay_named(value: str) -> bool:
    """A class/id token made of ``-``/``_`` parts, one of them starting with popup/modal
    (``popup``, ``modal_introduce``, ``box-popup-login``, ``modalLogin``)."""
    return any(
        _OVERLAY_PART.match(part) for token in value.split() for part in re.split(r"[-_]", token)
    )


def _is_overlay(node: html.HtmlElement) -> bool:
    """A pop-up, modal or dialog that does not hold the page's headline (:func:`overlays`)."""
    if node.tag in ("html", "body"):
        return False
    marked = (
        node.tag == "dialog"
        or node.get("role") in ("dialog", "alertdialog")
        or node.get("aria-modal") == "true"
        or _overlay_named(f"{node.get('class') or ''} {node.get('id') or ''}")
    )
    return marked and next(node.iter("h1"), None) is None


def overlays(tree: html.HtmlElement) -> list[html.HtmlElement]:
    """The page's outermost pop-ups, modals and dialogs (``<dialog>``, ``role=dialog``,
    ``aria-modal``, a class or id naming a popup or modal) that do not hold the page's
    headline (``h1``): membership offers, log-in forms, newsletter and cookie boxes. Their
    prose is never the article's, and on a section page it is the only prose there is. A
    "modal" that holds the ``h1`` is an article view (a story opened over a listing) and
    stays."""
    found: list[html.HtmlElement] = []
    for node in tree.xpath(_OVERLAY_XPATH):
        if _is_overlay(node) and not any(a in found for a in node.iterancestors()):
            found.append(node)
    return found


def drop_overlays(tree: html.HtmlElement) -> None:
    """Remove :func:`overlays` from the tree (their tails stay)."""
    for node in overlays(tree):
        node.drop_tree()


def _in_overlay(node: html.HtmlElement) -> bool:
    return _is_overlay(node) or any(_is_overlay(a) for a in node.iterancestors())


def _prose_run(tree: html.HtmlElement) -> int:
    """Characters of unlinked prose in the container holding the most long paragraphs; a
    container inside a pop-up or modal (:func:`overlays`) does not count."""
    runs: dict[html.HtmlElement, int] = {}
    for p in tree.iter("p"):
        text = p.text_content().strip()
        linked = sum(len(a.text_content()) for a in p.iter("a"))
        parent = p.getparent()
        if len(text) >= 60 and linked < len(text) / 3 and parent is not None:
            runs[parent] = runs.get(parent, 0) + len(text) - linked
    for parent, run in sorted(runs.items(), key=lambda item: -item[1]):
        if not _in_overlay(parent):
            return run
    return 0


def _has_dateline(tree: html.HtmlElement) -> bool:
    """A date in the first few hundred characters of visible text after the first heading."""
    for heading in tree.xpath(_HEADINGS):
        following = heading.xpath("following::text()[normalize-space()][position() <= 8]")
        if _DATELINE.search(" ".join(str(t) for t in following)[:400]):
            return True
    return False


def _looks_like_listing(tree: html.HtmlElement, url: str) -> bool:
    """Little prose of its own and many links to article-shaped URLs."""
    if _prose_run(tree) >= 400 or looks_like_article_url(url):
        return False
    links = {urljoin(url, str(h)).split("#", 1)[0] for h in tree.xpath("//a/@href")}
    return sum(1 for link in links if looks_like_article_url(link)) >= _LISTING_LINKS


def is_listing_page(tree: html.HtmlElement, url: str) -> bool:
    """The page is surely not an article: a site's home page, or a page that is no article by
    :func:`is_article_page` and reads like a listing (little prose of its own, links to
    article-shaped URLs). Weaker evidence than ``not is_article_page``: the extraction refuses
    a page on it (with a short body), the spider's choice is :func:`is_article_page`."""
    if is_home_url(url):
        return True
    return not is_article_page(tree, url) and _looks_like_listing(tree, url)


#: Paths that serve a site's home page besides ``/``: the index file of a web server or CMS,
#: a "home" page, the root of one language of a bilingual portal.
HOME_PATHS = frozenset(
    {"", "/", "/index.html", "/index.htm", "/index.php", "/index.aspx", "/default.aspx",
     "/default.asp", "/home", "/trang-chu", "/trangchu", "/trang-chu.htm", "/trang-chu.html",
     "/vi", "/vn", "/vi-vn", "/en", "/en-us"}
)  # fmt: skip


def is_home_url(url: str) -> bool:
    """The URL is a site's home page (:data:`HOME_PATHS`; a query such as ``?lang=vi`` aside)."""
    path = urlsplit(url).path.lower()
    return path in HOME_PATHS or path.rstrip("/") in HOME_PATHS


def is_article_page(tree: html.HtmlElement, url: str) -> bool:
    """Tell an article page from a listing/home page by its own markup."""
    if is_home_url(url):
        return False  # a site's home page, whatever its markup claims
    og_type = tree.xpath('string(//meta[@property="og:type"]/@content)').strip().lower()
    if og_type == "article":
        # VCCorp and other CMSs put og:type=article on listing and home pages too.
        return not _looks_like_listing(tree, url)
    if jsonld.article_objects(jsonld.page_objects(tree)):
        return True
    if tree.xpath('//meta[@property="article:published_time"]'):
        return True
    if og_type == "website":
        return False
    # Markup says nothing: a run of prose in one container, with an article-shaped URL or a
    # dateline under a heading (government portals: "Cập nhật: 08:15 ngày 16/01/2015").
    prose = _prose_run(tree)
    dated = prose >= 150 and _has_dateline(tree)
    if looks_like_article_url(url):
        return prose >= 400 or dated
    return prose >= 800 and dated


# --- error pages -------------------------------------------------------------------------------

#: Text longer than this is an article that may well quote an error message, not an error page.
ERROR_PAGE_MAX_WORDS = 120


def error_page(tree: html.HtmlElement, text: str) -> str | None:
    """The phrase by which a page says it is an error page ("Không tìm thấy đường dẫn này",
    "Page not found": :data:`vnnews.vocab.ERROR_PAGE_PHRASES`) anywhere in its visible text,
    when the text read as its article is at most ERROR_PAGE_MAX_WORDS words; else None. A soft
    404 served with status 200 is no article, whatever its metadata says; a long article that
    quotes such a phrase is one."""
    if len(text.split()) > ERROR_PAGE_MAX_WORDS:
        return None
    visible = " ".join(_visible_text(tree).split()).lower()
    return next((phrase for phrase in ERROR_PAGE_PHRASES if phrase in visible), None)


_VISIBLE_TEXT = (
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
    " or ancestor::template)]"
)


def _visible_text(tree: html.HtmlElement) -> str:
    """The text of the page's body outside scripts, styles and templates."""
    return " ".join(str(t) for t in tree.xpath(_VISIBLE_TEXT))


# --- listing signals on a page that was read as an article --------------------------------------

MIN_CARDS = 4  # teaser cards a listing shows at least
CARD_MAX_CHARS = 900  # a card (headline, teaser, date) is short; an article body is not
CARD_MIN_EXTRA_CHARS = 60  # a card holds more than its headline: a teaser
HEADLINE_MIN_WORDS = 5  # link text this long names a story


_NOT_WORD = re.compile(r"[\W_]")  # combining marks are \W too: accents go with the spaces


def _plain(text: str) -> str:
    """Case-, accent- and space-free text, for comparing a paragraph with a card."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFD", text.casefold().replace("đ", "d")))


def teaser_cards(tree: html.HtmlElement, url: str) -> list[tuple[str, str]]:
    """(headline, card text), whitespace-collapsed, of the page's teaser cards: the smallest
    block around a link to another page of the site whose text names a story (at least
    ``HEADLINE_MIN_WORDS`` words) that holds more than the headline (a teaser, a date) and is
    short (``CARD_MAX_CHARS``); one card per block."""
    return _teasers(tree, url)[0]


def _teasers(
    tree: html.HtmlElement, url: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The page's teaser cards (:func:`teaser_cards`) and its featured teasers: a block too
    long for a card (up to ``FEATURE_MAX_CHARS``) that opens with the one story headline it
    holds, a link to another page: the lead story of a home or section page, shown with a
    long teaser."""
    own = urlsplit(url).path
    cards: list[tuple[str, str]] = []
    features: list[tuple[str, str]] = []
    titles = " ".join(_plain(str(t)) for t in tree.xpath(_OWN_TITLES))
    own_paths = {own, *(urlsplit(urljoin(url, str(h).strip())).path for h in tree.xpath(_OWN_URLS))}
    seen: set[html.HtmlElement] = set()
    for link in tree.iter("a"):
        href = str(link.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        headline = " ".join(str(link.text_content()).split())
        if len(headline.split()) < HEADLINE_MIN_WORDS:
            continue
        if urlsplit(urljoin(url, href)).path in ("", "/", own):
            continue
        node: html.HtmlElement | None = link
        for _ in range(4):
            node = node.getparent() if node is not None else None
            if node is None or node in seen:
                break
            text = " ".join(str(node.text_content()).split())
            if len(text) < len(headline) + CARD_MIN_EXTRA_CHARS:
                continue
            seen.add(node)
            if len(text) <= CARD_MAX_CHARS:
                cards.append((headline, text))
            elif (
                len(text) <= FEATURE_MAX_CHARS
                and _leads_alone(node, link, text, headline)
                and urlsplit(urljoin(url, href)).path not in own_paths
                and _plain(headline) not in titles  # the page's own headline, linked
            ):
                features.append((headline, text))
            break
    return cards, features


_OWN_TITLES = "//title/text() | //meta[@property='og:title']/@content"
_OWN_URLS = "//link[@rel='canonical']/@href | //meta[@property='og:url']/@content"


def _leads_alone(block: html.HtmlElement, link: html.HtmlElement, text: str, headline: str) -> bool:
    """``block`` opens with ``headline`` (its link) and names no other story (a link to the
    same page, such as a teaser that links too, is the same story)."""
    if not text.startswith(headline):
        return False
    target = str(link.get("href") or "").strip()
    for other in block.iter("a"):
        if other is link or str(other.get("href") or "").strip() == target:
            continue
        if len(str(other.text_content()).split()) >= HEADLINE_MIN_WORDS:
            return False
    return True


def teaser_share(tree: html.HtmlElement, url: str, paragraphs: list[str]) -> tuple[int, float]:
    """How listing-like the text read from the page is: (number of teaser cards on the page,
    share of the text's words in paragraphs that are a card's headline, headline + teaser, or
    teaser, or part of a featured teaser). An article's paragraphs live in one long body, not
    in short cards around headline links; a section page's "text" is its cards."""
    cards, features = _teasers(tree, url)
    return len(cards), _card_share([*cards, *features], paragraphs)


def _card_share(cards: list[tuple[str, str]], paragraphs: list[str]) -> float:
    """The share of the words of ``paragraphs`` in paragraphs that are one of ``cards``
    (compared case-, accent- and space-free)."""
    folded_cards = [(_plain(headline), _plain(text)) for headline, text in cards]
    total = inside = 0
    for paragraph in paragraphs:
        folded = _plain(paragraph)
        if len(folded) < 20:
            continue  # too short to tell ("2 giờ trước" under each card): it does not count
        words = len(paragraph.split())
        total += words
        for headline, card in folded_cards:
            if folded == headline or (len(headline) >= 20 and folded.startswith(headline)):
                inside += words
                break
            if folded in card and folded not in headline and headline not in folded:
                inside += words
                break
    return inside / total if total else 0.0


def reads_like_cards(
    tree: html.HtmlElement, url: str, paragraphs: list[str], *, many: bool = False
) -> bool:
    """The text read as an article is mostly teaser cards (:func:`teaser_share`): a home or
    section page (VCCorp and others say og:type=article there too). ``many``: the page passes
    for an article by its URL or markup, so it takes MANY_CARDS cards holding
    MANY_CARDS_SHARE of the text (a topic page at an id-bearing URL; an article with a few
    related cards never has that many), or MIN_CARDS cards and a featured teaser that hold
    that share (a lead story shown with a long teaser, its headline linking elsewhere, is
    what home and section pages open with; the text read is its teaser or the cards)."""
    cards, features = _teasers(tree, url)
    if len(cards) < MIN_CARDS:
        return False
    if not many:
        return _card_share([*cards, *features], paragraphs) >= LISTING_CARD_SHARE
    if len(cards) >= MANY_CARDS and _card_share(cards, paragraphs) >= MANY_CARDS_SHARE:
        return True
    return bool(features) and _card_share([*cards, *features], paragraphs) >= MANY_CARDS_SHARE


LISTING_CARD_SHARE = 0.5  # at least half the words in teaser cards: a listing
MANY_CARDS = 15  # ... on a page that passes for an article: this many cards
MANY_CARDS_SHARE = 0.85  # ... holding this share of its text
FEATURE_MAX_CHARS = 4000  # a featured teaser: longer than a card, shorter than most articles
