"""The ``vnnews`` console script: puts the project's own modules on this process's path.

Installed from a wheel, only ``vnnews`` sits at the top of site-packages. The project's other
packages (``spiders``, ``pipelines``, ``archive``, ``extraction``, ``commands``, ``monitoring``)
and its ``settings`` module are in ``vnnews/_app/`` (see setup.py), which is not on
``sys.path``: another program in the same environment cannot import them, and its own
``settings`` or ``commands`` are not shadowed by them. :func:`main` puts that directory first
on the path of its own process, and in ``PYTHONPATH`` for the processes it starts (the crawls
``vnnews schedule`` runs, the extraction pool's workers), then runs ``commands.cli``. The
project's code keeps importing itself by its top-level names, one copy of each module.

In a checkout (an editable install, or ``python -m vnnews.console`` in the repository) there
is no ``_app`` directory: the repository root holds those modules, and goes first on the path.

This module is the entry point, above every layer: it loads ``commands.cli`` by name
(:func:`importlib.import_module`) once the path is set, and imports nothing of the project at
import time (tests/test_layering.py: ``vnnews`` imports no other package).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

#: where a wheel installs the project's own modules (setup.py: ``vnnews._app``)
APP_DIR = Path(__file__).resolve().parent / "_app"
#: the checkout (or the flat egg Scrapyd runs) holding ``vnnews/`` beside the other packages
CHECKOUT = Path(__file__).resolve().parent.parent


def app_root() -> Path | None:
    """The directory holding ``settings.py``, ``spiders/``, …: ``vnnews/_app`` when installed
    from a wheel, the checkout in a development install, else None (a flat egg on the path)."""
    for root in (APP_DIR, CHECKOUT):
        if (root / "settings.py").is_file() and (root / "commands" / "cli.py").is_file():
            return root
    return None


def activate() -> Path | None:
    """Put :func:`app_root` first on ``sys.path`` (this process only) and, for the installed
    layout, in ``PYTHONPATH`` for the processes this one starts. Returns the root."""
    root = app_root()
    if root is None:
        return None
    entry = str(root)
    if entry not in sys.path:
        sys.path.insert(0, entry)
    if root == APP_DIR:
        inherited = os.environ.get("PYTHONPATH", "").split(os.pathsep)
        if entry not in inherited:
            os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [entry, *inherited]))
    return root


def own_module(name: str) -> bool:
    """Whether the top-level module ``name`` importable here is this project's (under
    ``vnnews/_app`` or beside ``vnnews/``), not another project's or missing. Imports nothing."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return False
    root = APP_DIR if APP_DIR.is_dir() else CHECKOUT
    origin = Path(spec.origin).resolve()
    return origin.is_relative_to(root) and origin.relative_to(root).parts[0] in (name, name + ".py")


class ExportWaczCommand:
    """``scrapy export-wacz`` (the ``scrapy.commands`` entry point; a module name cannot hold
    the hyphen). Scrapy loads every such entry point in every ``scrapy`` run of the
    environment, so this does not add ``vnnews/_app`` to the path: where the project's
    ``commands`` package is importable (``vnnews``, a checkout, Scrapyd's egg) it is the real
    command; elsewhere a stand-in that says to run it as ``vnnews export-wacz``."""

    def __new__(cls) -> Any:
        if own_module("commands"):
            return importlib.import_module("commands.export_wacz").Command()
        from scrapy.commands import ScrapyCommand

        class Elsewhere(ScrapyCommand):
            requires_project = False

            def short_desc(self) -> str:
                return "Write an archive as a WACZ file (run it as `vnnews export-wacz`)"

            def run(self, args: list[str], opts: Any) -> None:
                print("error: run it as `vnnews export-wacz ...`", file=sys.stderr)
                self.exitcode = 2

        return Elsewhere()


def main(argv: list[str] | None = None) -> None:
    """``vnnews ARGS``: Scrapy's command line with the project's settings, from any directory."""
    activate()
    importlib.import_module("commands.cli").main(argv)


if __name__ == "__main__":
    main()
