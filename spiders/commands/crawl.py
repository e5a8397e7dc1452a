"""``scrapy crawl``, with the news spider's arguments checked before start-up.

A wrong ``-a site=`` or ``-a start_urls=`` gives a one-line error and exit
code 2 instead of a traceback from inside the engine.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from spiders.news import NewsSpider, check_arguments
from spiders.profiles import ProfileError, ProfileRegistry


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args and args[0] == NewsSpider.name:
            try:
                registry = ProfileRegistry.load(self.settings.getlist("NEWS_PROFILE_DIRS"))
                check_arguments(registry, opts.spargs.get("site"), opts.spargs.get("start_urls"))
            except (ProfileError, ValueError) as exc:
                print(f"error: {exc}", file=sys.stderr)
                self.exitcode = 2
                return
        super().run(args, opts)
