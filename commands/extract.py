"""``scrapy extract FILE --url URL [--fetched-at ISO8601]``.

Prints the article record for one saved page as JSON on stdout, through the
very same extraction code the crawl uses.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from extraction.article import ExtractionError, extract_article
from vnnews.profiles import ProfileError, ProfileRegistry


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "FILE --url URL [--fetched-at ISO8601] [--site NAME]"

    def short_desc(self) -> str:
        return "Extract the article record from one saved HTML page"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--url", required=True, help="the page's URL (picks the site profile)")
        parser.add_argument(
            "--fetched-at",
            help="capture time, ISO 8601 (default: the file's modification time)",
        )
        parser.add_argument("--site", help="use this site profile instead of the URL's")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one FILE")
        path = Path(args[0])
        try:
            body = path.read_bytes()
            if body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)
        except (OSError, EOFError) as exc:
            self._fail(f"cannot read {path}: {exc.strerror if isinstance(exc, OSError) else exc}")
            return
        try:
            fetched_at = self._fetched_at(opts.fetched_at, path)
            dirs = self.settings.getlist("NEWS_PROFILE_DIRS") if self.settings else []
            registry = ProfileRegistry.load(dirs)
            profile = registry.get(opts.site) if opts.site else registry.for_url(opts.url)
            record = extract_article(body, opts.url, fetched_at=fetched_at, profile=profile)
        except (ProfileError, ValueError, ExtractionError) as exc:
            self._fail(f"cannot extract {path}: {exc}")
            return
        json.dump(record, sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
        sys.stdout.write("\n")

    @staticmethod
    def _fetched_at(value: str | None, path: Path) -> datetime:
        if value is None:
            return datetime.fromtimestamp(path.stat().st_mtime, UTC)
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"--fetched-at {value!r} is not ISO 8601") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def _fail(self, message: str) -> None:
        print(f"error: {message}", file=sys.stderr)
        self.exitcode = 1
