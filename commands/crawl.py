"""``scrapy crawl``, with the news spider's arguments checked before start-up.

A wrong ``-a site=`` or ``-a start_urls=`` gives a one-line error and exit
code 2, before Scrapy starts logging, instead of a traceback from the engine.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from spiders.news import NewsSpider, check_arguments
from vnnews.profiles import ProfileError, ProfileRegistry


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if not args or args[0] != NewsSpider.name:
            return
        assert self.settings is not None
        try:
            registry = ProfileRegistry.load(self.settings.getlist("NEWS_PROFILE_DIRS"))
            check_arguments(registry, opts.spargs.get("site"), opts.spargs.get("start_urls"))
        except (ProfileError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
