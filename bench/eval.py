"""Extraction quality report: ``make eval`` prints it and writes bench/report.md.

Sections:

1. Zyte article-extraction benchmark (181 English news pages with ground truth): precision,
   recall and F1 of our ``text`` next to bare ``trafilatura.extract(html)`` and
   ``trafilatura.extract(html, favor_precision=True)``, all computed in the same run.
   Scoring is the benchmark's own (``evaluate.py`` of scrapinghub/article-extraction-benchmark,
   re-implemented in :func:`shingle_match` and :func:`metrics`): texts are tokenised with
   ``\\w+``, turned into 4-token shingles; per page, shingle counts give TP/FP/FN normalised to
   sum 1; precision is the mean over pages with TP+FP > 0, recall the mean over pages with
   TP+FN > 0, F1 the harmonic mean of the two means. An empty prediction scores 0.
2. Vietnamese article pages (the golden files ``tests/golden/*/*.json``: 12 real pages of the
   corpus and the sample nhandan site; expected values read from the pages): title exact,
   publication date to the day and to the minute with offset, authors, clean start (first
   sentence within the first 300 characters) and complete end (text ends with the last
   sentence), no boilerplate snippet; ours (with the site profile) next to bare trafilatura
   (``bare_extraction(with_metadata=True)``). Per-page extraction time on the real pages.
3. Dates: ``bench/eval_dates.py`` (Vietnamese pages and the htmldate sample).
4. Real pages with gold: vn-dev's development and held-out groups (``bench/heldout.toml``),
   ``bench/devpages`` (dev-2) and ``bench/realpages`` (unseen), per field, for ours, bare
   trafilatura and htmldate (``bench/eval_vndev.py`` documents the scoring rules). Held-out and
   unseen pages: totals only.
5. The layout guesser (extraction/layouts.py) with the page's own site / family left out of the
   family table, on the corpus pages of section 2 and section 4's article pages, no profile.
6. Body stress test (``bench/stress.py``): section 2's real pages with their markup rewritten
   (``<p>`` -> ``<div>``, ``<p>`` -> ``<br><br>`` runs, the body cut into sibling containers
   around media), no profile, ours vs bare trafilatura.

docs/evaluation.md explains the split, the scoring and how to re-measure the floors.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from extraction.article import ExtractionError, extract_article  # noqa: E402
from vnnews.profiles import ProfileRegistry  # noqa: E402

# The shared corpus sits beside the checkout (../shared); VNNEWS_SHARED overrides.
SHARED = Path(os.environ.get("VNNEWS_SHARED", ROOT.parent / "shared"))
ZYTE_FULL = SHARED / "corpus/benchmark/scrapinghub-article-extraction-benchmark"
ZYTE_SUBSET = ROOT / "tests" / "data" / "zyte"  # the first 60 pages, for the quality gate
REPORT = Path(__file__).resolve().parent / "report.md"
FETCHED_AT = datetime(2026, 11, 26, tzinfo=UTC)

# --- the benchmark's scoring (scrapinghub/article-extraction-benchmark evaluate.py) ------------

_TOKEN_RE = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


def _ngrams(text: str, n: int = 4) -> list[tuple[str, ...]]:
    tokens = _TOKEN_RE.findall(text or "")
    return [
        tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
    ]


def shingle_match(true: str, pred: str, n: int = 4) -> tuple[float, float, float]:
    """Per-page (TP, FP, FN) over 4-token shingles, normalised to sum 1 (the benchmark's way)."""
    true_counts, pred_counts = Counter(_ngrams(true, n)), Counter(_ngrams(pred, n))
    tp = fp = fn = 0.0
    for key in set(true_counts) | set(pred_counts):
        t, p = true_counts.get(key, 0), pred_counts.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (tp, fp, fn)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def metrics(scores: Iterable[tuple[float, float, float]]) -> dict[str, float]:
    scores = list(scores)
    precision = statistics.mean(_precision(*s) for s in scores if s[0] + s[1] > 0)
    recall = statistics.mean(_recall(*s) for s in scores if s[0] + s[2] > 0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


# --- systems --------------------------------------------------------------------------------


def ours_text(html: bytes, url: str) -> str:
    try:
        return str(extract_article(html, url, fetched_at=FETCHED_AT, profile=None)["text"])
    except ExtractionError:
        return ""


def bare_text(html: bytes, url: str) -> str:
    return trafilatura.extract(html) or ""


def precision_text(html: bytes, url: str) -> str:
    return trafilatura.extract(html, favor_precision=True) or ""


ZYTE_SYSTEMS: dict[str, Callable[[bytes, str], str]] = {
    "ours": ours_text,
    "trafilatura (bare)": bare_text,
    "trafilatura (favor_precision)": precision_text,
}

# --- 1. Zyte --------------------------------------------------------------------------------


def zyte_items(root: Path | None = None) -> list[tuple[str, str, bytes, str]]:
    """(id, url, html bytes, true body) of every page in ``root`` (the full set when present)."""
    root = root or (ZYTE_FULL if ZYTE_FULL.is_dir() else ZYTE_SUBSET)
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    items = []
    for key in sorted(truth):
        html = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
        items.append((key, truth[key].get("url") or "", html, truth[key].get("articleBody") or ""))
    return items


def run_zyte(root: Path | None = None, systems: Iterable[str] = ZYTE_SYSTEMS) -> dict[str, Any]:
    items = zyte_items(root)
    results: dict[str, Any] = {}
    for name in systems:
        system = ZYTE_SYSTEMS[name]
        started = time.perf_counter()
        scores = [shingle_match(true, system(html, url)) for _, url, html, true in items]
        results[name] = metrics(scores)
        results[name]["seconds"] = time.perf_counter() - started
        results[name]["pages"] = len(items)
    return results


def zyte_table(results: dict[str, Any]) -> str:
    lines = [
        "| system | precision | recall | F1 | pages | seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, m in results.items():
        lines.append(
            f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} "
            f"| {int(m['pages'])} | {m['seconds']:.1f} |"
        )
    return "\n".join(lines)


# --- 2. Vietnamese pages (golden files) ----------------------------------------------------------

VI_CHECKS = ("title", "day", "minute", "authors", "start", "end", "clean")


def _golden() -> list[dict[str, Any]]:
    from tools.regen_golden import golden_files, load_golden

    return [load_golden(path) for path in golden_files()]


def _page(golden: dict[str, Any]) -> bytes:
    from tools.regen_golden import page_bytes

    return page_bytes(golden)


def _norm(text: str | None) -> str:
    from tools.regen_golden import norm

    return norm(text or "")


def _ours_vi(golden: dict[str, Any], registry: ProfileRegistry | None) -> dict[str, Any]:
    url = golden["url"]
    started = time.perf_counter()
    try:
        record = extract_article(
            _page(golden),
            url,
            fetched_at=datetime.fromisoformat(golden["fetched_at"]),
            profile=registry.for_url(url) if registry else None,
            headers=golden.get("headers"),
        )
    except ExtractionError:
        record = {}
    seconds = time.perf_counter() - started
    return {
        "title": record.get("title"),
        "published": record.get("published"),
        "authors": record.get("authors") or [],
        "text": record.get("text") or "",
        "seconds": seconds,
    }


def _bare_vi(golden: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    doc: Any = trafilatura.bare_extraction(_page(golden), url=golden["url"], with_metadata=True)
    seconds = time.perf_counter() - started
    if doc is None:
        return {"title": None, "published": None, "authors": [], "text": "", "seconds": seconds}
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return {
        "title": doc.title,
        "published": doc.date,
        "authors": authors,
        "text": doc.text or "",
        "seconds": seconds,
    }


def vi_checks(golden: dict[str, Any], got: dict[str, Any]) -> dict[str, bool | None]:
    """Per-check pass/fail of one system's output against a golden page (None: not checkable)."""
    checked = golden["checked"]
    text = _norm(got["text"])
    gold_date, got_date = checked.get("published") or "", got.get("published") or ""
    first, last = checked["first_sentence"], checked["last_sentence"]
    return {
        "title": _norm(got["title"]) == checked["title"],
        "day": bool(gold_date) and got_date[:10] == gold_date[:10],
        "minute": (_minute(got_date) == gold_date) if len(got_date) > 10 else False,
        "authors": [_norm(a).casefold() for a in got["authors"]]
        == [a.casefold() for a in checked["authors"]],
        "start": first in text[: len(first) + 300],
        "end": text.endswith(last),
        "clean": not any(s in text for s in checked["must_not_contain"]),
    }


def _minute(value: str) -> str | None:
    from tools.regen_golden import minute

    return minute(value)


def run_vi() -> dict[str, Any]:
    """Check counts per (corpus, system) and per-page timings of ours on the real pages."""
    registry = ProfileRegistry.load()
    runners: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "ours": lambda golden: _ours_vi(golden, registry),
        "ours (no profile)": lambda golden: _ours_vi(golden, None),
        "trafilatura (bare)": _bare_vi,
    }
    summary: dict[str, dict[str, Any]] = {}
    misses: list[str] = []
    timings: list[float] = []
    for golden in _golden():
        corpus = "real" if golden["page"].startswith("tests/data/html/") else "sample site"
        for name, runner in runners.items():
            got = runner(golden)
            checks = vi_checks(golden, got)
            row = summary.setdefault(
                f"{corpus}|{name}", {"pages": 0, **dict.fromkeys(VI_CHECKS, 0)}
            )
            row["pages"] += 1
            for check, ok in checks.items():
                row[check] += bool(ok)
                if name == "ours" and not ok:
                    misses.append(f"{golden['page']}: {check}")
            if name == "ours" and corpus == "real":
                timings.append(got["seconds"])
    return {"summary": summary, "misses": misses, "timings": timings}


def vi_table(result: dict[str, Any]) -> str:
    head = "| pages | system | n | " + " | ".join(VI_CHECKS) + " |"
    lines = [head, "| --- | --- | ---: |" + " ---: |" * len(VI_CHECKS)]
    for key, row in result["summary"].items():
        corpus, system = key.split("|")
        cells = [f"{row[c]}/{row['pages']}" for c in VI_CHECKS]
        lines.append(f"| {corpus} | {system} | {row['pages']} | " + " | ".join(cells) + " |")
    timings = sorted(result["timings"])
    if timings:
        lines += [
            "",
            f"Our extraction time per real page ({len(timings)} pages, one process, dates "
            f"included): median {1000 * statistics.median(timings):.0f} ms, "
            f"max {1000 * timings[-1]:.0f} ms, total {sum(timings):.2f} s.",
        ]
    if result["misses"]:
        lines += ["", "Our misses: " + "; ".join(result["misses"])]
    return "\n".join(lines)


# --- 3. dates ---------------------------------------------------------------------------------


def dates_section() -> str:
    try:
        from bench import eval_dates
    except ImportError as exc:
        return f"(skipped: bench/eval_dates.py not importable: {exc})"
    rows = eval_dates.evaluate_vi() + eval_dates.evaluate_htmldate()
    return str(eval_dates.markdown(eval_dates.summarise(rows)))


# --- 4. vn-dev: development and held-out groups -----------------------------------------------


def vndev_section() -> str:
    from bench import eval_vndev

    split = eval_vndev.load_split()
    return "\n".join(
        [
            f"Split (bench/heldout.toml): {split.rule}. Scoring rules: bench/eval_vndev.py and "
            "docs/evaluation.md. Trafilatura has no attribution or language output (scored as "
            "null); htmldate is scored on dates only.",
            "",
            eval_vndev.vndev_tables(eval_vndev.run_vndev(eval_vndev.load_real_groups())),
        ]
    )


# --- 5. the layout guesser, leave-one-site-out -------------------------------------------------


def real_goldens() -> list[dict[str, Any]]:
    return [g for g in _golden() if g["page"].startswith("tests/data/html/")]


def golden_site(golden: dict[str, Any]) -> str:
    """The site of a corpus page: its folder under tests/data/html (the profile's name)."""
    return str(golden["page"]).split("/")[3]


def run_corpus_loo() -> dict[str, dict[str, int]]:
    """Section 2's checks on the real corpus pages, no profile, per guesser variant."""
    from bench.eval_vndev import LOO_VARIANTS, family_of, guesser, loo_guessers

    counts = {v: {"pages": 0, **dict.fromkeys(VI_CHECKS, 0)} for v in LOO_VARIANTS}
    for golden in real_goldens():
        page, headers = _page(golden), golden.get("headers")
        family = family_of(page, golden["url"], headers)
        for variant, guess in loo_guessers(golden_site(golden), family).items():
            with guesser(guess):
                got = _ours_vi(golden, None)
            counts[variant]["pages"] += 1
            for check, ok in vi_checks(golden, got).items():
                counts[variant][check] += bool(ok)
    return counts


def loo_section() -> str:
    from bench.eval_vndev import FIELDS, LOO_VARIANTS, load_real_groups, run_layout_loo

    lines = [
        "No profile. Variants: *full table* (every family of extraction/layouts.toml); "
        "*leave-one-site-out* (families known only from the page's own site removed, as in "
        "tests/test_layouts.py); *leave-own-family-out* (every family listing the page's site "
        "and the family the full table picks for the page removed: the page is a CMS the table "
        "does not know); *no guessing* (the generic path).",
        "",
        "Corpus pages (tests/golden, real pages; section 2's checks):",
        "",
        "| variant | n | " + " | ".join(VI_CHECKS) + " |",
        "| --- | ---: |" + " ---: |" * len(VI_CHECKS),
    ]
    for variant, row in run_corpus_loo().items():
        cells = [f"{row[c]}/{row['pages']}" for c in VI_CHECKS]
        lines.append(f"| {variant} | {row['pages']} | " + " | ".join(cells) + " |")
    fields = [(k, h) for k, h in FIELDS if k not in ("refused", "day")]
    lines += [
        "",
        "Real article pages of section 4, every group (section 4's fields; held-out and unseen "
        "as totals, like there):",
        "",
        "| group | variant | " + " | ".join(h for _, h in fields) + " |",
        "| --- | --- |" + " ---: |" * len(fields),
    ]
    totals = run_layout_loo(load_real_groups())
    for (group, variant), total in sorted(
        totals.items(), key=lambda kv: (kv[0][0], LOO_VARIANTS.index(kv[0][1]))
    ):
        cells = [total.cell(k, "ours") for k, _ in fields]
        lines.append(f"| {group} | {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- 6. body stress test ------------------------------------------------------------------------


def stress_section() -> str:
    from bench import stress

    return "\n".join(
        [
            "Section 2's real pages, markup rewritten (bench/stress.py explains each rewrite), "
            "no profile. *sentences*: sentences of the text our profile extracts from the "
            "unmodified page found in the output; *leaks*: hand-listed boilerplate snippets "
            "found.",
            "",
            stress.stress_table(stress.run_stress()),
        ]
    )


# --- report ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--zyte-dir", type=Path, default=None, help="benchmark copy to use")
    parser.add_argument("--skip-dates", action="store_true", help="leave out section 3")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    zyte_root = args.zyte_dir or (ZYTE_FULL if ZYTE_FULL.is_dir() else ZYTE_SUBSET)
    parts = [
        "# Extraction quality report",
        "",
        f"Generated by `make eval` (bench/eval.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"trafilatura {trafilatura.__version__}.",
        "",
        f"## 1. Zyte article-extraction benchmark ({zyte_root.name})",
        "",
        "Scored like the benchmark's evaluate.py (4-token shingles, per-page normalised "
        "TP/FP/FN, mean precision and recall, F1 of the means); no bootstrap.",
        "",
        zyte_table(run_zyte(zyte_root)),
        "",
        "## 2. Vietnamese article pages (tests/golden)",
        "",
        vi_table(run_vi()),
        "",
    ]
    if not args.skip_dates:
        parts += ["## 3. Publication dates (bench/eval_dates.py)", "", dates_section(), ""]
    parts += [
        "## 4. Real pages with gold: vn-dev, dev-2, unseen (bench/eval_vndev.py)",
        "",
        vndev_section(),
        "",
        "## 5. Layout guesser with the page's own site / family left out",
        "",
        loo_section(),
        "",
        "## 6. Body stress test: the same pages in unfamiliar markup (bench/stress.py)",
        "",
        stress_section(),
        "",
    ]
    report = "\n".join(parts)
    print(report)
    if not args.no_write:
        REPORT.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
