"""Imports run one way: commands → spiders/pipelines → extraction/archive → vnnews.

The graph is read from the source with ``ast`` (every ``import``, including those inside
functions), so a new edge against the intended direction fails here, naming the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: package → the project packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "vnnews": set(),
    "extraction": {"vnnews"},
    "archive": {"vnnews"},
    # spiders.pageanalysis extracts an article page in the same worker call that reads it
    "spiders": {"vnnews", "archive", "extraction"},
    "pipelines": {"vnnews", "extraction", "archive"},
    "monitoring": {"vnnews", "archive"},
    "commands": {
        "vnnews",
        "extraction",
        "archive",
        "spiders",
        "pipelines",
        "monitoring",
    },
    "settings": set(),
}
#: third-party frameworks a package must not import
FORBIDDEN_THIRD_PARTY: dict[str, set[str]] = {
    "extraction": {"scrapy", "twisted"},
    "vnnews": {"twisted"},
}
PROJECT = set(ALLOWED)


def package_of(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".py")


def source_files() -> list[Path]:
    files = [ROOT / "settings.py"]
    for pkg in PROJECT - {"settings"}:
        if (ROOT / pkg).is_dir():
            files.extend(sorted((ROOT / pkg).rglob("*.py")))
    return files


def imported_roots(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def edges() -> list[tuple[str, int, str, str]]:
    out = []
    for path in source_files():
        pkg = package_of(path)
        for line, root in imported_roots(path):
            out.append((str(path.relative_to(ROOT)), line, pkg, root))
    return out


def test_imports_run_one_way() -> None:
    bad = [
        f"{file}:{line}: {pkg} imports {root}"
        for file, line, pkg, root in edges()
        if root in PROJECT and root != pkg and root not in ALLOWED[pkg]
    ]
    assert not bad, "imports against the intended direction:\n" + "\n".join(bad)


@pytest.mark.parametrize("pkg", sorted(FORBIDDEN_THIRD_PARTY))
def test_libraries_stay_free_of_frameworks(pkg: str) -> None:
    bad = [
        f"{file}:{line}: imports {root}"
        for file, line, p, root in edges()
        if p == pkg and root in FORBIDDEN_THIRD_PARTY[pkg]
    ]
    assert not bad, f"{pkg} must not import a crawl framework:\n" + "\n".join(bad)


def test_the_checker_sees_edges() -> None:
    """Guard against a checker that reads nothing and so passes vacuously."""
    seen = {(pkg, root) for _, _, pkg, root in edges()}
    assert ("pipelines", "extraction") in seen
    assert ("extraction", "vnnews") in seen
    assert ("commands", "archive") in seen


def test_no_package_imports_a_layer_above_it(tmp_path: Path) -> None:
    """The rule itself rejects a reversed edge (a synthetic file, parsed the same way)."""
    bad = tmp_path / "x.py"
    bad.write_text("from spiders.news import NewsSpider\n", encoding="utf-8")
    roots = [r for _, r in imported_roots(bad)]
    assert roots == ["spiders"] and "spiders" not in ALLOWED["extraction"]
