"""``scrapy sites [--json]``: each site with its last run, last success, articles and drift flags.

Reads the run reports under ``ARCHIVE_DIR/runs/`` and the JSON records under
``ARCHIVE_DIR/json/``; lists every site profile (also those never crawled) and every other
site the archive has reports or records of. "Last success" is the newest run that ended on
its own with no drift flag.
"""

from __future__ import annotations

import argparse
import json
import sys

from scrapy.commands import ScrapyCommand

from commands import stdout_may_close
from monitoring.archivescan import scan_archive
from monitoring.history import all_reports
from monitoring.overview import format_table, site_rows
from vnnews.paths import ArchivePaths
from vnnews.profiles import ProfileError, ProfileRegistry


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[--json]"

    def short_desc(self) -> str:
        return "List each site: last run, last success, articles archived, last drift flags"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--json", action="store_true", help="one JSON object per site")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if not opts.loglevel:  # a listing, not a crawl: only warnings unless -L says otherwise
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
        rows = site_rows(registry.names(), all_reports(paths), scan_archive(paths))
        with stdout_may_close():
            if opts.json:
                for row in rows:
                    print(json.dumps(row.as_dict(), ensure_ascii=False, sort_keys=True))
            else:
                print(format_table(rows))
