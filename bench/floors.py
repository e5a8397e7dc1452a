"""Quality floors (bench/floors.json) and the corpora they were measured on.

Every floor section of floors.json names, in ``measured_on``, the corpus it was measured on, and
``corpora`` keeps a digest of that corpus's files as they were when the floors were measured.
tests/test_quality_gate.py recomputes the digests: a changed corpus fails the gate until the
floors are re-measured on it, so a changed corpus cannot silently move the floors. Corpora:

* ``zyte_subset``: tests/data/zyte (``ground-truth.json`` and ``html/*.html.gz``);
* ``golden``: the record goldens of tests/golden: each saved page's bytes and the hand-read part
  of its golden file (``page``, ``url``, ``fetched_at``, ``headers``, ``base``, ``checked``), not
  the ``extracted`` part that tools/regen_golden.py rewrites;
* ``vndev:dev`` and ``vndev:held-out``: the pages of each group of ../shared/corpus/vn-dev, their
  gold entries and the split (bench/heldout.toml).

Usage::

    .venv/bin/python bench/floors.py               # digests and measured figures vs floors
    .venv/bin/python bench/floors.py --remeasure   # changed corpora: floors := today's figures
    .venv/bin/python bench/floors.py --raise       # unchanged corpora: raise floors that improved

``--remeasure`` sets the floors of every changed corpus to today's figures (Zyte: 0.003 below,
for platform noise in lxml/trafilatura) and records the new digests; review ``git diff
bench/floors.json`` and commit it with the corpus change. Floors of unchanged corpora only ever
go up (``--raise``); ceilings (leaks, missing records per page) only ever go down.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FLOORS_FILE = Path(__file__).resolve().parent / "floors.json"
ZYTE_NOISE = 0.003  # Zyte floors sit this far below the measured figure (platform noise)
# vn-dev figures the gate keeps, per group, for ``ours`` (GroupTotals.figures() keys).
VNDEV_FLOORS = ("body", "source", "title", "minute", "authors", "language", "refused")
VNDEV_CEILINGS = ("leaks_per_page", "missing_per_page")


# --- corpus digests ---------------------------------------------------------------------------


def _digest(items: Iterable[tuple[str, bytes]]) -> dict[str, Any]:
    digest, count = hashlib.sha256(), 0
    for label, data in items:
        digest.update(label.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
        count += 1
    return {"digest": "sha256:" + digest.hexdigest(), "files": count}


def _zyte_items() -> list[tuple[str, bytes]]:
    from bench.eval import ZYTE_SUBSET

    paths = [ZYTE_SUBSET / "ground-truth.json", *sorted((ZYTE_SUBSET / "html").glob("*.html.gz"))]
    return [(str(p.relative_to(ZYTE_SUBSET)), p.read_bytes()) for p in paths]


GOLDEN_INPUT_KEYS = ("page", "url", "fetched_at", "headers", "base", "checked")


def _golden_items() -> list[tuple[str, bytes]]:
    from tools.regen_golden import GOLDEN_DIR, golden_files, load_golden

    items = []
    for path in golden_files():
        golden = load_golden(path)
        inputs = {k: golden.get(k) for k in GOLDEN_INPUT_KEYS}
        name = str(path.relative_to(GOLDEN_DIR))
        items.append((name, json.dumps(inputs, ensure_ascii=False, sort_keys=True).encode()))
        items.append((f"{name}:page", (ROOT / golden["page"]).read_bytes()))
    return items


def _vndev_items(group: str) -> list[tuple[str, bytes]]:
    from bench.eval_vndev import SPLIT_FILE, load_pages

    items = [("heldout.toml", SPLIT_FILE.read_bytes())]
    for page in sorted(load_pages(), key=lambda p: p.file):
        if page.group == group:
            gold = json.dumps(page.gold, ensure_ascii=False, sort_keys=True).encode()
            items += [(f"{page.file}:gold", gold), (page.file, page.html)]
    return items


CORPORA: dict[str, tuple[str, Callable[[], list[tuple[str, bytes]]]]] = {
    "zyte_subset": ("tests/data/zyte: ground-truth.json and html/*.html.gz", _zyte_items),
    "golden": (
        "record goldens of tests/golden: page bytes and the hand-read inputs "
        "(page, url, fetched_at, headers, base, checked), not the extracted part",
        _golden_items,
    ),
    "vndev:dev": (
        "vn-dev development group: its pages, gold entries and bench/heldout.toml",
        lambda: _vndev_items("dev"),
    ),
    "vndev:held-out": (
        "vn-dev held-out group: its pages, gold entries and bench/heldout.toml",
        lambda: _vndev_items("held-out"),
    ),
}
# floor section of floors.json -> the corpus it is measured on
MEASURED_ON = {
    "zyte_subset": "zyte_subset",
    "zyte_margin_over_bare_f1": "zyte_subset",
    "vi": "golden",
    "vi_no_profile": "golden",
    "vndev.dev": "vndev:dev",
    "vndev.held-out": "vndev:held-out",
}


def corpus_digest(name: str) -> dict[str, Any]:
    about, items = CORPORA[name]
    return {"about": about, **_digest(items())}


def load_floors(path: Path = FLOORS_FILE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def stale_corpora(floors: dict[str, Any]) -> list[str]:
    """One line per corpus whose files changed since its floors were measured."""
    problems = []
    stored = floors.get("corpora", {})
    for name in sorted(set(floors.get("measured_on", {}).values())):
        now = corpus_digest(name)
        then = stored.get(name, {})
        if then.get("digest") != now["digest"]:
            problems.append(
                f"corpus {name!r} changed since its floors were measured (stored "
                f"{then.get('digest')}, {then.get('files')} files; now {now['digest']}, "
                f"{now['files']} files)"
            )
    return problems


REMEASURE_HINT = (
    "re-measure: .venv/bin/python bench/floors.py --remeasure, review `git diff bench/floors.json` "
    "and commit it with the corpus change"
)


# --- measuring --------------------------------------------------------------------------------


def measure(corpus: str) -> dict[str, Any]:
    """Today's figures of the floor sections measured on ``corpus``."""
    if corpus == "zyte_subset":
        from bench.eval import ZYTE_SUBSET, run_zyte

        zyte = run_zyte(ZYTE_SUBSET, ["ours", "trafilatura (bare)"])
        return {
            "zyte_subset": {k: zyte["ours"][k] for k in ("precision", "recall", "f1")},
            "zyte_margin_over_bare_f1": zyte["ours"]["f1"] - zyte["trafilatura (bare)"]["f1"],
        }
    if corpus == "golden":
        from bench.eval import VI_CHECKS, run_vi

        summary = run_vi()["summary"]
        out: dict[str, Any] = {"vi": {}, "vi_no_profile": {}}
        for key, row in summary.items():
            pages, system = key.split("|")
            section = {"ours": "vi", "ours (no profile)": "vi_no_profile"}.get(system)
            if section:
                out[section][pages] = {c: row[c] / row["pages"] for c in VI_CHECKS}
        return out
    group = corpus.split(":", 1)[1]
    return {f"vndev.{group}": vndev_figures()[group]}


