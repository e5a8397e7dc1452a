"""Quality gate: our figures never drop below bench/floors.json, nor below bare trafilatura,
and the floors are those of the corpus they are checked on.

Runs the Zyte benchmark subset copied into tests/data/zyte (60 pages), the golden Vietnamese
pages and both groups of ../shared/corpus/vn-dev (development and held-out, bench/heldout.toml),
scored exactly like ``make eval`` (bench/eval.py, bench/eval_vndev.py). Each floor section names
the corpus it was measured on, with a digest (bench/floors.py): a changed corpus fails here until
the floors are re-measured on it.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bench.eval import ZYTE_SUBSET, run_vi, run_zyte
from bench.floors import MEASURED_ON, REMEASURE_HINT, load_floors, stale_corpora, vndev_figures

FLOORS: dict[str, Any] = load_floors()
NOT_FLOORS = {"_about", "corpora", "measured_on"}


def _sections(floors: dict[str, Any]) -> list[str]:
    out = []
    for key in floors:
        if key == "vndev":
            out += [f"vndev.{group}" for group in floors[key]]
        elif key not in NOT_FLOORS:
            out.append(key)
    return out


def test_every_floor_names_its_corpus() -> None:
    named = FLOORS.get("measured_on", {})
    unnamed = [s for s in _sections(FLOORS) if s not in named]
    assert not unnamed, f"floor sections with no corpus in measured_on: {unnamed}; {REMEASURE_HINT}"
    assert named == MEASURED_ON, f"measured_on differs from bench/floors.py; {REMEASURE_HINT}"
    missing = [c for c in set(named.values()) if c not in FLOORS.get("corpora", {})]
    assert not missing, f"corpora without a digest: {missing}; {REMEASURE_HINT}"


def test_floors_were_measured_on_this_corpus() -> None:
    stale = stale_corpora(FLOORS)
    assert not stale, "; ".join(stale) + f". The floors are for the old corpus; {REMEASURE_HINT}"


def test_a_changed_corpus_is_noticed() -> None:
    """The digest check fails when a corpus differs from the one recorded (here: a fake digest)."""
    fake = {
        **FLOORS,
        "corpora": {**FLOORS["corpora"], "golden": {"digest": "sha256:0", "files": 1}},
    }
    stale = stale_corpora(fake)
    assert len(stale) == 1 and "'golden' changed" in stale[0]


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


@pytest.fixture(scope="module")
def vndev() -> dict[str, dict[str, dict[str, float]]]:
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    return vndev_figures()


VNDEV_CASES = [
    (group, kind, key)
    for group, limits in FLOORS.get("vndev", {}).items()
    for kind in ("floors", "ceilings")
    for key in limits[kind]
]


@pytest.mark.parametrize(("group", "kind", "key"), VNDEV_CASES)
def test_vndev_floor(vndev: dict[str, Any], group: str, kind: str, key: str) -> None:
    """vn-dev development and held-out groups: each field at or above its floor (leaks and
    missing records per article page at or below their ceiling)."""
    assert group in vndev, f"vn-dev has no {group!r} pages any more; {REMEASURE_HINT}"
    got, limit = vndev[group][kind][key], FLOORS["vndev"][group][kind][key]
    if kind == "floors":
        assert got >= limit, f"vn-dev {group} {key}: {got:.3f} fell below its floor {limit}"
    else:
        assert got <= limit, f"vn-dev {group} {key}: {got:.3f} rose above its ceiling {limit}"
