"""Build tests/sites/nhandan-broken/: the sample site after a redesign that breaks extraction.

An overlay over ``tests/sites/nhandan`` (served with ``--overlay``), for the drift checks
(tests/test_monitoring_crawl.py). Every article page of the sample site is rewritten the way
a CMS redesign breaks a crawler without any error:

* the body container is renamed (``.article__body`` -> ``.detail__content``), so the site
  profile's selectors match nothing, and only the first paragraph is in the HTML — the rest
  is loaded by a script from an API (a placeholder ``div`` says "Đang tải…");
* every date is gone from the markup: no ``<time>``, no ``article:published_time``, no
  JSON-LD, no ``meta[itemprop=datePublished]``, no date bar, images moved from dated paths
  (``/images/2021/05/05/x.jpg``) to a flat ``/media/``; comments are loaded by script;
* the sitemap index and the RSS feed moved (``_site.json`` redirects them to a path that
  answers 404), so discovery falls back to the home page and listings, without dates.

Run: python tests/sites_src/build_nhandan_broken.py  (rewrites tests/sites/nhandan-broken/).
``--check`` exits 1 when the committed files differ from what this script writes.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

SITES = Path(__file__).resolve().parent.parent / "sites"
SOURCE = SITES / "nhandan"
OUT = SITES / "nhandan-broken"

SITE_CONFIG = {
    "last_modified": "Mon, 10 May 2021 02:30:00 GMT",
    "redirects": {
        "/sitemap.xml": "/sitemap-2021-moved.xml",
        "/rss/home.rss": "/rss-moved/home.rss",
    },
}

_DROP = [
    re.compile(r'<meta property="article:(?:published|modified)_time"[^>]*>\n?'),
    re.compile(r'<script type="application/ld\+json">.*?</script>\n?', re.S),
    re.compile(r"<time\b[^>]*>.*?</time>\n?", re.S),
    re.compile(r'<meta class="cms-date"[^>]*>\n?'),
    re.compile(r'<span class="topbar__date">.*?</span>'),
    re.compile(r'<div class="comment-item">.*?</div>\n?', re.S),
]
_DATED_IMAGE = re.compile(r"/images/(?:[^/\"\s]+/)?\d{4}/\d{2}/\d{2}/")  # also /images/w240/...
_BODY_OPEN = re.compile(r'<div class="article__body[^"]*"[^>]*>')
_FIRST_P = re.compile(r"<p\b[^>]*>.*?</p>", re.S)
PLACEHOLDER = (
    '<div class="detail__more" data-src="/api/v2/content/{id}" data-lazy="1">'
    "Đang tải nội dung…</div>\n"
)


def charset_of(name: str) -> str:
    config = json.loads((SOURCE / "_site.json").read_text(encoding="utf-8"))
    return str(config.get("charsets", {}).get("/" + name, "utf-8"))


def break_page(text: str, post_id: str) -> str:
    for pattern in _DROP:
        text = pattern.sub("", text)
    text = _DATED_IMAGE.sub("/media/", text)
    opening = _BODY_OPEN.search(text)
    if opening is None:
        raise SystemExit(f"no article body in page post{post_id}")
    end = text.find("</div>", opening.end())
    body = text[opening.end() : end]
    first = _FIRST_P.search(body)
    kept = (first.group(0) + "\n") if first else ""
    new_body = (
        '<div class="detail__content" data-role="content">\n'
        + kept
        + PLACEHOLDER.format(id=post_id)
    )
    return text[: opening.start()] + new_body + text[end:]


def build() -> dict[str, bytes]:
    files: dict[str, bytes] = {
        "_site.json": (json.dumps(SITE_CONFIG, indent=1, sort_keys=True) + "\n").encode()
    }
    for page in sorted(SOURCE.glob("*-post*.html")):
        post_id = re.search(r"-post(\d+)\.html$", page.name)
        assert post_id is not None
        charset = charset_of(page.name)
        text = page.read_bytes().decode(charset)
        files[page.name] = break_page(text, post_id.group(1)).encode(charset, "xmlcharrefreplace")
    return files


def main(argv: list[str]) -> int:
    files = build()
    if "--check" in argv:
        stale = [
            name
            for name, data in files.items()
            if not (OUT / name).is_file() or (OUT / name).read_bytes() != data
        ]
        extra = [p.name for p in OUT.iterdir() if p.name not in files] if OUT.is_dir() else []
        if stale or extra:
            print(f"stale: {stale + extra}; run python {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.name not in files:
            old.unlink()
    for name, data in files.items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(files)} files to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