def vndev_figures() -> dict[str, dict[str, dict[str, float]]]:
    """Per group: ``floors`` and ``ceilings`` of ``ours`` (the gate's form)."""
    from bench.eval_vndev import GROUPS, run_vndev

    result = run_vndev(systems=["ours"])
    out = {}
    for group in GROUPS:
        totals = result.totals.get((group, "ours"))
        if totals is None:
            continue
        figures = totals.figures()
        out[group] = {
            "floors": {k: figures[k] for k in VNDEV_FLOORS if k in figures},
            "ceilings": {k: figures[k] for k in VNDEV_CEILINGS},
        }
    return out


def _down(value: float) -> float:
    return math.floor(value * 1000 + 1e-9) / 1000


def _up(value: float) -> float:
    return math.ceil(value * 1000 - 1e-9) / 1000


def _as_floors(section: str, figures: Any, old: Any) -> Any:
    """Measured figures in floor form (Zyte: less its noise margin; shares rounded down)."""
    if section == "zyte_subset":
        return {k: _down(v - ZYTE_NOISE) for k, v in figures.items()}
    if section == "zyte_margin_over_bare_f1":
        return old if old is not None else 0.0  # a policy ("never below bare"), not a figure
    if section.startswith("vndev."):
        return {
            "floors": {k: _down(v) for k, v in figures["floors"].items()},
            "ceilings": {k: _up(v) for k, v in figures["ceilings"].items()},
        }
    return {pages: {k: _down(v) for k, v in row.items()} for pages, row in figures.items()}


def _raised(section: str, new: Any, old: Any) -> Any:
    """``old`` with every floor raised (ceiling lowered) where ``new`` is better."""
    if old is None:
        return new
    if isinstance(new, dict):
        out = dict(old)
        for key, value in new.items():
            if key == "ceilings":
                out[key] = {k: min(v, old[key].get(k, v)) for k, v in value.items()}
            else:
                out[key] = _raised(section, value, old.get(key))
        return out
    return max(new, old)


def _get(floors: dict[str, Any], section: str) -> Any:
    if section.startswith("vndev."):
        return floors.get("vndev", {}).get(section.split(".", 1)[1])
    return floors.get(section)


def _set(floors: dict[str, Any], section: str, value: Any) -> None:
    if section.startswith("vndev."):
        floors.setdefault("vndev", {})[section.split(".", 1)[1]] = value
    else:
        floors[section] = value


def update(floors: dict[str, Any], *, remeasure_all: bool, raise_only: bool) -> list[str]:
    """Re-measure changed corpora (all with ``remeasure_all``); with ``raise_only``, raise the
    floors of unchanged corpora where today's figures are better. Returns what changed."""
    changed = []
    floors.setdefault("corpora", {})
    floors["measured_on"] = dict(MEASURED_ON)
    for corpus in sorted(set(MEASURED_ON.values())):
        now = corpus_digest(corpus)
        stale = floors["corpora"].get(corpus, {}).get("digest") != now["digest"]
        if not (stale or remeasure_all or raise_only):
            continue
        figures = measure(corpus)
        for section, value in figures.items():
            old = _get(floors, section)
            new = _as_floors(section, value, old)
            if not (stale or remeasure_all):
                new = _raised(section, new, old)
            if new != old:
                _set(floors, section, new)
                changed.append(f"{section}: {json.dumps(old)} -> {json.dumps(new)}")
        if stale or remeasure_all:
            floors["corpora"][corpus] = now
            changed.append(f"corpus {corpus}: {now['digest']} ({now['files']} files)")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--remeasure", action="store_true", help="re-measure changed corpora")
    parser.add_argument("--all", action="store_true", help="with --remeasure: every corpus")
    parser.add_argument("--raise", dest="raise_", action="store_true", help="raise floors")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    floors = load_floors()
    if not (args.remeasure or args.raise_):
        print("\n".join(stale_corpora(floors)) or "every corpus is the one its floors name")
        for corpus in sorted(set(MEASURED_ON.values())):
            for section, value in measure(corpus).items():
                print(f"{section}: measured {json.dumps(value)}")
                print(f"{' ' * len(section)}  floors   {json.dumps(_get(floors, section))}")
        return 0
    changes = update(floors, remeasure_all=args.all, raise_only=args.raise_)
    FLOORS_FILE.write_text(json.dumps(floors, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print("\n".join(changes) or "nothing to change")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
