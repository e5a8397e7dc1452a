"""An extraction's outcome as plain data: what crosses the process boundary from the
page-analysis worker (:mod:`spiders.pageanalysis`) to the extraction pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml.html import HtmlElement

from extraction.article import Extraction, ExtractionError, extract_page
from vnnews.profiles import SiteProfile


@dataclass(frozen=True)
class ExtractFailure:
    """Extraction raised: ``not_article`` for :class:`ExtractionError` (no article text, a
    listing), else an error; its type's name and message, for the pipeline's log line."""

    not_article: bool
    error_type: str
    message: str


#: what the pipeline gets from the analysis: a record (and how it was found), or why not
ExtractOutcome = Extraction | ExtractFailure


def extract_outcome(
    body: bytes,
    url: str,
    *,
    fetched_at: datetime,
    profile: SiteProfile | None,
    hints: dict[str, Any] | None,
    headers: dict[str, list[str]] | None,
    encoding: str | None,
    tree: HtmlElement | None = None,
) -> ExtractOutcome:
    """:func:`extract_page`, its exceptions turned into data."""
    try:
        return extract_page(
            body,
            url,
            fetched_at=fetched_at,
            profile=profile,
            hints=hints,
            headers=headers,
            encoding=encoding,
            tree=tree,
        )
    except ExtractionError as exc:
        return ExtractFailure(True, type(exc).__name__, str(exc))
    except Exception as exc:  # the pipeline counts and logs it; the crawl goes on
        return ExtractFailure(False, type(exc).__name__, str(exc))
