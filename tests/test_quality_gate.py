"""Quality gate: our figures never drop below bench/floors.json, nor below bare trafilatura.

Runs the Zyte benchmark subset copied into tests/data/zyte (60 pages) and the golden
Vietnamese pages, scored exactly like ``make eval`` (bench/eval.py).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bench.eval import ZYTE_SUBSET, run_vi, run_zyte

FLOORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent.parent / "bench" / "floors.json").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def zyte() -> dict[str, Any]:
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    return run_zyte(ZYTE_SUBSET, ["ours", "trafilatura (bare)"])


@pytest.fixture(scope="module")
def vi() -> dict[str, Any]:
    return run_vi()


@pytest.mark.parametrize("metric", ["precision", "recall", "f1"])
def test_zyte_subset_floor(zyte: dict[str, Any], metric: str) -> None:
    got, floor = zyte["ours"][metric], FLOORS["zyte_subset"][metric]
    assert got >= floor, f"Zyte subset {metric} {got:.4f} fell below its floor {floor}"


def test_zyte_never_below_bare_trafilatura(zyte: dict[str, Any]) -> None:
    ours, bare = zyte["ours"]["f1"], zyte["trafilatura (bare)"]["f1"]
    margin = FLOORS["zyte_margin_over_bare_f1"]
    assert ours >= bare + margin, f"our F1 {ours:.4f} vs bare trafilatura {bare:.4f}"


@pytest.mark.parametrize(
    ("corpus", "check"),
    [(corpus, check) for corpus, checks in FLOORS["vi"].items() for check in checks],
)
def test_vietnamese_pages_floor(vi: dict[str, Any], corpus: str, check: str) -> None:
    row = vi["summary"][f"{corpus}|ours"]
    share = row[check] / row["pages"]
    misses = [m for m in vi["misses"] if m.endswith(f": {check}")]
    assert share >= FLOORS["vi"][corpus][check], f"{corpus} {check}: {share:.3f}; misses: {misses}"


@pytest.mark.parametrize(
    ("corpus", "check"),
    [(corpus, check) for corpus, checks in FLOORS["vi_no_profile"].items() for check in checks],
)
def test_vietnamese_pages_without_profile_floor(
    vi: dict[str, Any], corpus: str, check: str
) -> None:
    """Pages of sites with no profile: the layout guess (extraction/layouts.py) or trafilatura."""
    row = vi["summary"][f"{corpus}|ours (no profile)"]
    share = row[check] / row["pages"]
    floor = FLOORS["vi_no_profile"][corpus][check]
    assert share >= floor, f"{corpus} (no profile) {check}: {share:.3f} < {floor}"


def test_ours_beats_bare_trafilatura_on_vietnamese_pages(vi: dict[str, Any]) -> None:
    for corpus in FLOORS["vi"]:
        ours, bare = vi["summary"][f"{corpus}|ours"], vi["summary"][f"{corpus}|trafilatura (bare)"]
        for check in ("title", "authors", "start", "end", "clean"):
            assert ours[check] >= bare[check], f"{corpus} {check}: ours {ours[check]} < bare"
