"""The peer: a plain Scrapy SitemapSpider + ``trafilatura.bare_extraction`` in an item pipeline,
JSON Lines feed, no WARC — what a new user would write in an afternoon.

    scrapy runspider bench/peer.py -a robots=http://127.0.0.1:PORT/robots.txt[,…] -o out.jsonl

Run it from a directory without scrapy.cfg (bench/run.py does), so none of this project's
settings apply: only Scrapy's defaults and the politeness settings given with ``-s``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import trafilatura
from scrapy.http import Response
from scrapy.spiders import SitemapSpider


class TrafilaturaPipeline:
    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        doc = trafilatura.bare_extraction(item.pop("html"), url=item["url"])
        if doc is None:
            return item
        found = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
        for key in ("title", "author", "date", "text", "sitename", "categories", "tags"):
            item[key] = found.get(key)
        return item


class PeerSpider(SitemapSpider):
    name = "peer"
    custom_settings: ClassVar[dict[str, Any]] = {  # type: ignore[misc]
        "ITEM_PIPELINES": {f"{__name__}.TrafilaturaPipeline": 300},
        "FEED_EXPORT_ENCODING": "utf-8",
    }

    def __init__(self, robots: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sitemap_urls = [u for u in robots.split(",") if u]

    def parse(self, response: Response) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        yield {"url": response.url, "html": response.body}
