"""extraction.htmltree.select: the class/id prefilter never changes what a selector selects.

Every selector the project ships (site profiles, layout families, the extraction's own) is run on
real saved pages with and without the prefilter, and on copies and detached parts of them.
"""

from __future__ import annotations

import tomllib
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from extraction.htmltree import _needs, decode_html, parse_html, select

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "tests" / "data" / "html").glob("*/*.html"))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _shipped_selectors() -> list[str]:
    tomls = [*(ROOT / "vnnews" / "profiles").glob("*.toml"), ROOT / "extraction" / "layouts.toml"]
    found = set()
    for path in tomls:
        for text in _strings(tomllib.loads(path.read_text(encoding="utf-8"))):
            try:
                CSSSelector(text)
            except Exception:  # not a selector (a URL pattern, a name)
                continue
            if any(c in text for c in ".#["):
                found.add(text)
    return sorted(found)


SELECTORS = _shipped_selectors()


def _plain(root: HtmlElement, selector: str) -> list[HtmlElement]:
    return list(CSSSelector(selector)(root))


def _tree(path: Path) -> HtmlElement:
    return parse_html(decode_html(path.read_bytes(), None))


def test_the_shipped_selectors_are_many_and_most_are_prefiltered() -> None:
    assert len(SELECTORS) > 50
    assert sum(_needs(s) is not None for s in SELECTORS) > len(SELECTORS) // 2


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_shipped_selector_selects_the_same_on_real_pages(page: Path) -> None:
    tree = _tree(page)
    body = tree.find("body")
    assert body is not None
    copy = deepcopy(body)
    for selector in SELECTORS:
        assert select(tree, selector) == _plain(tree, selector), selector
        assert select(body, selector) == _plain(body, selector), selector
        assert select(copy, selector) == _plain(copy, selector), selector


def test_a_selector_the_document_cannot_match_is_empty_and_one_it_can_is_not() -> None:
    tree = parse_html(
        '<html><body><div class="a  detail-author"><p id="x" class="b">one</p></div>'
        '<span class="tac-gia-name">two</span></body></html>'
    )
    assert [e.text for e in select(tree, ".detail-author p")] == ["one"]
    assert select(tree, ".detail-authors p") == []
    assert [e.text for e in select(tree, "div:not(.zzz) #x")] == ["one"]
    assert select(tree, "#y, .zzz") == []
    assert [e.text for e in select(tree, "#y, [class*=tac-gia]")] == ["two"]
    assert [e.text for e in select(tree, "[class~='b']")] == ["one"]
    assert select(tree, "[class*='byline']") == []


def test_elements_removed_after_a_selection_are_not_selected_again() -> None:
    tree = parse_html('<html><body><div class="keep"><p class="gone">x</p></div></body></html>')
    (gone,) = select(tree, ".gone")
    gone.drop_tree()
    assert select(tree, ".gone") == []
    assert len(select(tree, ".keep")) == 1


@pytest.mark.parametrize(
    ("selector", "needs"),
    [
        (".a .b", ((frozenset({"a", "b"}), (), frozenset()),)),
        ("div:not(.a)", None),
        (
            "#main, .x",
            ((frozenset(), (), frozenset({"main"})), (frozenset({"x"}), (), frozenset())),
        ),
        ("[class*=relate]", ((frozenset(), ("relate",), frozenset()),)),
        ("a[href$='.pdf']", None),
        (".a, p", None),
        (r".a\:b", None),
    ],
)
def test_what_a_selector_needs(selector: str, needs: Any) -> None:
    assert _needs(selector) == needs
