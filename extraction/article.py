"""HTML -> article record: the one extraction entry point (see docs/extraction.md).

``extract_article()`` is pure: it takes the payload and what the spider knew about the page and
returns the record fields of ``pipelines/article.schema.json`` except ``warc``, ``version`` and
``previous`` (added by the pipeline). It runs in worker processes, so inputs and outputs are plain
picklable values; module-level objects are immutable configuration plus a memo of compiled CSS
selectors (a pure function's cache).

The work is done by one module per concept, and this one puts their results together:

- ``extraction.htmltree``: bytes -> NFC text -> lxml tree, CSS selection;
- ``extraction.htmlmeta``: ``<head>``/JSON-LD metadata and the fields read from it (title,
  lead, canonical URL, language, tags, categories);
- ``extraction.bodytext``: the body's paragraphs (profile walker or trafilatura), cleanup,
  images with captions and credits;
- ``extraction.bylines``: authors and the closing "Theo X" / "Nguồn: X" attribution;
- ``extraction.dates``: publication and modification dates with provenance.

The names this module exported before the split are re-exported from here (see ``__all__``).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urljoin

from lxml.html import HtmlElement

from extraction.bodytext import (
    BALANCED_EXTRACTOR,
    PRECISE_EXTRACTOR,
    RESCUE_RATIO,
    SHORT_PRECISE_WORDS,
    CleanBody,
    Paragraph,
    attach_captions,
    body_nodes,
    body_paragraphs,
    body_parts,
    clean_paragraphs,
    extract_images,
    generic_paragraphs,
    is_standfirst,
    photo_story,
    photo_story_container,
    split_credit,
)
from extraction.bylines import (
    clean_author,
    extract_authors,
    extract_source,
    is_attribution_line,
    source_from_line,
)
from extraction.dates import find_dates
from extraction.htmlmeta import (
    PageMeta,
    canonical_url,
    declared_language,
    detect_language,
    extract_categories,
    extract_lead,
    extract_tags,
    extract_title,
    fold,
    known_site_names,
    metadata_dates,
    read_meta,
    stated_descriptions,
    strip_site_suffix,
    title_candidates,
)
from extraction.htmltree import (
    ExtractionError,
    declared_charsets,
    decode_html,
    node_text,
    parse_html,
    select,
)
from extraction.layouts import GENERIC_REMOVE, guess_profile
from extraction.normalise import looks_vietnamese, normalise_line, normalise_record
from vnnews.pagekind import (
    error_page,
    is_article_page,
    is_home_url,
    is_listing_page,
    reads_like_cards,
)
from vnnews.profiles import Selectors, SiteProfile
from vnnews.urlcanon import article_key

__all__ = [
    "BALANCED_EXTRACTOR",
    "MIN_TEXT_WORDS",
    "PRECISE_EXTRACTOR",
    "RESCUE_RATIO",
    "SHORT_PRECISE_WORDS",
    "CleanBody",
    "Extraction",
    "ExtractionError",
    "PageMeta",
    "Paragraph",
    "body_paragraphs",
    "canonical_url",
    "clean_author",
    "clean_paragraphs",
    "declared_charsets",
    "decode_html",
    "detect_language",
    "extract_article",
    "extract_authors",
    "extract_categories",
    "extract_images",
    "extract_lead",
    "extract_page",
    "extract_source",
    "extract_tags",
    "extract_title",
    "generic_paragraphs",
    "is_standfirst",
    "node_text",
    "parse_html",
    "read_meta",
    "record_id",
    "select",
    "source_from_line",
    "split_credit",
    "strip_site_suffix",
    "text_digest",
    "title_candidates",
]

logger = logging.getLogger(__name__)

MIN_TEXT_WORDS = 20  # fewer words than this: not an article (listing, error or paywall page)
# A page with no site profile that reads like a listing (vnnews.pagekind.is_listing_page) is
# refused when it is a home page or says og:type=website; else unless its markup says article
# (og:type, JSON-LD) or its body has at least this many words (a long article in <br>-separated
# text has little <p> prose but a long body; a section page's one long teaser does not).
LISTING_MAX_WORDS = 250


# === the entry point ==========================================================================


def text_digest(text: str) -> str:
    """``sha1:BASE32`` of the normalised text (the WARC payload-digest notation)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(text.encode("utf-8")).digest()).decode("ascii")


