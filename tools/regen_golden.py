"""Regenerate the extractor-output part of the golden files in ``tests/golden/``.

Each golden file holds one real page's expected record::

    {
      "page": "tests/data/html/<site>/<file>",   # the saved page (.html or .html.gz)
      "url": "...", "fetched_at": "...", "fetched_at_note": "why this capture time",
      "base": "https://nhandan.vn",   # sample-site pages only: replaces "__BASE__"
      "headers": {"Content-Type": ["text/html; charset=windows-1258"]},   # optional, as served
      "checked": {...},     # read by a person from the HTML; asserted exactly; NEVER rewritten here
      "extracted": {...}    # the record extract_article() returned last time; rewritten here
    }

Run it after a change to extraction, then review ``git diff tests/golden`` like code::

    .venv/bin/python tools/regen_golden.py            # all golden files
    .venv/bin/python tools/regen_golden.py cafef      # files whose path contains "cafef"
    .venv/bin/python tools/regen_golden.py --check    # only report checked-field mismatches

A page of a profiled site that must give **no record** (its text is elsewhere, e.g. a PDF) has a
refusal golden instead: ``"refused"`` says, as read by a person, why the page holds no article
(extraction must raise ``ExtractionError``, whatever its message); it has no ``checked`` or
``extracted``. :func:`golden_files` leaves those out (they have no fields to score),
:func:`all_golden_files` lists both kinds, and the golden test asserts the refusal.
``--coverage`` lists profiles and dated layouts with no golden page (tests/test_golden_coverage.py).

``--init PAGE URL FETCHED_AT`` writes a new file whose ``checked`` values are all null: fill
them in by reading the page (the golden test fails until you do). ``--init-sample`` adds files
for sample-site articles (tests/sites/nhandan) that have none, from the site's spec
``expected.json``; existing files are never touched (delete one to rebuild it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from vnnews.profiles import SiteProfile

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIR = ROOT / "tests" / "golden"
CHECKED_KEYS = (
    "site",
    "publisher",
    "url",
    "canonical_url",
    "title",
    "lead",
    "published",
    "authors",
    "language",
    "source",
    "tags",
    "first_sentence",
    "last_sentence",
    "must_not_contain",
)


def all_golden_files(filters: list[str] | None = None) -> list[Path]:
    """Every golden file: record goldens and refusal goldens."""
    files = sorted(GOLDEN_DIR.glob("*/*.json"))
    if filters:
        files = [f for f in files if any(s in str(f) for s in filters)]
    return files


def is_refusal(golden: dict[str, Any]) -> bool:
    return "refused" in golden


def golden_files(filters: list[str] | None = None) -> list[Path]:
    """Golden files that expect a record (the ones with ``checked`` fields to score)."""
    return [f for f in all_golden_files(filters) if not is_refusal(load_golden(f))]


def refusal_files(filters: list[str] | None = None) -> list[Path]:
    """Golden files of pages that must give no record."""
    return [f for f in all_golden_files(filters) if is_refusal(load_golden(f))]


def refusal_problem(golden: dict[str, Any]) -> str | None:
    """None when extraction refuses the page with the expected message, else what happened."""
    from extraction.article import ExtractionError

    try:
        record = extract(golden)
    except ExtractionError:
        return None
    return f"gave a record (title {record.get('title')!r}); expected none: {golden['refused']}"


def load_golden(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def write_golden(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")


def page_bytes(golden: dict[str, Any]) -> bytes:
    """The page as served: gunzipped, with the sample site's ``__BASE__`` placeholder filled."""
    page = ROOT / golden["page"]
    raw = page.read_bytes()
    raw = gzip.decompress(raw) if page.suffix == ".gz" else raw
    if golden.get("base"):
        raw = raw.replace(b"__BASE__", golden["base"].encode("ascii"))
    return raw


def norm(text: str) -> str:
    """NFC and collapsed whitespace, for comparing page text with record text."""
    text = unicodedata.normalize("NFC", text).replace("\ufeff", "")
    return " ".join(text.split())


