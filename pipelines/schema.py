"""The article record's JSON Schema (``pipelines/article.schema.json``) and its version.

``SCHEMA_VERSION`` is read from the schema itself (``properties.schema_version.const``), so the
file is the one place a version is changed; docs/records.md keeps the changelog. Records
written before versioning carry no ``schema_version``: they are version ``LEGACY_VERSION``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

# package data, so it is read from a wheel, an egg (Scrapyd) or a zip as well
SCHEMA_PATH: Traversable = files(__package__ or "pipelines").joinpath("article.schema.json")
#: the version of records that carry no ``schema_version`` (written before it existed)
LEGACY_VERSION = "1.0"


@cache
def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _current_version() -> str:
    return str(load_schema()["properties"]["schema_version"]["const"])


#: the version this code writes, e.g. "1.1" (MAJOR.MINOR: MINOR adds fields, MAJOR changes them)
SCHEMA_VERSION = _current_version()


def version_of(record: dict[str, Any]) -> str:
    """The schema version a record was written with."""
    return str(record.get("schema_version") or LEGACY_VERSION)