def record_id(article: str, digest: str) -> str:
    """Stable id of one article version: same article key (:func:`vnnews.urlcanon.article_key`:
    the canonical URL when on the record's own site, else its URL) and same text, same id."""
    raw = hashlib.sha1(f"{article}\n{digest}".encode()).digest()
    return base64.b32encode(raw).decode("ascii").lower()


@dataclass(frozen=True)
class Extraction:
    """What :func:`extract_page` found: the record, and how it was found.

    ``profile_miss``: the site's profile matched the URL but its body selector found no
    article text on the page (a template the profile does not know: a redesign, an older
    layout); the body came from the layout guesser or the generic path instead. The crawl
    counts it (stat ``extract/profile_miss``) so that monitoring can flag the redesign."""

    record: dict[str, Any]
    profile_miss: bool = False


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
    return extract_page(
        body,
        url,
        fetched_at=fetched_at,
        profile=profile,
        hints=hints,
        headers=headers,
        encoding=encoding,
    ).record


def read_page(
    body: bytes | str,
    headers: dict[str, list[str]] | None = None,
    encoding: str | None = None,
) -> HtmlElement:
    """The page as the extraction reads it: decoded by one rule
    (:func:`extraction.htmltree.decode_html`: a BOM, valid UTF-8, the declared charsets,
    detection; NFC) and parsed without comments. ExtractionError when there is nothing to
    parse."""
    return parse_html(decode_html(body, headers, encoding))


#: More links than this and a page is a link farm, never an article (a real news article has
#: a few hundred; reading a link-dense page costs ~100 MB of memory per MB of HTML).
MAX_LINKS = 20_000


def _refuse_link_farm(body: bytes | str) -> None:
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else body
    links = raw.count(b"<a ") + raw.count(b"<A ")
    if links > MAX_LINKS:
        raise ExtractionError(f"{links} links: a link farm, not an article (limit {MAX_LINKS})")


def extract_page(
    body: bytes | str,
    url: str,
    *,
    fetched_at: datetime,
    profile: SiteProfile | None,
    hints: dict[str, Any] | None = None,
    headers: dict[str, list[str]] | None = None,
    encoding: str | None = None,
    tree: HtmlElement | None = None,
) -> Extraction:
    """:func:`extract_article` with how the record was found (:class:`Extraction`).

    A profile is a hint, never a veto: when its body selector finds no article text, the page
    is read with a guessed layout (extraction/layouts.py), else the generic path, unless it
    reads like a listing (:func:`vnnews.pagekind.is_article_page`), which raises.

    ``tree``: the page as :func:`read_page` read ``body`` (a caller that reads the page for
    other things first passes it, so the page is decoded and parsed once); the extraction
    changes it.
    """
    _refuse_link_farm(body)
    if tree is None:
        tree = read_page(body, headers, encoding)
    site = profile.name if profile else None  # a guessed layout (extraction/layouts.py) is no site
    profile = profile or guess_profile(tree, url)
    meta = read_meta(tree, headers)
    dates = _dates(tree, url, fetched_at, profile, hints, meta)
    sel = profile.selectors_for(_parse_published(dates["published"])) if profile else Selectors()
    names = known_site_names(meta, profile, url)
    sections = extract_categories(tree, sel, meta)  # a section name may trail <title>
    titles = title_candidates(tree, sel, meta, names, sections)
    title = titles[0] if titles else ""
    lead, lead_in_page = extract_lead(tree, sel, meta)
    base = urljoin(url, meta.base_href) if meta.base_href else url

    paragraphs, images, sel, profile_miss = _read_body(tree, sel, url, base, site)
    sample = " ".join(p.text for p in paragraphs[:30]) or title
    body_clean = clean_paragraphs(
        paragraphs,
        title=title,
        lead=lead if lead_in_page else "",
        vietnamese=looks_vietnamese(sample),
        # any (headline-sized) variant of the headline prepended to the body goes too
        site_names=[*names, *(t for t in titles[1:] if len(t.split()) <= 25)],
        descriptions=() if lead_in_page else stated_descriptions(meta),
        standfirst=partial(is_standfirst, tree),
    )
    if body_clean.lead:  # a standfirst equal to the stated description: the lead
        lead = body_clean.lead
    elif body_clean.stated_first and fold(lead) == fold(body_clean.stated_first):
        lead = ""  # the meta description only repeats the text's first paragraph
    text = "\n\n".join(body_clean.paragraphs)
    if len(text.split()) < MIN_TEXT_WORDS:
        raise ExtractionError(f"no article text ({len(text.split())} words) at {url}")
    said = error_page(tree, text)
    if said:
        raise ExtractionError(f"not an article: an error page ({said!r}) at {url}")
    if not site:
        _refuse_listing(tree, url, meta, body_clean.paragraphs)
    if not images and meta.get("og:image"):
        images = [{"url": urljoin(base, meta.get("og:image")), "caption": None, "credit": None}]
    attach_captions(images, body_clean.captions)

    record: dict[str, Any] = {
        "url": url,
        "canonical_url": canonical_url(url, meta),
        "site": site,
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
        "source": extract_source(tree, sel, meta, body_clean.source, names) or None,
    }
    record = normalise_record(record)
    record["text_digest"] = text_digest(record["text"])
    record["id"] = record_id(
        article_key(record["url"], record["canonical_url"]), record["text_digest"]
    )
    return Extraction(record, profile_miss)


