"""Code reads only settings that settings.py declares, and never with a fallback literal.

Every default lives in settings.py; a ``settings.get("X", 4)`` or ``settings.get("X") or 4``
in code is a second default that can drift from it, and a read of a name settings.py does
not declare is a setting nobody can find. The scan reads the project's packages with
``ast``: calls ``<...>settings.get*("NAME", ...)`` and subscripts ``<...>settings["NAME"]``.
``vnnews.config.checked(settings, "NAME")`` counts as a read. Scrapy's own settings
(``scrapy.settings.default_settings``) may be read undeclared.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from scrapy.settings import default_settings

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "vnnews",
    "extraction",
    "archive",
    "spiders",
    "pipelines",
    "commands",
    "tools",
    "monitoring",
)
GETTERS = {
    "get",
    "getbool",
    "getint",
    "getfloat",
    "getlist",
    "getdict",
    "getdictorlist",
    "getwithbase",
    "getpriority",
}
SCRAPY = {name for name in dir(default_settings) if name.isupper()}


def declared() -> set[str]:
    tree = ast.parse((ROOT / "settings.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else ([node.target] if isinstance(node, ast.AnnAssign) else [])
        )
        names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
    return names


def _is_settings(node: ast.expr) -> bool:
    """``settings``, ``self.settings``, ``crawler.settings``, ``self.crawler.settings``..."""
    if isinstance(node, ast.Name):
        return node.id == "settings"
    return isinstance(node, ast.Attribute) and node.attr == "settings"


def _literal(node: ast.expr) -> bool:
    """A non-empty literal (``""``/``None``/``[]`` only restate "no value")."""
    if isinstance(node, ast.Constant):
        return node.value not in ("", None)
    if isinstance(node, ast.List | ast.Tuple | ast.Dict | ast.Set):
        return bool(getattr(node, "elts", None) or getattr(node, "keys", None))
    return False


def reads(source: str, filename: str = "<src>") -> list[tuple[int, str, bool]]:
    """(line, setting name, has a fallback literal) for each settings read in ``source``."""
    tree = ast.parse(source, filename=filename)
    found: list[tuple[int, str, bool]] = []
    fallback_calls: set[int] = set()
    for node in ast.walk(tree):  # ``settings.get("X") or <literal>``
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            for left, right in zip(node.values, node.values[1:], strict=False):
                if isinstance(left, ast.Call) and _literal(right):
                    fallback_calls.add(id(left))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in GETTERS
            and _is_settings(node.func.value)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            default = (
                node.args[1]
                if len(node.args) > 1
                else next((k.value for k in node.keywords if k.arg == "default"), None)
            )
            has_fallback = (default is not None and _literal(default)) or id(node) in fallback_calls
            found.append((node.lineno, node.args[0].value, has_fallback))
        elif (  # vnnews.config.checked(settings, "NAME"): parsed and checked against SPEC
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "checked"
            and len(node.args) == 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            found.append((node.lineno, node.args[1].value, False))
        elif (
            isinstance(node, ast.Subscript)
            and _is_settings(node.value)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            found.append((node.lineno, node.slice.value, False))
    return found


def project_reads() -> list[tuple[str, int, str, bool]]:
    out = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
            rel = str(path.relative_to(ROOT))
            out += [(rel, *r) for r in reads(path.read_text(encoding="utf-8"), rel)]
    return out


def test_every_setting_read_is_declared() -> None:
    names = declared()
    bad = [
        f"{file}:{line}: reads {name}, which settings.py does not declare"
        for file, line, name, _ in project_reads()
        if name not in names and name not in SCRAPY
    ]
    assert not bad, "\n".join(bad)


def test_no_fallback_literal_for_a_project_setting() -> None:
    names = declared()
    bad = [
        f"{file}:{line}: {name} read with a fallback literal; the default lives in settings.py"
        for file, line, name, fallback in project_reads()
        if fallback and (name in names or name not in SCRAPY)
    ]
    assert not bad, "\n".join(bad)


def test_the_scan_sees_the_project() -> None:
    """Guard against a scan that reads nothing and so passes vacuously."""
    seen = {name for _, _, name, _ in project_reads()}
    assert {"ARCHIVE_DIR", "NEWS_MAX_HOPS", "EXTRACT_POOL", "NEWS_PROFILE_DIRS"} <= seen


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('x = crawler.settings.getint("NEWS_MAX_HOPS", 4)', [(1, "NEWS_MAX_HOPS", True)]),
        ('x = self.settings.get("ARCHIVE_DIR") or "data"', [(1, "ARCHIVE_DIR", True)]),
        ('x = settings["NOT_DECLARED_ANYWHERE"]', [(1, "NOT_DECLARED_ANYWHERE", False)]),
        ('x = settings.get("WARC_OPERATOR") or ""', [(1, "WARC_OPERATOR", False)]),
        ('x = settings.getlist("NEWS_PROFILE_DIRS")', [(1, "NEWS_PROFILE_DIRS", False)]),
        ('x = options.get("ARCHIVE_DIR", 1)', []),
        ('x = checked(settings, "NEWS_MAX_HOPS")', [(1, "NEWS_MAX_HOPS", False)]),
    ],
)
def test_the_scan_flags_what_it_should(source: str, expected: list[tuple[int, str, bool]]) -> None:
    assert reads(source) == expected


def test_settings_py_declares_the_settings_code_used_to_leave_undeclared() -> None:
    assert {"JSONL_PREFIX", "JSONL_FSYNC", "NEWS_SITE", "NEWS_PROFILE"} <= declared()
