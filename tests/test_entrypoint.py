"""The ``vnnews`` console script finds the project's settings from any directory.

Here in the repository's ``.venv`` (an editable install, flat layout); tests/test_install.py
installs a wheel, whose modules other than ``vnnews`` sit off ``sys.path`` in ``vnnews/_app``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT
from vnnews import console

BIN = Path(sys.executable).parent


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SCRAPY_SETTINGS_MODULE", "PYTHONPATH")}
    return subprocess.run(
        [str(BIN / "vnnews"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_vnnews_outside_the_repository_uses_the_project_settings(tmp_path: Path) -> None:
    assert not (tmp_path / "scrapy.cfg").exists()
    listed = _run("list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert listed.stdout.split() == ["news"]
    setting = _run("settings", "--get", "NEWS_RECHECK", cwd=tmp_path)
    assert setting.stdout.strip() == "policy"
    commands = _run("-h", cwd=tmp_path)
    assert "schedule" in commands.stdout and "active project: vnnews" in commands.stdout


def test_plain_scrapy_outside_the_repository_finds_no_project(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SCRAPY_SETTINGS_MODULE", "PYTHONPATH")}
    done = subprocess.run(
        [str(BIN / "scrapy"), "list"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0  # which is why scheduled jobs should use `vnnews`


def test_in_a_checkout_the_project_root_is_the_app_root() -> None:
    assert not console.APP_DIR.exists()  # only a wheel has vnnews/_app
    assert console.app_root() == REPO_ROOT
    assert console.own_module("commands") and console.own_module("settings")
    assert not console.own_module("json") and not console.own_module("no_such_module_here")


def test_the_export_wacz_entry_point_is_the_real_command_here() -> None:
    from commands.export_wacz import Command

    assert isinstance(console.ExportWaczCommand(), Command)
