"""Deploy to a real Scrapyd with scrapyd-client and crawl the sample site through its HTTP API.

Scrapyd runs on 127.0.0.1 (a free port) with its own config and directories in tmp_path.
``scrapyd-deploy`` runs in the repository root with the project's own ``scrapy.cfg``; the
only addition is a user-level ``scrapy.cfg`` (``XDG_CONFIG_HOME``) naming a target with this
Scrapyd's port, the documented way to add deploy targets. The job is scheduled through
``schedule.json`` with ``spider=news``, ``start_urls=URL`` and ``setting=ARCHIVE_DIR=DIR``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT, RunningSite, stop_process
from vnnews.paths import ArchivePaths

BIN = Path(sys.executable).parent
WAIT = 180.0  # generous bound for a deploy or a crawl on a loaded machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        data: dict[str, Any] = json.loads(response.read())
        return data


def _post(url: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
    body = urllib.parse.urlencode(fields).encode("ascii")
    with urllib.request.urlopen(url, data=body, timeout=30) as response:
        data: dict[str, Any] = json.loads(response.read())
        return data


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    """A Scrapyd on 127.0.0.1 with its own config and directories; stopped by PID."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = _free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        "items_dir =\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "max_proc = 1\n"
        "poll_interval = 0.5\n",
        encoding="utf-8",
    )
    out = (home / "scrapyd.out").open("wb")
    proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=out, stderr=subprocess.STDOUT)
    out.close()
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                if _get(url + "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (home / "scrapyd.out").read_text(errors="replace")
                pytest.fail(f"scrapyd did not start: {log[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        stop_process(proc)


def _deploy(url: str, tmp_path: Path) -> dict[str, Any]:
    """``scrapyd-deploy test`` in the repository root; the target's URL from a user config."""
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    (xdg / "scrapy.cfg").write_text(f"[deploy:test]\nurl = {url}\n", encoding="utf-8")
    env = {**os.environ, "XDG_CONFIG_HOME": str(xdg)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    egg = tmp_path / "vnnews.egg"
    done = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "test", "--build-egg", str(egg)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    done = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "test", "--egg", str(egg), "--version", "1"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = done.stdout[done.stdout.index("{") :]
    return {"egg": egg, **json.loads(answer)}


def test_project_cfg_deploy_target_and_egg_data_files(tmp_path: Path) -> None:
    """scrapy.cfg names Scrapyd's default URL; the egg carries and reads its data files."""
    cfg = (REPO_ROOT / "scrapy.cfg").read_text(encoding="utf-8")
    assert "url = http://127.0.0.1:6800/" in cfg and "project = vnnews" in cfg
    egg = tmp_path / "vnnews.egg"
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    done = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "--build-egg", str(egg)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    names = set(zipfile.ZipFile(egg).namelist())
    for needed in (
        "settings.py",
        "vnnews/profiles/nhandan.toml",
        "extraction/layouts.toml",
        "pipelines/article.schema.json",
        "spiders/news.py",
        "commands/cli.py",
    ):
        assert needed in names, needed
    assert not any(n.startswith("tests/") for n in names)
    # the egg keeps the repository's flat layout (setup.py: a wheel nests the packages under
    # vnnews/_app); Scrapyd puts it on each job's own path and imports `settings` from it
    assert not any(n.startswith("vnnews/_app/") for n in names)
    entry_points = zipfile.ZipFile(egg).read("EGG-INFO/entry_points.txt").decode()
    assert "[scrapy]" in entry_points and "settings = settings" in entry_points
    assert "export-wacz = vnnews.console:ExportWaczCommand" in entry_points
    # imported from the zip alone (the egg first on the path, cwd elsewhere): the profiles,
    # the layout table and the schema are read from inside it
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import extraction.layouts as l, vnnews.profiles as p, pipelines.schema as s;"
        "assert l.__file__.startswith(sys.argv[1]), l.__file__;"
        "assert p.__file__.startswith(sys.argv[1]), p.__file__;"
        "print(len(l.LAYOUTS), len(p.ProfileRegistry.load().names()), s.load_schema()['title'])"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(egg)],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": ""},
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    layouts, profiles, _title = run.stdout.split(maxsplit=2)
    assert int(layouts) >= 5 and int(profiles) >= 10


def test_deploy_and_crawl_through_scrapyd(
    scrapyd: str, sample_site: RunningSite, tmp_path: Path
) -> None:
    deployed = _deploy(scrapyd, tmp_path)
    assert deployed["status"] == "ok" and deployed["spiders"] >= 1, deployed
    assert _get(scrapyd + "listspiders.json?project=vnnews")["spiders"] == ["news"]

    archive = tmp_path / "archive"
    job = _post(
        scrapyd + "schedule.json",
        [
            ("project", "vnnews"),
            ("spider", "news"),
            ("site", "nhandan"),
            ("start_urls", sample_site.url),
            ("setting", f"ARCHIVE_DIR={archive}"),
            ("setting", "DOWNLOAD_DELAY=0"),
            ("setting", "AUTOTHROTTLE_ENABLED=False"),
        ],
    )
    assert job["status"] == "ok", job
    deadline = time.monotonic() + WAIT
    while True:
        jobs = _get(scrapyd + "listjobs.json?project=vnnews")
        finished = [j for j in jobs["finished"] if j["id"] == job["jobid"]]
        if finished:
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)
    log = urllib.request.urlopen(scrapyd + finished[0]["log_url"].lstrip("/"), timeout=10)
    text = log.read().decode("utf-8", errors="replace")
    assert "'finish_reason': 'finished'" in text, text[-3000:]
    assert "Traceback" not in text, text[-3000:]

    paths = ArchivePaths.of(archive)
    assert paths.warc_files(), "no closed WARC file"
    records = [
        json.loads(line)
        for f in sorted(paths.json_dir.glob("*.jsonl"))
        for line in f.read_text(encoding="utf-8").splitlines()
    ]
    expected = {sample_site.url + a["path"] for a in sample_site.expected["articles"]}
    assert expected <= {r["url"] for r in records}
    assert {r["site"] for r in records} == {"nhandan"}
