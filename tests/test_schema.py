"""The article record's JSON Schema: real pages validate, broken records do not."""

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
    # What the pipeline adds.
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
    ],
)
def test_broken_record_is_rejected(validator: Draft202012Validator, change: str) -> None:
    record = _full_record(*PAGES[0])
    validator.validate(record)  # the unbroken record is fine
    with pytest.raises(ValidationError):
        validator.validate(_broken(record, change))
