"""Data model, text helpers and loading of ``nhandan_articles.toml`` (see build_nhandan.py)."""

from __future__ import annotations

import contextlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from html import escape as _html_escape
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "nhandan_articles.toml"
OUT_V1 = HERE / "nhandan"
OUT_V2 = HERE / "nhandan-v2"
B = "__BASE__"
SITE_NAME = "Báo Nhân Dân điện tử"
WEEKDAYS = ["hai", "ba", "tư", "năm", "sáu", "bảy"]  # Monday..Saturday; Sunday is "Chủ nhật"
PER_PAGE = 3
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


# --------------------------------------------------------------------------- data model


@dataclass
class Image:
    file: str
    caption: str
    credit: str
    after: int  # body paragraph index it follows; -1 = lead image above the body
    figcaption: str = ""  # the raw figcaption text (caption + credit as printed)

    def __post_init__(self) -> None:
        if not self.figcaption:
            self.figcaption = f"{self.caption} (Ảnh: {self.credit})"


@dataclass
class Related:
    title: str
    path: str
    when: datetime


@dataclass
class Article:
    id: int
    slug: str
    section: str
    title: str
    lead: str
    published: datetime
    byline: str
    authors: list[str]
    tags: list[str]
    paragraphs: list[str]
    images: list[Image]
    source_line: str
    source: str | None
    routes: list[str]
    flags: list[str]
    related: list[Any]
    inline_related: list[int]
    see_also: int | None
    comments: list[dict[str, Any]]
    modified: datetime | None = None
    spacer_lines: list[str] = field(default_factory=list)  # NBSP-only paragraphs (seed)
    sidebar: str = "most_read"
    version: str = "v1"

    @property
    def path(self) -> str:
        return f"/{self.slug}-post{self.id}.html"


@dataclass
class Site:
    data: dict[str, Any]
    articles: list[Article]
    now: datetime
    version: str

    @property
    def date_bar(self) -> str:
        return date_bar(self.now)

    def by_id(self, ident: int) -> Article:
        for art in self.articles:
            if art.id == ident:
                return art
        raise KeyError(ident)

    def section_name(self, key: str) -> str:
        return str(self.data["sections"][key])


# --------------------------------------------------------------------------- helpers


def h(text: str) -> str:
    """Escape text for HTML without touching anything else (NBSP, U+00D0 stay as they are)."""
    return _html_escape(text, quote=False)


def attr(text: str) -> str:
    return _html_escape(text, quote=True)


