"""The article versioning rule: one place for the crawl and for ``scrapy reprocess``.

An article is named by its canonical URL (its URL when it has none); one version of it is
one text, named by the text's digest (``text_digest``). For each record of an article, in
capture order:

* a text already recorded for that article gives no new record (also when the article
  returns to an earlier text);
* any other text is a new version: ``version`` = the latest version's number + 1 (1 for the
  first sighting) and ``previous`` = the latest version's ``id`` (None for the first).

``pipelines.dedup.DedupPipeline`` applies the rule against the dedup index (across runs,
with items still in flight); :class:`VersionLedger` applies it in memory to a whole set of
records (``scrapy reprocess``). Both take the key from :func:`version_key` and the numbers
from :func:`next_version`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def version_key(record: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(article, text)`` of a record: canonical URL (else URL) and text digest; None
    when the record lacks either."""
    canonical = record.get("canonical_url") or record.get("url")
    digest = record.get("text_digest")
    if not canonical or not digest:
        return None
    return str(canonical), str(digest)


def next_version(latest: tuple[int, str | None] | None) -> tuple[int, str | None]:
    """``(version, previous)`` of a new text, given the latest version's number and id
    (None when the article has no version yet)."""
    if latest is None:
        return 1, None
    number, record_id = latest
    return number + 1, record_id


class VersionLedger:
    """Versions of many articles, kept in memory and numbered record by record."""

    def __init__(self) -> None:
        self._texts: dict[str, set[str]] = {}
        self._latest: dict[str, tuple[int, str | None]] = {}

    def add(self, record: dict[str, Any]) -> bool:
        """Number ``record`` (sets ``version`` and ``previous``) and return True, or return
        False when its text is already recorded for its article. A record without a key
        (see :func:`version_key`) is left as it is and kept."""
        key = version_key(record)
        if key is None:
            return True
        article, text = key
        texts = self._texts.setdefault(article, set())
        if text in texts:
            return False
        texts.add(text)
        record["version"], record["previous"] = next_version(self._latest.get(article))
        self._latest[article] = (record["version"], _id(record))
        return True


def _id(record: Mapping[str, Any]) -> str | None:
    value = record.get("id")
    return None if value is None else str(value)
