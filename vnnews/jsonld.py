"""The one JSON-LD reader: every ``<script type="application/ld+json">`` block of a page as a
flat list of objects, and what their ``@type`` says.

Blocks wrapped in HTML comments, entity-escaped or holding raw control characters are read;
an unparsable block is skipped. Objects are listed in document order, each followed by the
objects nested in it (``@graph`` members, ``mainEntity``, ``publisher``…), so the first article
object found is the page's own article also when a ``WebPage`` wraps it.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from vnnews.vocab import ARTICLE_TYPES

logger = logging.getLogger(__name__)

_LD_TYPE = "application/ld+json"


def load_block(text: str) -> Any:
    """One block's JSON, or None when it cannot be parsed (raw and entity-decoded tried)."""
    text = text.strip().removeprefix("<!--").removesuffix("-->").strip()
    unescaped = text
    for _ in range(3):  # double-escaped blocks (``&amp;quot;``) exist
        if "&" not in unescaped:
            break
        unescaped = html.unescape(unescaped)
    for candidate in dict.fromkeys((text, unescaped)):
        try:
            return json.loads(candidate, strict=False)
        except ValueError:
            continue
    logger.debug("unparsable JSON-LD block (%d chars)", len(text))
    return None


def walk(data: Any) -> Iterator[dict[str, Any]]:
    """Every object in ``data``, each before the objects nested in it."""
    if isinstance(data, list):
        for item in data:
            yield from walk(item)
    elif isinstance(data, dict):
        yield data
        for key, value in data.items():
            if key != "@type" and isinstance(value, dict | list):
                yield from walk(value)


def blocks(tree: Any) -> Iterator[str]:
    """The text of the page's JSON-LD ``<script>`` blocks (``tree``: an lxml element)."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() == _LD_TYPE and script.text:
            yield script.text


def page_objects(tree: Any) -> list[dict[str, Any]]:
    """All JSON-LD objects of the page, in document order (nested ones after their parent)."""
    found: list[dict[str, Any]] = []
    for text in blocks(tree):
        found.extend(walk(load_block(text)))
    return found


def types(obj: dict[str, Any]) -> set[str]:
    """An object's ``@type`` values, lower case, schema.org prefix dropped."""
    value = obj.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return {v.rstrip("/").rsplit("/", 1)[-1].lower() for v in values if isinstance(v, str)}


def is_article(obj: dict[str, Any]) -> bool:
    """The object is typed as an article (:data:`vnnews.vocab.ARTICLE_TYPES`)."""
    return bool(types(obj) & ARTICLE_TYPES)


def article_objects(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The article-typed objects among ``objects``, in order."""
    return [obj for obj in objects if is_article(obj)]