def slugify(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d").replace("Ð", "D")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def parse_dt(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        raise ValueError(f"date without offset: {value}")
    return dt


def date_bar(dt: datetime) -> str:
    """Header date bar as the portal prints it: 'Thứ năm,<NBSP> 06/05/2021'."""
    wd = dt.weekday()
    day = "Chủ nhật" if wd == 6 else f"Thứ {WEEKDAYS[wd]}"
    return f"{day},\u00a0 {dt:%d/%m/%Y}"


def long_time(dt: datetime) -> str:
    """Article time as in <time>: 'Thứ Năm, ngày 06/05/2021 - 07:15'."""
    wd = dt.weekday()
    day = "Chủ Nhật" if wd == 6 else f"Thứ {WEEKDAYS[wd].capitalize()}"
    return f"{day}, ngày {dt:%d/%m/%Y - %H:%M}"


def short_time(dt: datetime) -> str:
    return f"{dt:%d/%m/%Y %H:%M}"


def iso(dt: datetime) -> str:
    return dt.isoformat()


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text.strip()) if s]


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 has few precomposed Vietnamese letters: decompose what does not fit."""
    out = bytearray()
    for ch in text:
        with contextlib.suppress(UnicodeEncodeError):
            out += ch.encode("cp1258")
            continue
        parts = unicodedata.normalize("NFD", ch)
        base, marks = parts[0], list(parts[1:])
        # compose the base with one mark (â, ê, ô, ơ, ư, ă), keep the tone as a combining mark
        for i in range(len(marks)):
            head = unicodedata.normalize("NFC", base + marks[i])
            rest = "".join(marks[:i] + marks[i + 1 :])
            try:
                out += head.encode("cp1258") + rest.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            try:
                out += (base + "".join(marks)).encode("cp1258")
            except UnicodeEncodeError:
                out += f"&#{ord(ch)};".encode("ascii")
    return bytes(out)


# --------------------------------------------------------------------------- loading


def load_seed(path: Path) -> dict[str, Any]:
    """Split the seed text file into its parts, keeping every string exactly as written."""
    raw = path.read_bytes().decode("utf-8")
    lines = [ln for ln in raw.split("\n") if ln != ""]
    date_line, title, lead = lines[0], lines[1], lines[2]
    rest = lines[3:]
    spacers = [ln for ln in rest if ln.strip() == ""]
    rest = [ln for ln in rest if ln.strip() != ""]
    caption_line = next(ln for ln in rest if "Ảnh:" in ln)
    source_line = rest[-1]
    body = [ln for ln in rest if ln not in (caption_line, source_line)]
    caption, credit = caption_line.rsplit(" Ảnh: ", 1)
    return {
        "date_line": date_line,
        "title": title,
        "lead": lead,
        "spacers": spacers,
        "caption_line": caption_line,
        "caption": caption,
        "credit": credit,
        "paragraphs": body,
        "source_line": source_line,
        "lines": [ln for ln in lines],
    }


def make_article(entry: dict[str, Any], seed: dict[str, Any] | None) -> Article:
    images = [
        Image(
            file=i["file"],
            caption=i["caption"],
            credit=i["credit"],
            after=int(i.get("after", -1)),
            figcaption=i.get("figcaption", ""),
        )
        for i in entry.get("images", [])
    ]
    if seed is not None:
        title, lead = seed["title"], seed["lead"]
        paragraphs, source_line = seed["paragraphs"], seed["source_line"]
        images.insert(
            0, Image(entry["seed_image"], seed["caption"], seed["credit"], -2, seed["caption_line"])
        )
        spacers = seed["spacers"]
    else:
        title, lead = entry["title"], entry["lead"]
        paragraphs = [p.strip() for p in entry["body"].strip().split("\n\n")]
        source_line = entry.get("source_line", "")
        spacers = []
    if "fix" in entry:  # a corrected paragraph (v2)
        paragraphs = list(paragraphs)
        paragraphs[entry["fix"]["index"]] = entry["fix"]["text"]
    source = None
    if source_line:
        source = re.sub(r"^(Theo|Nguồn:)\s+", "", source_line).strip()
    return Article(
        id=int(entry["id"]),
        slug=entry.get("slug") or slugify(title),
        section=entry["section"],
        title=title,
        lead=lead,
        published=parse_dt(entry["published"]),
        modified=parse_dt(entry["modified"]) if entry.get("modified") else None,
        byline=entry.get("byline", ""),
        authors=list(entry.get("authors", [])),
        tags=list(entry.get("tags", [])),
        paragraphs=paragraphs,
        images=images,
        source_line=source_line,
        source=source,
        routes=list(entry.get("routes", [])),
        flags=list(entry.get("flags", [])),
        related=list(entry.get("related", [])),
        inline_related=list(entry.get("inline_related", [])),
        see_also=entry.get("see_also"),
        comments=list(entry.get("comments", [])),
        spacer_lines=spacers,
        sidebar=entry.get("sidebar", "most_read"),
    )


def load_site(version: str) -> Site:
    data = tomllib.loads(DATA.read_text(encoding="utf-8"))
    seed = load_seed(HERE / data["site"]["seed_file"])
    articles = []
    for entry in data["article"]:
        if entry.get("only_in") and entry["only_in"] != version:
            continue
        entry = dict(entry)
        entry.update(entry.get(version, {}))  # per-version overrides ([article.v2])
        art = make_article(entry, seed if entry.get("seed") else None)
        art.version = version
        articles.append(art)
    now = parse_dt(data["site"]["now"][version])
    site = Site(data, articles, now, version)
    if version == "v1" and seed["date_line"] != site.date_bar:
        raise SystemExit(f"date bar {site.date_bar!r} != seed {seed['date_line']!r}")
    return site