def extract(golden: dict[str, Any]) -> dict[str, Any]:
    """Run the project's extractor on a golden page with the profile its URL maps to."""
    from extraction.article import extract_article
    from vnnews.profiles import ProfileRegistry

    profile = ProfileRegistry.load().for_url(golden["url"])
    fetched_at = datetime.fromisoformat(golden["fetched_at"])
    record: dict[str, Any] = extract_article(
        page_bytes(golden),
        golden["url"],
        fetched_at=fetched_at,
        profile=profile,
        headers=golden.get("headers"),
    )
    safe: dict[str, Any] = json.loads(json.dumps(record, ensure_ascii=False, default=str))
    return safe  # a JSON-safe copy, as it will be stored


def minute(value: str | None) -> str | None:
    """An ISO datetime cut to the minute, keeping its offset ("2026-03-07T08:06+07:00")."""
    if not value:
        return None
    return datetime.fromisoformat(value).isoformat(timespec="minutes")


def checked_mismatches(checked: dict[str, Any], record: dict[str, Any]) -> list[str]:
    """One line per hand-checked expectation the record does not meet."""
    problems = []
    for key in ("site", "publisher", "url", "canonical_url", "title", "lead", "language"):
        if record.get(key) != checked[key]:
            problems.append(f"{key}: got {record.get(key)!r}, expected {checked[key]!r}")
    for key in ("authors", "tags", "source"):
        if record.get(key) != checked[key]:
            problems.append(f"{key}: got {record.get(key)!r}, expected {checked[key]!r}")
    got_published = minute(record.get("published"))
    if got_published != checked["published"]:
        problems.append(f"published: got {got_published!r}, expected {checked['published']!r}")
    problems.extend(text_problems(checked, norm(record.get("text") or "")))
    return problems


def text_problems(checked: dict[str, Any], text: str) -> list[str]:
    first, last = checked["first_sentence"], checked["last_sentence"]
    if first is None or last is None or checked["must_not_contain"] is None:
        return ["checked sentences/snippets are not filled in"]
    problems = []
    # A photo caption may come before the first paragraph, hence the slack.
    if first not in text[: len(first) + 300]:
        problems.append(f"text does not begin with the first sentence {first[:60]!r}…")
    if not text.endswith(last):
        problems.append(f"text does not end with …{last[-60:]!r}; it ends {text[-80:]!r}")
    for snippet in checked["must_not_contain"]:
        if snippet in text:
            problems.append(f"text contains boilerplate {snippet!r}")
    return problems


def init_file(page: str, url: str, fetched_at: str) -> Path:
    page_path = Path(page).resolve()
    rel = page_path.relative_to(ROOT)
    stem = page_path.name.removesuffix(".gz").removesuffix(".html")
    out = GOLDEN_DIR / page_path.parent.name / f"{stem}.json"
    if out.exists():
        raise SystemExit(f"{out} exists; edit it by hand")
    out.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "page": str(rel),
        "url": url,
        "fetched_at": fetched_at,
        "fetched_at_note": "TODO: why this capture time",
        "checked": dict.fromkeys(CHECKED_KEYS),
        "extracted": None,
    }
    write_golden(out, data)
    return out


def golden_profile_name(golden: dict[str, Any], profiles: Iterable[SiteProfile]) -> str | None:
    """The profile a golden page is extracted with: the first whose domains hold its URL host
    (the rule of ``ProfileRegistry.for_url``, which :func:`extract` uses)."""
    host = (urlsplit(golden["url"]).hostname or "").lower()
    return next((p.name for p in profiles if p.matches_host(host)), None)


def coverage_gaps(profiles: Sequence[SiteProfile], goldens: Sequence[dict[str, Any]]) -> list[str]:
    """What has no golden page: a profile, or one of its layouts (``[selectors]`` when the
    profile keeps a ``selector_history``, and each dated ``[[selector_history]]`` entry).

    A record golden covers the layout ``selectors_for`` picks for its hand-checked publication
    date; a refusal golden covers only its profile.
    """
    gaps = []
    for profile in profiles:
        own = [g for g in goldens if golden_profile_name(g, profiles) == profile.name]
        if not own:
            gaps.append(f"profile {profile.name!r} ({profile.path}) has no golden page")
            continue
        if not profile.selector_history:
            continue
        used = [
            profile.selectors_for(datetime.fromisoformat(g["checked"]["published"]))
            for g in own
            if not is_refusal(g) and (g.get("checked") or {}).get("published")
        ]
        layouts = [("[selectors] (current)", profile.selectors)] + [
            (f"[[selector_history]] valid_until {old.valid_until}", old)
            for old in profile.selector_history
        ]
        for label, layout in layouts:
            if not any(u is layout for u in used):
                gaps.append(f"profile {profile.name!r}: {label} has no golden page")
    return gaps


