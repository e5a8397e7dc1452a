"""One JSON-LD reader (vnnews.jsonld) and one vocabulary (vnnews.vocab), used everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html

from extraction.datecandidates import jsonld_dates
from extraction.htmlmeta import read_meta
from extraction.htmltree import decode_html, parse_html
from vnnews import jsonld
from vnnews.pagekind import is_article_page
from vnnews.vocab import ARTICLE_TYPES

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "tests" / "data" / "html"
PAGES = sorted(str(p.relative_to(HTML)) for p in HTML.glob("*/*.html"))


def _tree(relpath: str) -> html.HtmlElement:
    return parse_html(decode_html((HTML / relpath).read_bytes()))


def test_graph_nesting_comments_and_escapes_are_read() -> None:
    page = html.document_fromstring(
        "<html><head>"
        '<script type="application/ld+json"><!-- {"@graph": [{"@type": "WebPage",'
        ' "mainEntity": {"@type": "http://schema.org/ReportageNewsArticle", "headline": "A"}}]}'
        " --></script>"
        '<script type="application/ld+json">{&quot;@type&quot;: &quot;BlogPosting&quot;}</script>'
        '<script type="application/ld+json">{broken</script>'
        '<script type="Application/LD+JSON ">[{"@type": ["Thing", "Report"]}]</script>'
        "</head><body></body></html>"
    )
    objects = jsonld.page_objects(page)
    assert [sorted(jsonld.types(o)) for o in objects] == [
        [],  # the {"@graph": …} wrapper
        ["webpage"],
        ["reportagenewsarticle"],
        ["blogposting"],
        ["report", "thing"],
    ]
    assert [o.get("headline") for o in jsonld.article_objects(objects)] == [
        "A",
        None,
        None,
    ]


@pytest.mark.parametrize("relpath", PAGES)
def test_every_reader_agrees_on_the_article_object(relpath: str) -> None:
    """Metadata, dates and the page kind see the same article object on every real page."""
    tree = _tree(relpath)
    articles = jsonld.article_objects(jsonld.page_objects(tree))
    meta = read_meta(tree, None)
    assert bool(meta.article_ld) == bool(articles)
    if articles:
        assert meta.article_ld is articles[0] or meta.article_ld == articles[0]
        stated = any("datePublished" in obj for obj in articles)
        assert any(kind == "published" for kind, *_ in jsonld_dates(tree)) == stated
        # a JSON-LD article on a page that is not the home page is an article page
        assert is_article_page(tree, "https://example.vn/a/b")


def test_real_article_pages_state_their_type_in_the_vocabulary() -> None:
    typed = [p for p in PAGES if jsonld.article_objects(jsonld.page_objects(_tree(p)))]
    assert len(typed) >= 8  # baochinhphu, cafef, dantri, nhandan, nld, tuoitre, vietnamnet…
    listings = [p for p in PAGES if "list-" in p or "home-" in p]
    assert not any(p in typed for p in listings)


_READS_JSONLD = re.compile(r"ld\+json|@graph")
_DEFINES_TYPES = re.compile(r'["\'](?:newsarticle|blogposting|reportagenewsarticle)["\']', re.I)


def test_no_module_walks_json_ld_or_lists_article_types_itself() -> None:
    offenders = []
    for pkg in ("extraction", "spiders", "pipelines", "vnnews", "commands", "archive"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if path.name in ("jsonld.py", "vocab.py"):
                continue
            source = path.read_text(encoding="utf-8")
            if _READS_JSONLD.search(source) or _DEFINES_TYPES.search(source):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_vocabulary_is_lower_case_and_has_the_schema_org_news_types() -> None:
    assert all(t == t.lower() for t in ARTICLE_TYPES)
    assert {"newsarticle", "article", "reportagenewsarticle", "blogposting"} <= ARTICLE_TYPES
