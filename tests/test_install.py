"""A wheel of the project installs one top-level name, ``vnnews``, and still runs from anywhere.

The wheel is built from a copy of the project's sources (no network, no build isolation) and
installed into a fresh virtual environment in tmp_path. That environment gets its
dependencies from the repository's ``.venv`` through a ``.pth`` line naming its site-packages,
written after the install: a directory a ``.pth`` adds is not itself scanned for ``.pth``
files, so the editable install's finder there (which maps the checkout's top-level names) is
never run, and pip never sees that install.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, RunningSite
from vnnews.paths import ArchivePaths

#: what the wheel is built from (what setup.py and pyproject.toml read)
SOURCES = (
    "pyproject.toml",
    "setup.py",
    "README.md",
    "settings.py",
    "vnnews",
    "extraction",
    "spiders",
    "pipelines",
    "archive",
    "commands",
    "monitoring",
)
#: the project's names that must not be importable from site-packages
PRIVATE = ("settings", "spiders", "pipelines", "archive", "extraction", "commands", "monitoring")
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO"]
TIMEOUT = 180.0


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"


def _run(cmd: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE")}
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, (done.args, done.stdout[-2000:], done.stderr[-3000:])
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("install")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:
        if (REPO_ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(REPO_ROOT / name, src / name, ignore=ignore)
        else:
            shutil.copy2(REPO_ROOT / name, src / name)
    dist = base / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    offline = ["-q", "--no-deps", "--no-index"]
    _ok(_run([*pip, "wheel", *offline, "--no-build-isolation", "-w", dist, src], cwd=base))
    (wheel,) = dist.glob("*.whl")
    venv = base / "venv"
    _ok(_run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base))
    python = venv / "bin" / "python"
    _ok(_run([*pip, "--python", python, "install", *offline, wheel], cwd=base))
    where = "import sysconfig; print(sysconfig.get_path('purelib'))"
    purelib = _ok(_run([python, "-c", where], cwd=base)).stdout.strip()
    deps = sysconfig.get_path("purelib")  # the repository's .venv
    (Path(purelib) / "_vnnews_test_deps.pth").write_text(deps + "\n", encoding="utf-8")
    return Installed(wheel, venv)


def test_the_wheel_puts_only_vnnews_at_the_top(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as whl:
        names = set(whl.namelist())
        (info,) = {n.split("/")[0] for n in names if ".dist-info/" in n}
        entry_points = whl.read(f"{info}/entry_points.txt").decode()
        top_level = whl.read(f"{info}/top_level.txt").decode().split()
    assert {n.split("/")[0] for n in names} == {"vnnews", info}
    assert top_level == ["vnnews"]
    for needed in (
        "vnnews/console.py",
        "vnnews/profiles/nhandan.toml",
        "vnnews/_app/settings.py",
        "vnnews/_app/spiders/news.py",
        "vnnews/_app/spiders/distributed/__init__.py",
        "vnnews/_app/commands/cli.py",
        "vnnews/_app/extraction/layouts.toml",
        "vnnews/_app/pipelines/article.schema.json",
    ):
        assert needed in names, needed
    assert "vnnews = vnnews.console:main" in entry_points
    assert "export-wacz = vnnews.console:ExportWaczCommand" in entry_points


def test_project_modules_are_not_importable_from_site_packages(
    installed: Installed, tmp_path: Path
) -> None:
    python = installed.bin / "python"
    for name in PRIVATE:
        done = _run([python, "-c", f"import {name}"], cwd=tmp_path)
        assert done.returncode != 0, name
        assert f"ModuleNotFoundError: No module named '{name}'" in done.stderr, done.stderr
    probe = "import vnnews, vnnews.profiles as p; print(vnnews.__file__, len(p.ProfileRegistry.load().names()))"
    where, profiles = _ok(_run([python, "-c", probe], cwd=tmp_path)).stdout.split()
    assert Path(where).is_relative_to(installed.venv) and int(profiles) >= 10
    # plain `scrapy` in the environment loads the project's `scrapy.commands` entry point:
    # it must not fail (nor put vnnews/_app on that process's path)
    helped = _ok(_run([python, "-m", "scrapy", "-h"], cwd=tmp_path)).stdout
    assert "no active project" in helped and "vnnews export-wacz" in helped


def test_vnnews_crawls_from_any_directory(
    installed: Installed, sample_site: RunningSite, tmp_path: Path
) -> None:
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    vnnews = installed.bin / "vnnews"
    helped = _ok(_run([vnnews, "-h"], cwd=cwd)).stdout
    assert "active project: vnnews" in helped and "export-wacz" in helped
    archive = tmp_path / "archive"
    crawl = ["crawl", "news", "-a", f"start_urls={sample_site.url}", "-s", f"ARCHIVE_DIR={archive}"]
    done = _ok(_run([vnnews, *crawl, *FAST], cwd=cwd))
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "'finish_reason': 'finished'" in done.stderr
    _assert_archived(archive, sample_site)


def test_vnnews_schedule_runs_its_crawls_as_child_processes(
    installed: Installed, sample_site: RunningSite, tmp_path: Path
) -> None:
    """Each scheduled run is ``python -m commands.cli`` in a new process: it finds the
    project's modules through the ``PYTHONPATH`` ``vnnews`` hands down."""
    (tmp_path / "schedule.toml").write_text(
        f'[sites.sample]\nevery = "1h"\nstart_urls = ["{sample_site.url}"]\n', encoding="utf-8"
    )
    archive = tmp_path / "archive"
    log = tmp_path / "schedule.log"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE")}
    schedule = ["schedule", "--file", "schedule.toml", "-s", f"ARCHIVE_DIR={archive}", *FAST]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(installed.bin / "vnnews"), *schedule],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + TIMEOUT
        while "run ended" not in log.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    text = log.read_text(errors="replace")
    assert proc.returncode == 0 and "exit code 0" in text, text[-3000:]
    _assert_archived(archive, sample_site)


def _assert_archived(archive: Path, site: RunningSite) -> None:
    paths = ArchivePaths.of(archive)
    assert paths.warc_files(), "no closed WARC file"
    urls = {
        json.loads(line)["url"]
        for f in sorted(paths.json_dir.glob("*.jsonl"))
        for line in f.read_text(encoding="utf-8").splitlines()
    }
    assert {site.url + a["path"] for a in site.expected["articles"]} <= urls
