"""``scrapy report [-o report.html]``: a static HTML page over the archive and its run reports.

Per site: articles per day of publication, new and changed articles per run, extraction
failures and revisits per run, the sources of the publication dates, and the drift flags
(:mod:`monitoring.htmlreport`). The page is one self-contained file (inline SVG and styles,
no script, nothing fetched), written to a temporary file and renamed over ``-o`` when complete.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands import ScrapyCommand

from monitoring.htmlreport import build_page
from vnnews.atomicfile import OutputError, replace_on_success
from vnnews.paths import ArchivePaths
from vnnews.profiles import ProfileError, ProfileRegistry


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[-o report.html]"

    def short_desc(self) -> str:
        return "Write an HTML page with charts over the archive and its run reports"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-o", "--output", default="report.html", help="the HTML file to write (report.html)"
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if not opts.loglevel:  # a page, not a crawl: only warnings unless -L says otherwise
            self.settings.set("LOG_LEVEL", "WARNING", priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        try:
            registry = ProfileRegistry.load(self.settings.getlist("NEWS_PROFILE_DIRS"))
        except ProfileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        paths = ArchivePaths.of(self.settings.get("ARCHIVE_DIR"))
        page = build_page(paths, registry.names(), self.settings.getint("MONITOR_REPORT_DAYS"))
        try:
            with replace_on_success(opts.output) as fh:
                fh.write(page)
        except OutputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        print(f"wrote {opts.output}", file=sys.stderr)