SAMPLE_DIR = ROOT / "tests" / "sites" / "nhandan"
SAMPLE_BASE = "https://nhandan.vn"
SAMPLE_NOTE = (
    "sample site (tests/sites/nhandan, served Last-Modified 2021-05-06 02:30 GMT); a fixed "
    "capture time after every publication date. checked values: the builder spec "
    "tests/sites/nhandan/expected.json (independent of the extractor), normalised (NFC, "
    "Ð->Đ, whitespace), spot-checked against the HTML"
)


def sample_checked(article: dict[str, Any]) -> dict[str, Any]:
    """The hand-checked block of a sample-site page, from the site's spec entry."""

    def fix(value: Any) -> Any:
        if isinstance(value, list):
            return [fix(v) for v in value]
        return norm(value.replace("Ð", "Đ")) if isinstance(value, str) else value

    return {
        "site": "nhandan",
        "publisher": "Nhân Dân",
        "language": "vi",
        "url": SAMPLE_BASE + article["path"],
        "canonical_url": article["canonical_url"].replace("__BASE__", SAMPLE_BASE),
        **{k: fix(article[k]) for k in ("title", "lead", "authors", "tags", "source")},
        "published": minute(article["published"]),
        "first_sentence": fix(article["text_first"]),
        "last_sentence": fix(article["text_last"]),
        "must_not_contain": [*fix(article["absent"]), fix(article["title"])],
    }


def init_sample() -> list[Path]:
    """Golden files for sample-site articles that have none yet (existing ones are kept)."""
    spec = json.loads((SAMPLE_DIR / "expected.json").read_text(encoding="utf-8"))
    conf = json.loads((SAMPLE_DIR / "_site.json").read_text(encoding="utf-8"))
    written = []
    for article in spec["articles"]:
        path = article["path"]
        out = GOLDEN_DIR / "sample-nhandan" / f"{path.strip('/').removesuffix('.html')}.json"
        if out.exists():
            continue
        charset = conf.get("charsets", {}).get(path, "utf-8")
        ctype = (
            "text/html" if path in conf.get("no_charset", []) else f"text/html; charset={charset}"
        )
        data = {
            "page": f"tests/sites/nhandan{path}",
            "base": SAMPLE_BASE,
            "url": SAMPLE_BASE + path,
            "headers": {"Content-Type": [ctype]},
            "fetched_at": "2021-05-07T00:00:00+00:00",
            "fetched_at_note": SAMPLE_NOTE,
            "checked": sample_checked(article),
            "extracted": None,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        write_golden(out, data)
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("filters", nargs="*", help="only golden files whose path contains one")
    parser.add_argument("--check", action="store_true", help="report, do not write")
    parser.add_argument("--init", nargs=3, metavar=("PAGE", "URL", "FETCHED_AT"))
    parser.add_argument("--init-sample", action="store_true", help="add sample-site files")
    parser.add_argument("--coverage", action="store_true", help="list pages still missing")
    args = parser.parse_args(argv)
    if args.coverage:
        from vnnews.profiles import PROFILE_DIR, load_profile

        profiles = [load_profile(path) for path in sorted(PROFILE_DIR.glob("*.toml"))]
        gaps = coverage_gaps(profiles, [load_golden(path) for path in all_golden_files()])
        print("\n".join(gaps) or "every profile and dated layout has a golden page")
        return 1 if gaps else 0
    if args.init:
        print(init_file(*args.init))
        return 0
    if args.init_sample:
        for path in init_sample():
            print(path)
        return 0
    failed = 0
    for path in refusal_files(args.filters):
        problem = refusal_problem(load_golden(path))
        failed += bool(problem)
        if problem:
            print(f"{path.relative_to(GOLDEN_DIR)}: {problem}")
    for path in golden_files(args.filters):
        golden = load_golden(path)
        record = extract(golden)
        problems = checked_mismatches(golden["checked"], record)
        failed += bool(problems)
        name = path.relative_to(GOLDEN_DIR)
        for problem in problems:
            print(f"{name}: {problem}")
        if not args.check and record != golden.get("extracted"):
            golden["extracted"] = record
            write_golden(path, golden)
            print(f"{name}: extracted part rewritten")
    print(f"{failed} file(s) with checked-field mismatches", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
