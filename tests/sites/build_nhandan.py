"""Build the Nhandan-style sample site from ``nhandan_articles.toml``.

Writes two trees next to this file:

* ``nhandan/``     the site as crawled on Thursday 06/05/2021 (v1), with ``expected.json``
* ``nhandan-v2/``  an overlay: only the files that differ one day later (v2), plus its own
                   ``expected.json`` and ``_site.json``

Every URL inside the files starts with the placeholder ``__BASE__``; ``tests/mockserver.py``
replaces it with ``http://127.0.0.1:PORT`` when serving. ``expected.json`` is written from the
same data as the pages, so it is correct by construction; the script also checks that every
article is reachable and that the seed text appears byte for byte.

Run:  python tests/sites/build_nhandan.py          (rewrites both trees)
      python tests/sites/build_nhandan.py --check  (exit 1 if the committed files are stale)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import unicodedata
from datetime import UTC, datetime
from email.utils import format_datetime
from html import unescape
from pathlib import Path
from typing import Any

from nhandan_model import (
    HERE,
    OUT_V1,
    OUT_V2,
    Article,
    B,
    Site,
    encode_cp1258,
    iso,
    load_seed,
    load_site,
    long_time,
    sentences,
)
from nhandan_render import (
    comment_list,
    newest_first,
    related_items,
    render_amp,
    render_article,
    render_home,
    render_listings,
    page_resources,
    render_assets,
    render_misc,
    render_print,
    render_robots,
    render_rss,
    render_sitemaps,
)

# --------------------------------------------------------------------------- whole site


def http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def server_config(site: Site) -> dict[str, Any]:
    redirects = {
        r["from"]: site.by_id(r["to"]).path for r in site.data["site"].get("redirects", [])
    }
    return {
        "last_modified": http_date(site.now),
        "redirects": redirects,
        "no_charset": [a.path for a in site.articles if "no_charset" in a.flags],
        "charsets": {a.path: "windows-1258" for a in site.articles if "cp1258" in a.flags},
        "reasons": {"/gioi-thieu.html": "Fine Thanks"},
        "chunked": ["/rss/home.rss"],
        "not_found_page": "404.html",
        "trap": "/lich",
    }


def binary_assets() -> dict[str, str | bytes]:
    """Images, the font and the PDF, copied byte for byte from nhandan_assets/
    (made once by make_nhandan_assets.py)."""
    root = HERE / "nhandan_assets"
    return {
        p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def render_all(site: Site) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    files["index.html"] = render_home(site)
    files.update(render_listings(site))
    files.update(render_sitemaps(site))
    files["rss/home.rss"] = render_rss(site)
    files["robots.txt"] = render_robots(site)
    files.update(render_misc(site))
    files.update(render_assets())
    files.update(binary_assets())
    for art in site.articles:
        html = render_article(site, art)
        name = art.path.lstrip("/")
        if "cp1258" in art.flags:
            html = html.replace(
                '<meta charset="utf-8">',
                '<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">',
                1,
            )
            files[name] = encode_cp1258(html)
        else:
            files[name] = html
        if "amp" in art.flags:
            files[f"amp/{name}"] = render_amp(site, art)
        if "print" in art.flags:
            files[f"print/{name}"] = render_print(site, art)
    return files


RESOURCE_SUFFIXES = (".jpg", ".png", ".ttf", ".pdf", ".css", ".js")


def text_of(content: str | bytes) -> str:
    if isinstance(content, bytes):
        return unicodedata.normalize("NFC", content.decode("cp1258"))
    return content


def file_for(path: str, files: dict[str, str | bytes]) -> str | None:
    path = path.split("?", 1)[0].split("#", 1)[0]
    name = path.lstrip("/")
    for cand in (
        name,
        name + "index.html" if name.endswith("/") or not name else "",
        name + ".html",
    ):
        if cand in files:
            return cand
    return None


LINK = re.compile(r"__BASE__(/[^\"'<>\s]*)")
SIDEBAR = re.compile(r'<aside class="sub-col sidebar">.*?</aside>', re.S)


def crawl(site: Site, files: dict[str, str | bytes], config: dict[str, Any]) -> set[str]:
    """Every file reachable from / and robots.txt, as a polite crawler would see it."""
    seen: set[str] = set()
    todo = ["/", "/robots.txt"]
    while todo:
        path = todo.pop()
        path = path.split("#", 1)[0]
        bare = path.split("?", 1)[0]
        if bare in config["redirects"]:
            todo.append(config["redirects"][bare])
            continue
        if bare.startswith(("/tim-kiem", "/lich", "/admin")):
            continue
        name = file_for(bare, files)
        if name is None or name in seen:
            continue
        seen.add(name)
        if name.endswith(RESOURCE_SUFFIXES):
            continue  # images, fonts, documents, styles, scripts: no page links in them
        todo.extend(m.group(1) for m in LINK.finditer(text_of(files[name])))
    return seen


def route_of(name: str, site: Site) -> str | None:
    if name == "index.html":
        return "home"
    if name.split("/", 1)[0] in site.data["sections"]:
        return "listing"
    if name == "sitemaps/news.xml":
        return "news_sitemap"
    if name.startswith("sitemaps/articles-"):
        return "sitemap"
    if name == "rss/home.rss":
        return "rss"
    if re.fullmatch(r"[a-z0-9-]+-post\d+\.html", name):
        return "link"
    return None


def routes(
    site: Site, files: dict[str, str | bytes], config: dict[str, Any]
) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {
        a.id: {"routes": set(), "listing_pages": set(), "aliases": set()} for a in site.articles
    }
    by_path = {a.path: a.id for a in site.articles}
    for which in {"most_read"} | {a.sidebar for a in site.articles}:
        for ident in site.data["site"][which]:
            out[ident]["routes"].add("most_read")
    for name, content in files.items():
        kind = route_of(name, site)
        if kind is None:
            continue
        text = SIDEBAR.sub("", text_of(content))  # the "most read" box is its own route
        for m in LINK.finditer(text):
            url = unescape(m.group(1))
            bare = url.split("?", 1)[0]
            target = by_path.get(config["redirects"].get(bare, bare))
            if target is None or f"/{name}" == bare:
                continue
            info = out[target]
            info["routes"].add(kind)
            if kind == "listing":
                info["listing_pages"].add(f"/{name}".replace("index.html", "").replace(".html", ""))
            if bare in config["redirects"]:
                info["routes"].add("redirect")
                info["aliases"].add(f"{B}{url}")
            if "?" in url and kind != "sitemap":
                info["routes"].add("tracking")
                info["aliases"].add(f"{B}{url}")
    return out


def expected_entry(site: Site, art: Article, info: dict[str, Any]) -> dict[str, Any]:
    rels = related_items(site, art)
    comments = comment_list(site, art)
    absent = [site.date_bar, "Đọc nhiều", "Ý kiến bạn đọc"]
    see_also = site.by_id(art.see_also).title if art.see_also is not None else None
    absent += [r.title for r in rels if r.title != see_also][:1] + [c["text"] for c in comments[:1]]
    absent += [site.by_id(i).title for i in art.inline_related[:1]]
    quirks = [f for f in art.flags if f in ("malformed", "no_charset", "cp1258")]
    ctype = {"no_charset": "text/html", "cp1258": "text/html; charset=windows-1258"}
    return {
        "id": art.id,
        "path": art.path,
        "url": f"{B}{art.path}",
        "canonical_url": f"{B}{art.path}",
        "section": art.section,
        "category": site.section_name(art.section),
        "title": art.title,
        "lead": art.lead,
        "published": iso(art.published),
        "published_display": long_time(art.published),
        "modified": iso(art.modified) if art.modified else None,
        "byline": art.byline,
        "authors": art.authors,
        "tags": art.tags,
        "source": art.source,
        "source_line": art.source_line or None,
        "paragraphs": len(art.paragraphs),
        "text_first": sentences(art.paragraphs[0])[0],
        "text_last": sentences(art.paragraphs[-1])[-1],
        "images": [
            {
                "url": f"{B}/images/{i.file}",
                "caption": i.caption,
                "credit": i.credit,
                "figcaption": i.figcaption,
            }
            for i in art.images
        ],
        "resources": page_resources(art),
        "routes": sorted(info["routes"]),
        "listing_pages": sorted(info["listing_pages"]),
        "aliases": sorted(info["aliases"]),
        "variants": {k: f"{B}/{k}{art.path}" for k in ("amp", "print") if k in art.flags},
        "quirks": quirks,
        "content_type": next((ctype[q] for q in quirks if q in ctype), "text/html; charset=utf-8"),
        "comments": [{"name": c["name"], "date": iso(c["when"])} for c in comments],
        "related": [{"title": r.title, "path": r.path, "date": iso(r.when)} for r in rels],
        "absent": absent,
        "seed": art.id == site.data["site"]["seed_id"],
    }


def expected(site: Site, files: dict[str, str | bytes], config: dict[str, Any]) -> dict[str, Any]:
    info = routes(site, files, config)
    listings = {
        s: sorted(
            "/" + n.replace("index.html", "").replace(".html", "")
            for n in files
            if n.startswith(f"{s}/")
        )
        for s in site.data["sections"]
    }
    return {
        "_note": (
            "Generated by tests/sites/build_nhandan.py from nhandan_articles.toml; do not edit. "
            "Strings are the source text as written (the seed keeps U+00D0 and NBSP): normalise "
            "(NFC, Ð->Đ, whitespace) before comparing with JSON records. __BASE__ is the server URL."
        ),
        "site": {
            "version": site.version,
            "now": iso(site.now),
            "date_bar": site.date_bar,
            "seed_file": site.data["site"]["seed_file"],
            "robots": f"{B}/robots.txt",
            "sitemap_index": f"{B}/sitemap.xml",
            "rss": f"{B}/rss/home.rss",
            "listings": listings,
            "disallowed": ["/tim-kiem", "/admin/"],
            "not_found": sorted(
                {
                    r["path"]
                    for a in site.articles
                    for r in a.related
                    if isinstance(r, dict) and r.get("missing")
                }
            ),
            "redirects": {f"{B}{k}": f"{B}{v}" for k, v in config["redirects"].items()},
            "trap": f"{B}{config['trap']}",
            "offsite_hosts": [
                "www.facebook.com",
                "twitter.com",
                "sp.zalo.me",
                "dangcongsan.vn",
                "baochinhphu.vn",
                "cdn.ampproject.org",
            ],
            "custom_reason": {f"{B}/reason": "Fine Thanks", f"{B}/gioi-thieu.html": "Fine Thanks"},
            "chunked": [f"{B}{p}" for p in config["chunked"]],
        },
        "articles": [expected_entry(site, a, info[a.id]) for a in newest_first(site.articles)],
    }


# --------------------------------------------------------------------------- checks and output


def check_site(
    site: Site, files: dict[str, str | bytes], exp: dict[str, Any], config: dict[str, Any]
) -> None:
    reachable = crawl(site, files, config)
    for art in site.articles:
        if art.path.lstrip("/") not in reachable:
            raise SystemExit(f"{site.version}: {art.path} is not reachable")
    seed_art = site.by_id(site.data["site"]["seed_id"])
    html = files[seed_art.path.lstrip("/")]
    assert isinstance(html, str)
    raw = html.encode("utf-8")
    for line in load_seed(HERE / site.data["site"]["seed_file"])["lines"]:
        if line.encode("utf-8") not in raw:
            raise SystemExit(f"seed line missing from the page: {line[:60]!r}")
    only = {tuple(e["routes"]): e["path"] for e in exp["articles"]}
    for single in (("listing",), ("sitemap",), ("rss",), ("news_sitemap",)):
        if single not in only:
            raise SystemExit(f"{site.version}: no article reachable only via {single[0]}")


def build_v1() -> tuple[Site, dict[str, str | bytes], dict[str, Any], dict[str, Any]]:
    site = load_site("v1")
    files = render_all(site)
    config = server_config(site)
    exp = expected(site, files, config)
    check_site(site, files, exp, config)
    return site, files, config, exp


def build_v2(v1_files: dict[str, str | bytes], v1_site: Site) -> dict[str, str | bytes]:
    """The overlay: files that changed one day later, rendered with that day's date bar."""
    same_day = load_site("v2")
    same_day.now = v1_site.now
    next_day = load_site("v2")
    probe, final = render_all(same_day), render_all(next_day)
    overlay = {name: final[name] for name in final if v1_files.get(name) != probe[name]}
    full = dict(v1_files)
    full.update(overlay)
    config = server_config(next_day)
    config["redirects"] = server_config(v1_site)["redirects"] | config["redirects"]
    exp = expected(next_day, full, config)
    exp["site"]["overlay_of"] = "nhandan"
    exp["changes"] = changes(v1_site, next_day)
    check_site(next_day, full, exp, config)
    overlay["_site.json"] = json.dumps({"last_modified": config["last_modified"]}, indent=1) + "\n"
    overlay["expected.json"] = json.dumps(exp, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    return overlay


def changes(old: Site, new: Site) -> dict[str, list[str]]:
    before = {a.id: a for a in old.articles}
    out: dict[str, list[str]] = {"new": [], "text_changed": [], "boilerplate_changed": []}
    for art in new.articles:
        prev = before.get(art.id)
        if prev is None:
            out["new"].append(art.path)
        elif (prev.title, prev.lead, prev.paragraphs) != (art.title, art.lead, art.paragraphs):
            out["text_changed"].append(art.path)
        elif prev.sidebar != art.sidebar:
            out["boilerplate_changed"].append(art.path)
    return out


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    if root.exists():
        shutil.rmtree(root)
    for name, content in sorted(files.items()):
        dest = root / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def build(out_v1: Path, out_v2: Path) -> None:
    site, files, config, exp = build_v1()
    overlay = build_v2(files, site)
    files = dict(files)
    files["_site.json"] = json.dumps(config, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    files["expected.json"] = json.dumps(exp, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    write_tree(out_v1, files)
    write_tree(out_v2, overlay)
    print(
        f"{out_v1}: {len(files)} files, {len(exp['articles'])} articles; {out_v2}: {len(overlay)} files"
    )


def same_tree(a: Path, b: Path) -> bool:
    names_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    names_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return names_a == names_b and all((a / n).read_bytes() == (b / n).read_bytes() for n in names_a)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if the committed trees are stale"
    )
    args = parser.parse_args()
    if not args.check:
        build(OUT_V1, OUT_V2)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        v1, v2 = Path(tmp, "nhandan"), Path(tmp, "nhandan-v2")
        build(v1, v2)
        ok = same_tree(v1, OUT_V1) and same_tree(v2, OUT_V2)
    print("up to date" if ok else "STALE: run python tests/sites/build_nhandan.py")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
