"""Golden coverage: every site profile, and every layout of a profile's ``selector_history``, has
at least one golden page (tests/golden, tools/regen_golden.py).

A golden page belongs to the profile its URL maps to (``ProfileRegistry.for_url``, the profile
tools/regen_golden.py extracts it with); a record golden covers the layout that
``SiteProfile.selectors_for`` picks for its hand-checked publication date. To fill a gap, save a
real page of that site/layout into tests/data/html/<site>/ (licence in tests/data/SOURCES.md),
``tools/regen_golden.py --init PAGE URL FETCHED_AT``, fill ``checked`` by reading the page, run
``tools/regen_golden.py <site>`` and review the output by hand.
"""

from __future__ import annotations

from dataclasses import replace

from tools.regen_golden import all_golden_files, coverage_gaps, golden_profile_name, load_golden
from vnnews.profiles import PROFILE_DIR, ProfileRegistry, Selectors, SiteProfile, load_profile

PROFILES = [load_profile(path) for path in sorted(PROFILE_DIR.glob("*.toml"))]
GOLDENS = [load_golden(path) for path in all_golden_files()]


def test_every_profile_and_dated_layout_has_a_golden_page() -> None:
    gaps = coverage_gaps(PROFILES, GOLDENS)
    assert not gaps, "golden coverage gaps:\n" + "\n".join(gaps)


def test_profiles_are_all_read() -> None:
    """The profile files are the registry's (nothing is skipped by the glob above)."""
    assert PROFILES, "no profiles found"
    assert sorted(p.name for p in PROFILES) == sorted(ProfileRegistry.load().names())


def test_golden_pages_map_like_the_registry() -> None:
    registry = ProfileRegistry.load()
    for golden in GOLDENS:
        profile = registry.for_url(golden["url"])
        assert golden_profile_name(golden, PROFILES) == (profile.name if profile else None)


def _record_golden(url: str, published: str) -> dict[str, object]:
    return {"url": url, "checked": {"published": published}}


def test_gaps_are_found() -> None:
    """The check fails for a profile without pages and for an uncovered dated layout."""
    old = Selectors(title="h1.old", valid_until="2024-01-01")
    site = SiteProfile(name="x", publisher="X", domains=("x.vn",), selectors=Selectors(title="h1"),
                       selector_history=(old,), path="x.toml")  # fmt: skip
    lonely = SiteProfile(name="y", publisher="Y", domains=("y.vn",), path="y.toml")
    current = _record_golden("https://www.x.vn/a.html", "2025-05-01T10:00+07:00")
    gaps = coverage_gaps([site, lonely], [current])
    assert gaps == [
        "profile 'x': [[selector_history]] valid_until 2024-01-01 has no golden page",
        "profile 'y' (y.toml) has no golden page",
    ]
    covered = [current, _record_golden("https://x.vn/b.html", "2023-12-31T23:00+07:00")]
    assert coverage_gaps([site], covered) == []
    # a refusal golden covers its profile, not a dated layout
    refusal = {"url": "https://x.vn/c.html", "refused": "a PDF"}
    assert coverage_gaps([replace(site, selector_history=())], [refusal]) == []
    assert coverage_gaps([site], [refusal]) == [
        "profile 'x': [selectors] (current) has no golden page",
        "profile 'x': [[selector_history]] valid_until 2024-01-01 has no golden page",
    ]