def _refuse_listing(tree: HtmlElement, url: str, meta: PageMeta, paragraphs: list[str]) -> None:
    """Raise "not an article" for a page with no site profile that is a listing or home page.

    - it reads like a listing (:func:`vnnews.pagekind.is_listing_page`) and is a home page,
      says og:type=website, or has a short body and no article markup;
    - the text read from it is mostly teaser cards (:func:`reads_like_cards`: headline links
      with their teasers); a page that passes for an article (:func:`is_article_page`: an
      article-shaped URL, og:type=article) needs many cards for that (a section or topic page
      served at an id-bearing URL).
    """
    words = sum(len(p.split()) for p in paragraphs)
    website = meta.get("og:type").lower() == "website"  # and no article JSON-LD (listing)
    if is_listing_page(tree, url):
        short = words < LISTING_MAX_WORDS and not meta.is_article_typed
        if is_home_url(url) or short or website:
            raise ExtractionError(f"not an article: a listing or home page at {url}")
    if reads_like_cards(tree, url, paragraphs, many=is_article_page(tree, url)):
        raise ExtractionError(f"not an article: its text is teaser cards (a listing) at {url}")


def _read_body(
    tree: HtmlElement, sel: Selectors, url: str, base: str, site: str | None
) -> tuple[list[Paragraph], list[dict[str, Any]], Selectors, bool]:
    """Raw paragraphs, images, the selectors that found them and whether the site's profile
    missed: the profile's (or guessed layout's) body subtree; when a site profile's finds no
    article text, a guessed layout's; else trafilatura (no images)."""
    found = _body_from(tree, sel, base)
    if found is not None:
        return (*found, sel, False)
    if not site:  # no profile, or a guessed layout that keeps too little: the generic path
        return _generic_body(tree, url), [], sel, False
    if not is_article_page(tree, url):
        # A known site whose article body is missing and whose page reads like a listing.
        raise ExtractionError(f"no {site} article body; a listing? {url}")
    guessed = guess_profile(tree, url)
    if guessed is not None:
        merged = _merge_selectors(tree, sel, guessed.selectors)
        found = _body_from(tree, merged, base)
        if found is not None:
            return (*found, merged, True)
    return _generic_body(tree, url), [], _merge_selectors(tree, sel, Selectors()), True


CLOSING_SIBLINGS = 2  # paragraphs after a photo story's gallery read as its closing lines
CLOSING_CHARS = 90  # ... each at most this long (a byline, a "Theo X" line)


