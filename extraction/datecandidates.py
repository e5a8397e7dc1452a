"""Dates the markup states for machines: JSON-LD, meta tags and the URL.

These functions only find the raw values, in order of preference; ``extraction.dates`` parses
them, rejects those outside the article or out of range, and chooses.

* JSON-LD: ``datePublished``/``dateModified`` of objects whose ``@type`` is an article type
  (:data:`vnnews.vocab.ARTICLE_TYPES`, read by :mod:`vnnews.jsonld`), nested ones included;
  a list value counts by its first item. ``dateCreated`` is reported too, with the reason
  "not-publication", so that it is seen rejected. Blocks wrapped in HTML comments or
  entity-escaped are read.
* Meta tags: the first element (``meta`` or any ``itemprop``) with a value per attribute and
  name, taken in the order of ``META_PUBLISHED`` and ``META_MODIFIED``.
* URL: the first date-like path segment (``/2024/03/07/``, ``/2024-03-07``, ``-20240307…``);
  a Wayback ``/web/<timestamp>/`` prefix is a capture time and is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from vnnews import jsonld

# (attribute, value, source) in order of preference; the first two are the standard ones.
META_PUBLISHED = (
    ("property", "article:published_time", "meta:article:published_time"),
    ("itemprop", "datePublished", "meta:itemprop:datePublished"),
    ("property", "og:published_time", "meta:og:published_time"),
    ("name", "pubdate", "meta:pubdate"),
    ("name", "publishdate", "meta:publishdate"),
    ("name", "publish-date", "meta:publish-date"),
    ("name", "parsely-pub-date", "meta:parsely-pub-date"),
    ("name", "sailthru.date", "meta:sailthru.date"),
    ("name", "dc.date.issued", "meta:dc.date.issued"),
    ("name", "dcterms.date", "meta:dcterms.date"),
    ("name", "dc.date", "meta:dc.date"),
    ("name", "date", "meta:date"),
    ("name", "citation_publication_date", "meta:citation_publication_date"),
)
META_MODIFIED = (
    ("property", "article:modified_time", "meta:article:modified_time"),
    ("itemprop", "dateModified", "meta:itemprop:dateModified"),
    ("property", "og:updated_time", "meta:og:updated_time"),
    ("name", "lastmod", "meta:lastmod"),
)

_URL_DATE_RES = (
    re.compile(r"/(?P<y>(?:19|20)\d\d)/(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/|$)"),
    re.compile(r"/(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)(?:[/_-]|$)"),
    re.compile(r"[-_/](?P<y>(?:19|20)\d\d)(?P<m>\d\d)(?P<d>\d\d)(?:\d{0,12})(?=[./_-]|$)"),
)
_WAYBACK_RE = re.compile(r"/web/\d{8,14}[a-z_]*/")


def jsonld_dates(tree: Any) -> Iterator[tuple[str, str, str, str]]:
    """(kind, source, raw value, reason) for the dates of the page's article JSON-LD objects."""
    for obj in jsonld.article_objects(jsonld.page_objects(tree)):
        for kind, key in (("published", "datePublished"), ("modified", "dateModified")):
            raw = obj.get(key)
            if isinstance(raw, list) and raw:
                raw = raw[0]
            if isinstance(raw, str) and raw.strip():
                yield kind, f"jsonld:{key}", raw, ""
        created = obj.get("dateCreated")
        if isinstance(created, str) and created.strip():  # kept only to be seen rejected
            yield "published", "jsonld:dateCreated", created, "not-publication"


def meta_dates(tree: Any) -> Iterator[tuple[str, str, str, Any]]:
    """(kind, source, raw value, element) for the date meta tags, in order of preference."""
    first: dict[tuple[str, str], Any] = {}
    for el in tree.xpath("//meta | //*[@itemprop]"):
        for attr in ("property", "itemprop", "name"):
            value = (el.get(attr) or "").strip().lower()
            if value and (el.get("content") or el.get("datetime") or "").strip():
                first.setdefault((attr, value), el)
    for kind, table in (("published", META_PUBLISHED), ("modified", META_MODIFIED)):
        for attr, name, source in table:
            el = first.get((attr, name.lower()))
            if el is not None:
                yield kind, source, el.get("content") or el.get("datetime"), el


def url_date(url: str) -> tuple[str, date] | None:
    """The first valid date in the URL's path, with the text it was read from."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    path = path.split("://", 1)[-1].partition("/")[2]
    path = _WAYBACK_RE.sub("/", "/" + path)  # a Wayback timestamp is a capture time
    for pattern in _URL_DATE_RES:
        for m in pattern.finditer(path):
            try:
                day = date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                continue
            return m.group(0), day
    return None
