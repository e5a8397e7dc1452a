"""Text normalisation for JSON article records (never applied to WARC bytes).

What it does, in order:

* Unicode NFC (legacy windows-1258 pages and some CMSes emit decomposed tone marks);
* in Vietnamese text only, ``Ð`` (U+00D0, Icelandic eth) -> ``Đ`` (U+0110) and ``ð`` -> ``đ``:
  old Vietnamese fonts and TCVN3 conversions put the eth where the d-with-stroke belongs;
  Icelandic or Faroese text keeps its eth;
* zero-width characters (U+200B, U+2060, U+FEFF, soft hyphen U+00AD; ZWNJ/ZWJ in Vietnamese
  text) are removed;
* no-break and other exotic spaces (U+00A0, U+202F, U+2007, U+2000-U+200A, U+3000 ...) become
  plain spaces, runs of spaces collapse to one, lines are stripped;
* paragraph structure is kept: multi-line fields (``text``) keep single line breaks and
  separate paragraphs with exactly one blank line (``"\\n\\n"``); one-line fields (title,
  authors, captions, tags) have every whitespace run collapsed to a single space.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Removed everywhere: zero width space, word joiner, BOM / zero width no-break space, soft hyphen.
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"), None)
# Also removed in Vietnamese text: ZWNJ / ZWJ (they matter in Persian, Indic scripts, emoji).
_ZERO_WIDTH_VI = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad\u200c\u200d"), None)
_ETH_TO_D = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})
_VI_CHARS = {**_ZERO_WIDTH_VI, **_ETH_TO_D}  # one pass: no key maps to another's key

# Horizontal whitespace, including every Unicode space separator and tabs.
_HSPACE = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u0085]")
_PARAGRAPH_SEP = re.compile(r"\n[ \t]*\n\s*|\u2029")
_ANY_SPACE = re.compile(r"\s+")

# Letters whose diacritics are (nearly) exclusive to Vietnamese: horn/breve vowels, đ, and the
# dot-below / hook-above tone marks. NFC forms; a handful of them per hundred letters is decisive.
_VI_LETTERS = re.compile(
    "[ăắằẳẵặơớờởỡợưứừửữựđạảấầẩẫậẹẻẽếềểễệỉịọỏốồổỗộủụỳỵỷỹ"
    "ĂẮẰẲẴẶƠỚỜỞỠỢƯỨỪỬỮỰĐẠẢẤẦẨẪẬẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỦỤỲỴỶỸ]"
)
# Their complements, for counting by removal (one pass, no list of matches).
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_NOT_VI_LETTERS = re.compile("[^" + _VI_LETTERS.pattern[1:-1] + "]+")


def is_vietnamese_language(language: str | None) -> bool:
    """True for ``vi``, ``vi-VN``, ``vi_VN`` …"""
    return bool(language) and str(language).lower().replace("_", "-").split("-")[0] == "vi"


def vietnamese_ratio(text: str) -> float:
    """Share of letters that carry a Vietnamese-only diacritic (0.0 for text without letters)."""
    sample = unicodedata.normalize("NFC", text[:20000])
    letters = len(_NOT_LETTERS.sub("", sample))
    if not letters:
        return 0.0
    return len(_NOT_VI_LETTERS.sub("", sample)) / letters


def looks_vietnamese(text: str, threshold: float = 0.03) -> bool:
    """Cheap language guess: Vietnamese text has ~10-20% such letters, English ~0%."""
    return vietnamese_ratio(text) >= threshold


def _chars(text: str, vietnamese: bool) -> str:
    if text.isascii():  # nothing to compose, remove or replace
        return text
    text = unicodedata.normalize("NFC", text)
    return text.translate(_VI_CHARS if vietnamese else _ZERO_WIDTH)


def normalise_line(text: str | None, *, vietnamese: bool = True) -> str:
    """One-line field: NFC, Đ fix (Vietnamese), every whitespace run -> one space, stripped."""
    if not text:
        return ""
    return _ANY_SPACE.sub(" ", _HSPACE.sub(" ", _chars(text, vietnamese))).strip()


def normalise_text(text: str | None, *, vietnamese: bool = True) -> str:
    """Multi-line field: like :func:`normalise_line` but paragraphs are kept.

    Single line breaks survive; paragraphs are separated by exactly one blank line.
    """
    if not text:
        return ""
    text = _NEWLINES.sub("\n", _chars(text, vietnamese))
    paragraphs = []
    for block in _PARAGRAPH_SEP.split(text):
        lines = (_HSPACE.sub(" ", line).strip() for line in block.split("\n"))
        joined = "\n".join(line for line in lines if line)
        if joined:
            paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def _opt_line(value: Any, vietnamese: bool) -> str | None:
    if value is None:
        return None
    return normalise_line(str(value), vietnamese=vietnamese) or None


def _unique_lines(values: Any, vietnamese: bool) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values or ():
        line = normalise_line(str(value), vietnamese=vietnamese)
        if line and line.casefold() not in seen:
            seen.add(line.casefold())
            out.append(line)
    return out


def normalise_record(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``record`` with its text fields normalised.

    Vietnamese-only rules apply when ``record["language"]`` is Vietnamese. Touches ``title``,
    ``lead``, ``text``, ``authors``, ``tags``, ``categories``, ``source``, ``publisher`` and
    image captions/credits; other fields are returned unchanged.
    """
    vi = is_vietnamese_language(record.get("language"))
    out = dict(record)
    for key in ("title", "lead", "source", "publisher"):
        if key in out:
            out[key] = _opt_line(out[key], vi)
    if "text" in out:
        out["text"] = normalise_text(out["text"], vietnamese=vi)
    for key in ("authors", "tags", "categories"):
        if key in out:
            out[key] = _unique_lines(out[key], vi)
    if "images" in out:
        out["images"] = [
            {
                **image,
                "caption": _opt_line(image.get("caption"), vi),
                "credit": _opt_line(image.get("credit"), vi),
            }
            for image in out["images"] or ()
        ]
    return out
