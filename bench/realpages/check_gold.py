"""Check bench/realpages/gold.json (or bench/devpages/gold.json) against the saved pages.

For every entry: the page file exists; articles have the full field set; every title, lead,
must_include and must_exclude string is NFC, whitespace-collapsed, and occurs in the page text
obtained by normalising to NFC, dropping <script>/<style> blocks, stripping tags, HTML-unescaping
and collapsing whitespace. must_include strings must also lie inside a single text node.

Usage: python bench/realpages/check_gold.py [DIR]   (DIR: bench/devpages; default: this folder;
exit status 0 when everything passes)
"""

from __future__ import annotations

import html
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTICLE_KEYS = {
    "file",
    "url",
    "fetched_at",
    "title",
    "published",
    "published_precision",
    "authors",
    "lead",
    "must_include",
    "must_exclude",
    "language",
    "source",
    "tests",
}
NON_ARTICLE_KEYS = {"file", "url", "fetched_at", "is_article", "tests"}

_DROP = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TAG = re.compile(r"<[^>]*>")
_WS = re.compile(r"\s+")


def collapse(text: str) -> str:
    return _WS.sub(" ", text).strip()


def page_text(raw: str) -> str:
    body = _COMMENT.sub(" ", _DROP.sub(" ", raw))
    return collapse(html.unescape(_TAG.sub(" ", body)))


def text_nodes(raw: str) -> list[str]:
    body = _COMMENT.sub("<x>", _DROP.sub("<x>", raw))
    return [collapse(html.unescape(t)) for t in _TAG.split(body)]


def check_string(label: str, value: str, text: str, errors: list[str]) -> None:
    if value != unicodedata.normalize("NFC", value):
        errors.append(f"{label}: not NFC: {value!r}")
    if value != collapse(value):
        errors.append(f"{label}: whitespace not collapsed: {value!r}")
    if value not in text:
        errors.append(f"{label}: not found in page text: {value!r}")


def main(argv: list[str]) -> int:
    here = Path(argv[0]).resolve() if argv else HERE
    gold = json.loads((here / "gold.json").read_text(encoding="utf-8"))
    errors: list[str] = []
    for entry in gold:
        name = entry.get("file", "?")
        path = here / "pages" / name
        if not path.is_file():
            errors.append(f"{name}: file missing")
            continue
        # NFC: some pages type accents as combining marks (the evaluation compares NFC text)
        raw = unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))
        if entry.get("is_article") is False:
            if set(entry) != NON_ARTICLE_KEYS:
                errors.append(f"{name}: non-article keys {sorted(entry)}")
            continue
        if set(entry) != ARTICLE_KEYS:
            errors.append(f"{name}: article keys differ: {sorted(set(entry) ^ ARTICLE_KEYS)}")
        text = page_text(raw)
        nodes = text_nodes(raw)
        check_string(f"{name} title", entry["title"], text, errors)
        if entry.get("lead") is not None:
            check_string(f"{name} lead", entry["lead"], text, errors)
        for s in entry["must_include"]:
            check_string(f"{name} must_include", s, text, errors)
            if not any(s in node for node in nodes):
                errors.append(f"{name} must_include: not inside one text node: {s!r}")
        for s in entry["must_exclude"]:
            check_string(f"{name} must_exclude", s, text, errors)
        if entry.get("published_precision") not in ("minute", "day"):
            errors.append(f"{name}: bad published_precision")
    for err in errors:
        print("FAIL", err)
    print(f"{len(gold)} entries checked, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
