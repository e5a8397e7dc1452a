"""Golden records for real Vietnamese pages (tests/golden/<site>/<page>.json).

``checked`` values were read by a person from each saved page and are asserted exactly;
``extracted`` is the last reviewed extractor output (tools/regen_golden.py) and is compared
for drift. One test per page and field, so a failure names the page and the field.
Refusal goldens (``"refused"``: pages of a profiled site that hold no article, read by a person)
assert that extraction gives no record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools.regen_golden import (
    ROOT,
    extract,
    golden_files,
    load_golden,
    minute,
    norm,
    refusal_files,
    refusal_problem,
    text_problems,
)

FILES = golden_files()
EXACT = ("site", "publisher", "url", "canonical_url", "title", "lead", "language", "source")
LISTS = ("authors", "tags")
CASES = [
    (path, field) for path in FILES for field in (*EXACT, *LISTS, "published", "text", "drift")
]


def _id(case: tuple[Any, str]) -> str:
    path, field = case
    return f"{path.parent.name}/{path.stem}::{field}"


@pytest.fixture(scope="session")
def records() -> dict[str, dict[str, Any]]:
    return {}


def _record(records: dict[str, dict[str, Any]], golden: dict[str, Any]) -> dict[str, Any]:
    if golden["page"] not in records:
        records[golden["page"]] = extract(golden)
    return records[golden["page"]]


def test_golden_files_exist() -> None:
    real = [f for f in FILES if load_golden(f)["page"].startswith("tests/data/html/")]
    assert len(real) >= 12, "expected a golden file per real article page of the corpus"


SAMPLE = [f for f in FILES if f.parent.name == "sample-nhandan"]
REFUSALS = refusal_files()


@pytest.mark.parametrize("path", REFUSALS, ids=[f"{f.parent.name}/{f.stem}" for f in REFUSALS])
def test_refusal_golden(path: Path) -> None:
    """A page that holds no article (e.g. its text is a PDF) gives no record."""
    golden = load_golden(path)
    assert golden["refused"].strip(), f"{path.name}: say why the page holds no article"
    problem = refusal_problem(golden)
    assert problem is None, f"{golden['page']}: {problem}"


@pytest.mark.parametrize("path", SAMPLE, ids=[f.stem for f in SAMPLE])
def test_sample_golden_matches_site_spec(path: Path) -> None:
    """Sample-site goldens were written from the site's spec; a rebuilt site must not drift."""
    golden = load_golden(path)
    spec = json.loads((ROOT / "tests/sites/nhandan/expected.json").read_text(encoding="utf-8"))
    by_path = {a["path"]: a for a in spec["articles"]}
    article = by_path.get(golden["url"].removeprefix(golden["base"]))
    assert article is not None, f"{path.name}: page no longer in tests/sites/nhandan/expected.json"
    checked = golden["checked"]
    for key in ("title", "lead", "first_sentence", "last_sentence"):
        source_key = {"first_sentence": "text_first", "last_sentence": "text_last"}.get(key, key)
        assert checked[key] == norm(article[source_key].replace("Ð", "Đ")), f"{path.name}: {key}"
    assert checked["published"] == minute(article["published"]), f"{path.name}: published"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_golden_field(case: tuple[Any, str], records: dict[str, dict[str, Any]]) -> None:
    path, field = case
    golden = load_golden(path)
    checked = golden["checked"]
    record = _record(records, golden)
    page = golden["page"]
    if field in EXACT or field in LISTS:
        assert record.get(field) == checked[field], (
            f"{page}: field {field!r}: got {record.get(field)!r}, expected {checked[field]!r}"
        )
    elif field == "published":
        got = minute(record.get("published"))
        assert got == checked["published"], (
            f"{page}: field 'published' (to the minute, with offset): got "
            f"{record.get('published')!r}, expected {checked['published']!r}"
        )
    elif field == "text":
        problems = text_problems(checked, norm(record.get("text") or ""))
        assert not problems, f"{page}: field 'text': " + "; ".join(problems)
    else:
        _assert_no_drift(golden, record)


def _assert_no_drift(golden: dict[str, Any], record: dict[str, Any]) -> None:
    page, extracted = golden["page"], golden.get("extracted")
    assert extracted is not None, f"{page}: no reviewed output yet; run tools/regen_golden.py"
    changed = sorted(k for k in set(extracted) | set(record) if extracted.get(k) != record.get(k))
    assert not changed, (
        f"{page}: extractor output drifted in field(s) {', '.join(changed)}; "
        "run tools/regen_golden.py and review the diff"
    )