def _generic_body(tree: HtmlElement, url: str) -> list[Paragraph]:
    """trafilatura's paragraphs (:func:`generic_paragraphs`), unless the page is a photo story
    (:func:`photo_story_container`) whose captions say more: a story told in its gallery's
    captions, on a CMS no layout family knows."""
    gallery = photo_story_container(tree)
    story: list[Paragraph] = []
    if gallery is not None:
        remove = Selectors(remove=GENERIC_REMOVE)
        story = body_paragraphs(gallery, remove, captions=True)
        if not photo_story(body_paragraphs(gallery, remove), story):
            story = []  # an article with captioned photos: its text is not in the captions
        else:  # the closing byline often follows the gallery: short paragraphs right after it
            for sibling in list(gallery.itersiblings())[:CLOSING_SIBLINGS]:
                if sibling.tag != "p" or len(sibling.text_content().strip()) > CLOSING_CHARS:
                    break
                story += body_paragraphs(sibling, remove)
    paragraphs = generic_paragraphs(tree, url)
    words = sum(len(p.text.split()) for p in paragraphs)
    if story and sum(len(p.text.split()) for p in story) > words:
        return story
    return paragraphs


def _body_from(
    tree: HtmlElement, sel: Selectors, base: str
) -> tuple[list[Paragraph], list[dict[str, Any]]] | None:
    """Paragraphs and images of the body ``sel`` names, None when it holds no article text."""
    nodes = body_nodes(tree, sel) if sel.body else []
    if not nodes:
        return None
    parts = body_parts(nodes[0])  # a body cut into sibling containers around media
    paragraphs = [p for part in parts for p in body_paragraphs(part, sel)]
    paragraphs += _closing_attribution(parts[-1], sel)
    if sum(len(p.text.split()) for p in paragraphs) < MIN_TEXT_WORDS:
        # a photo story tells its story in the captions of its figures
        captioned = [p for part in parts for p in body_paragraphs(part, sel, captions=True)]
        if not photo_story(paragraphs, captioned):
            return None
        paragraphs = captioned
        if sum(len(p.text.split()) for p in paragraphs) < MIN_TEXT_WORDS:
            return None
    images = extract_images(select(tree, sel.images), base) or extract_images(parts, base)
    return paragraphs, images


def _closing_attribution(body: HtmlElement, sel: Selectors) -> list[Paragraph]:
    """Closing lines just after the body's container: a byline or "Theo X" line that the
    template puts beside the body rather than in it (at most CLOSING_SIBLINGS elements, each
    a line of at most CLOSING_CHARS that is only an attribution: :func:`is_attribution_line`)."""
    found: list[Paragraph] = []
    for sibling in [s for s in body.itersiblings() if isinstance(s.tag, str)][:CLOSING_SIBLINGS]:
        text = normalise_line(sibling.text_content())
        if not text or len(text) > CLOSING_CHARS or not is_attribution_line(text):
            break
        found += body_paragraphs(sibling, sel)
    return found


def _merge_selectors(tree: HtmlElement, profile: Selectors, guessed: Selectors) -> Selectors:
    """The profile's selectors that still find something on this page, the guessed layout's
    for the rest (a redesign keeps some markup); the body always from the guess."""
    fields = ("title", "lead", "published", "modified", "authors", "tags", "categories", "source")
    values = {
        name: getattr(profile, name)
        if select(tree, getattr(profile, name))
        else getattr(guessed, name)
        for name in fields
    }
    return replace(
        guessed,
        **values,
        remove=(*profile.remove, *guessed.remove),
    )


def _dates(
    tree: HtmlElement,
    url: str,
    fetched_at: datetime,
    profile: SiteProfile | None,
    hints: dict[str, Any] | None,
    meta: PageMeta,
) -> dict[str, Any]:
    """The record's date fields from ``extraction.dates.find_dates``.

    A fault inside ``find_dates`` on one page is logged (one warning) and that page gets the
    dates its metadata states (:func:`extraction.htmlmeta.metadata_dates`) instead.
    """
    try:
        found = find_dates(
            tree,
            url=url,
            fetched_at=fetched_at,
            profile=profile,
            hints=hints,
            language=declared_language(meta, profile),
        )
    except Exception as exc:  # a per-page fault, never a dead crawl
        logger.warning("find_dates failed on %s: %r; using the metadata fallback", url, exc)
        return metadata_dates(meta, profile.timezone if profile else "Asia/Ho_Chi_Minh")
    return {
        "published": _iso(found.published),
        "published_source": found.published_source,
        "published_precision": found.published_precision,
        "modified": _iso(found.modified),
        "modified_source": found.modified_source,
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _parse_published(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
