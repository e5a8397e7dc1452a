"""The article record's JSON Schema: real pages validate, broken records do not, and every
record (and late link) a real crawl writes validates and carries the current schema version."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from extraction.article import extract_article
from pipelines.schema import SCHEMA_VERSION, load_schema
from tests.conftest import RunningSite, run_crawl
from vnnews.profiles import ProfileRegistry

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "pipelines" / "article.schema.json"
HTML = Path(__file__).resolve().parent / "data" / "html"
FETCHED_AT = datetime(2026, 3, 8, 1, 2, 3, tzinfo=UTC)

PAGES = [
    (
        "nhandan/article-post976641-world-cup-2026-final.html",
        "https://nhandan.vn/danh-bai-argentina-tay-ban-nha-vo-dich-world-cup-lan-thu-hai-post976641.html",
    ),
    ("nhandan/seed-post231845.html", "https://nhandan.vn/van-phong-chinh-phu-post231845.html"),
    (
        "tuoitre/article-meth04.html",
        "https://tuoitre.vn/chien-su-day-gia-hoa-nhap-khau-dip-8-3-tang-manh-20260307075519174.htm",
    ),
    (
        "vnexpress/article-meth04.html",
        "https://vnexpress.net/cach-cac-nuoc-doi-pho-cu-soc-nang-luong-tu-trung-dong-5047363.html",
    ),
    (
        "baodautu/article-meth04.html",
        "https://baodautu.vn/xu-phat-giam-doc-tai-chinh-tap-doan-tien-son-thanh-hoa-vi-thao-tung-co-phieu-d538952.html",
    ),
]

checker = FormatChecker()


@checker.checks("date-time", raises=ValueError)
def _date_time_with_offset(value: object) -> bool:
    """ISO 8601 date-time with an explicit offset (jsonschema needs an extra package for this)."""
    if not isinstance(value, str):
        return True  # formats constrain strings only; the type keyword handles the rest
    if "T" not in value:
        return False
    return datetime.fromisoformat(value).tzinfo is not None


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=checker)


def _full_record(relpath: str, url: str, *, profile: bool = True) -> dict[str, Any]:
    registry = ProfileRegistry.load()
    record = extract_article(
        (HTML / relpath).read_bytes(),
        url,
        fetched_at=FETCHED_AT,
        profile=registry.for_url(url) if profile else None,
    )
    # What the pipelines add.
    record["schema_version"] = SCHEMA_VERSION
    record["version"] = 1
    record["previous"] = None
    record["warc"] = {
        "filename": "vnnews-20260308010203-00000.warc.gz",
        "offset": 1234,
        "length": 5678,
        "record_id": "<urn:uuid:12345678-1234-5678-1234-567812345678>",
        "payload_digest": "sha1:ERRWFUOUWW2WRCJJ2HNGOKZCRMJW75ID",
    }
    return record


@pytest.mark.parametrize(("relpath", "url"), PAGES)
@pytest.mark.parametrize("profile", [True, False], ids=["profile", "generic"])
def test_real_records_validate(
    validator: Draft202012Validator, relpath: str, url: str, profile: bool
) -> None:
    record = _full_record(relpath, url, profile=profile)
    errors = sorted(validator.iter_errors(record), key=str)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def _broken(record: dict[str, Any], change: str) -> dict[str, Any]:
    bad = copy.deepcopy(record)
    if change == "extra field":
        bad["body_html"] = "<p>x</p>"
    elif change == "missing text":
        del bad["text"]
    elif change == "naive date":
        bad["published"] = "2026-07-20T06:31:56"
    elif change == "not a date":
        bad["published"] = "Thứ Hai, ngày 20/07/2026"
    elif change == "bad precision":
        bad["published_precision"] = "hour"
    elif change == "authors not a list":
        bad["authors"] = "TP"
    elif change == "image without url":
        bad["images"] = [{"caption": "x", "credit": None}]
    elif change == "bad digest":
        bad["text_digest"] = "md5:abc"
    elif change == "version zero":
        bad["version"] = 0
    elif change == "warc without offset":
        del bad["warc"]["offset"]
    elif change == "no schema version":
        del bad["schema_version"]
    elif change == "old schema version":
        bad["schema_version"] = "1.0"
    elif change == "near-duplicate without similarity":
        bad["near_duplicates"] = [{"id": record["id"], "url": record["url"]}]
    elif change == "unknown syndication rule":
        link = {"id": record["id"], "url": record["url"], "decided_by": "guess"}
        bad["syndicated_from"] = link
    return bad


@pytest.mark.parametrize(
    "change",
    [
        "extra field",
        "missing text",
        "naive date",
        "not a date",
        "bad precision",
        "authors not a list",
        "image without url",
        "bad digest",
        "version zero",
        "warc without offset",
        "no schema version",
        "old schema version",
        "near-duplicate without similarity",
        "unknown syndication rule",
    ],
)
def test_broken_record_is_rejected(validator: Draft202012Validator, change: str) -> None:
    record = _full_record(*PAGES[0])
    validator.validate(record)  # the unbroken record is fine
    with pytest.raises(ValidationError):
        validator.validate(_broken(record, change))


def test_schema_version_is_the_schema_files() -> None:
    schema = load_schema()
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert "schema_version" in schema["required"]
    changelog = (SCHEMA_PATH.parent.parent / "docs" / "records.md").read_text(encoding="utf-8")
    assert f"### {SCHEMA_VERSION}" in changelog  # every version has its changelog entry


def test_every_record_a_crawl_writes_validates(
    sample_site: RunningSite, tmp_path: Path, validator: Draft202012Validator
) -> None:
    archive = tmp_path / "archive"
    done = run_crawl(
        ["-a", "site=nhandan", "-a", f"start_urls={sample_site.url}/"],
        archive,
        {"EXTRACT_POOL": "inline"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    records = [
        json.loads(line)
        for path in sorted((archive / "json").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(records) >= 20
    for record in records:
        errors = sorted(validator.iter_errors(record), key=str)
        assert not errors, (record["url"], [f"{list(e.path)}: {e.message}" for e in errors])
        assert record["schema_version"] == SCHEMA_VERSION
        assert {"near_duplicates", "syndicated_from", "syndicated_to"} <= set(record)
