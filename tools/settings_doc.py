"""Regenerate the tables of docs/settings.md from vnnews.config.SPEC, settings.py and
vnnews.outcome.EXIT_CODES (``python tools/settings_doc.py``; ``--check`` exits 1 if stale).

Only the text between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` markers is
replaced; the prose around the tables is written by hand.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vnnews.config import SPEC  # noqa: E402
from vnnews.outcome import EXIT_CODES  # noqa: E402

DOC = ROOT / "docs" / "settings.md"


def _default(value: Any) -> str:
    if isinstance(value, dict):
        return "(see settings.py)" if value else "`{}`"
    text = repr(value)
    if len(text) > 40:
        return "(see settings.py)"
    return f"`{text}`".replace("|", "\\|")


def settings_table() -> str:
    module = importlib.import_module("settings")
    rows = ["| setting | default | allowed | meaning |", "| --- | --- | --- | --- |"]
    for spec in SPEC:
        default = _default(getattr(module, spec.name, None))
        allowed = spec.allowed().replace("|", "\\|")
        rows.append(f"| `{spec.name}` | {default} | {allowed} | {spec.meaning} |")
    return "\n".join(rows)


def exit_code_table() -> str:
    rows = ["| code | name | when |", "| --- | --- | --- |"]
    rows += [f"| {code} | {name} | {when} |" for code, (name, when) in sorted(EXIT_CODES.items())]
    return "\n".join(rows)


TABLES = {"settings": settings_table, "exitcodes": exit_code_table}


def render(text: str) -> str:
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"docs/settings.md has no <!-- {name}:begin/end --> markers")
        table = make()

        def fill(match: re.Match[str], table: str = table) -> str:
            return match.group(1) + table + "\n" + match.group(2)

        text = pattern.sub(fill, text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc is stale")
    args = parser.parse_args()
    text = DOC.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        return int(new != text)
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
