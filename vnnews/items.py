"""What the spider hands to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Page:
    """One fetched page the spider believes is an article (see docs/architecture.md)."""

    url: str
    request_url: str
    status: int
    headers: dict[str, list[str]]
    body: bytes
    encoding: str
    fetched_at: datetime
    site: str | None = None
    hints: dict[str, Any] = field(default_factory=dict)
    warc: dict[str, Any] | None = None
    revisit: bool = False
    # the extraction's outcome when the spider's page analysis already extracted it
    # (extraction.outcome.ExtractOutcome; None: the extraction pipeline extracts the page)
    extraction: Any = None
