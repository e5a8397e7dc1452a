"""The article versioning rule: one place for the crawl and for ``scrapy reprocess``.

An article is named by its *article key* (:func:`vnnews.urlcanon.article_key`): its canonical
URL when that is on the record's own site (AMP, mobile and print variants are one article), else
the record's own URL (a republished copy whose ``rel=canonical`` names the original on another
site is its own article, never a version of the original). One version of an article is one
text, named by the text's digest (``text_digest``). For each record of an article, in
capture order:

* a text already recorded for that article gives no new record (also when the article
  returns to an earlier text);
* any other text is a new version: ``version`` = the latest version's number + 1 (1 for the
  first sighting) and ``previous`` = the latest version's ``id`` (None for the first).

``pipelines.dedup.DedupPipeline`` applies the rule against the dedup index (across runs,
with items still in flight); :class:`VersionLedger` applies it in memory to a whole set of
records (``scrapy reprocess``). Both take the key from :func:`version_key` and the numbers
from :func:`next_version`.

A version is *committed* (stored in the dedup index, :func:`commit_version`) only once its
JSON line is written, and a JSON line is kept only once its version is committed: the JSON
output (``pipelines.jsonlines``) commits right after writing the line and cuts the line off
again when the commit fails; the lines of a file left by a killed run are committed
(:func:`commit_versions`) before the file is closed at the next start. So a version is in
the index if and only if its record is in the output, whatever moment a run is killed at.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from vnnews.urlcanon import article_key

if TYPE_CHECKING:
    from archive.dedupindex import ArticleVersion, DedupIndex

logger = logging.getLogger(__name__)


def version_key(record: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(article, text)`` of a record: its article key (the canonical URL when it is on the
    record's own site, else the record's URL) and text digest; None when the record lacks
    either."""
    url, canonical = record.get("url"), record.get("canonical_url")
    article = article_key(str(url or ""), str(canonical) if canonical else None)
    digest = record.get("text_digest")
    if not article or not digest:
        return None
    return article, str(digest)


def commit_version(index: DedupIndex, record: Mapping[str, Any]) -> ArticleVersion | None:
    """Store ``record``'s version in ``index`` (idempotent: a text already stored keeps its
    number). None when the record carries no numbered version (dedup off, no key). A number
    other than the record's (another crawler stored a version meanwhile) is logged."""
    key = version_key(record)
    if key is None or record.get("version") is None or not record.get("id"):
        return None
    stored = index.add_version(key[0], key[1], str(record["id"]))
    if stored.version != record.get("version"):
        logger.warning(
            "Version of %s stored as %d, record says %s (concurrent writer?)",
            key[0],
            stored.version,
            record.get("version"),
        )
    return stored


def is_committed(index: DedupIndex, record: Mapping[str, Any]) -> bool:
    """Whether ``record``'s text is already stored as a version of its article."""
    key = version_key(record)
    return key is not None and index.find_version(*key) is not None


def commit_versions(index: DedupIndex, records: Iterable[Mapping[str, Any]]) -> int:
    """Commit the versions of ``records`` (in order) not yet in ``index``; returns how many
    were missing (the JSON lines of a run killed between a line and its commit)."""
    missing = 0
    for record in records:
        if record.get("version") is None or is_committed(index, record):
            continue
        if commit_version(index, record) is not None:
            missing += 1
    return missing


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
