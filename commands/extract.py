"""``scrapy extract FILE --url URL [--fetched-at ISO8601] [-o OUT.json]``.

Prints the article record for one saved page as JSON on stdout (or writes it to
``-o``, replaced only once complete), through the very same extraction code the
crawl uses. A file that is not an HTML page (an image, a PDF, a WARC) is one
line on stderr and exit code 1; a wrong option (``--url`` not an http(s) URL, an
unknown ``--site``, a ``--fetched-at`` that is not ISO 8601) is one line and exit 2.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from extraction.article import ExtractionError, extract_article
from vnnews.atomicfile import OutputError, check_target, replace_on_success
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
        parser.add_argument(
            "-o", "--output", default="-", help="write the record to this file ('-': stdout)"
        )

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
        kind = not_html(body)
        if kind:
            self._fail(f"cannot extract {path}: not an HTML page ({kind})")
            return
        if opts.output != "-":
            try:
                check_target(opts.output)
            except OutputError as exc:
                self._fail(str(exc), 2)
                return
        url = urlsplit(opts.url)
        if url.scheme not in ("http", "https") or not url.netloc:
            self._fail(f"--url must be the page's http(s) URL, not {opts.url!r}", 2)
            return
        try:  # the options: a mistake in them is exit 2, like any command option
            fetched_at = self._fetched_at(opts.fetched_at, path)
            dirs = self.settings.getlist("NEWS_PROFILE_DIRS") if self.settings else []
            registry = ProfileRegistry.load(dirs)
            profile = registry.get(opts.site) if opts.site else registry.for_url(opts.url)
        except (ProfileError, ValueError) as exc:
            self._fail(f"cannot extract {path}: {exc}", 2)
            return
        try:
            record = extract_article(body, opts.url, fetched_at=fetched_at, profile=profile)
        except (ValueError, ExtractionError) as exc:
            self._fail(f"cannot extract {path}: {exc}")
            return
        text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        if opts.output == "-":
            sys.stdout.write(text)
            return
        try:
            with replace_on_success(opts.output) as out:
                out.write(text)
        except OutputError as exc:
            self._fail(str(exc))

    @staticmethod
    def _fetched_at(value: str | None, path: Path) -> datetime:
        if value is None:
            return datetime.fromtimestamp(path.stat().st_mtime, UTC)
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"--fetched-at {value!r} is not ISO 8601") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def _fail(self, message: str, code: int = 1) -> None:
        print(f"error: {message}", file=sys.stderr)
        self.exitcode = code


#: leading bytes of common non-HTML files -> what they are
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF file (WebP image, audio or video)"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"WARC/", "a WARC file; use scrapy reprocess"),
    (b"\x00\x00\x00", "an MP4 or other binary file"),
)


def not_html(body: bytes) -> str:
    """What ``body`` is when it is plainly not an HTML page, else ``""``."""
    for magic, what in MAGIC:
        if body.startswith(magic):
            return what
    head = body[:4096]
    if not head.strip():
        return "the file is empty"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary data"
    if b"<" not in head:
        return "no markup in it"
    return ""
