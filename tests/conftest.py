"""Shared fixtures: the bundled sample site served over local HTTP, and a crawl runner.

* ``sample_site`` (session): ``tests/sites/nhandan`` served by ``tests/mockserver.py`` in a
  subprocess on 127.0.0.1, with ``.url``, ``.root``, ``.log_path`` and ``.expected``
  (``expected.json`` with ``__BASE__`` replaced by ``.url``).
* ``site_server`` (function): a factory ``site_server(root=..., overlay=..., port=...)`` for a
  fresh server (another root, the ``nhandan-v2`` overlay, its own request log, the port of a
  stopped server to keep URLs identical across a re-crawl); stopped at test end.
* ``run_crawl(args, archive_dir, extra_settings)``: ``scrapy crawl news ...`` in a subprocess
  from the repository root; import it with ``from tests.conftest import run_crawl``.

Servers are stopped by PID: terminate, wait 5 s, then kill.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SITES = REPO_ROOT / "tests" / "sites"
NHANDAN = SITES / "nhandan"
NHANDAN_V2 = SITES / "nhandan-v2"
START_TIMEOUT = 20.0
CRAWL_TIMEOUT = 300.0
# Defaults that make a local crawl quick; extra_settings override them.
FAST_CRAWL_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "LOG_LEVEL": "INFO",
}


@dataclass
class RunningSite:
    """A mock server process serving one fixture site."""

    url: str
    root: Path
    overlay: Path | None
    log_path: Path
    expected: dict[str, Any]
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        """Stop the server now (idempotent); the port can then be reused with ``port=``."""
        stop_process(self.process)

    def requests(self, since: int = 0) -> list[tuple[str, str, int]]:
        """(method, path with query, status) for each request served, oldest first."""
        if not self.log_path.exists():
            return []
        rows = []
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        for line in lines[since:]:
            method, path, status = line.split("\t")
            rows.append((method, path, int(status)))
        return rows

    def mark(self) -> int:
        """The current length of the request log, to pass as ``since=`` later."""
        return len(self.requests())

    def requested_paths(self, since: int = 0) -> set[str]:
        return {path for _, path, _ in self.requests(since)}

    def article(self, path: str) -> dict[str, Any]:
        for entry in self.expected["articles"]:
            if entry["path"] == path:
                return dict(entry)
        raise KeyError(path)


def resolve_base(text: str, url: str) -> str:
    return text.replace("__BASE__", url)


def load_expected(root: Path, overlay: Path | None, url: str) -> dict[str, Any]:
    for directory in (overlay, root):
        if directory is not None and (directory / "expected.json").is_file():
            text = (directory / "expected.json").read_text(encoding="utf-8")
            data: dict[str, Any] = json.loads(resolve_base(text, url))
            return data
    return {}


def _read_first_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    stream = proc.stdout
    assert stream is not None
    out: list[bytes] = []

    def read() -> None:
        with contextlib.suppress(OSError, ValueError):  # closed under us after a timeout
            out.append(stream.readline())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    return out[0].decode("utf-8").strip() if out else ""


def start_server(
    root: Path,
    log_path: Path,
    overlay: Path | None = None,
    port: int = 0,
    timeout: float = START_TIMEOUT,
) -> RunningSite:
    """Start ``python -m tests.mockserver`` and wait for its URL line."""
    cmd = [sys.executable, "-m", "tests.mockserver", "--root", str(root)]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log", str(log_path)]
    if overlay is not None:
        cmd += ["--overlay", str(overlay)]
    stderr = log_path.with_suffix(".stderr").open("wb")
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr)
    stderr.close()
    url = _read_first_line(proc, timeout)
    if not url.startswith("http://127."):
        stop_process(proc)
        err = log_path.with_suffix(".stderr").read_text(encoding="utf-8", errors="replace")
        raise RuntimeError(f"mock server did not start (first line {url!r}): {err[-2000:]}")
    expected = load_expected(root, overlay, url)
    return RunningSite(url, root, overlay, log_path, expected, proc)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Stop one process by its PID: terminate, wait(5), kill."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def run_crawl(
    args: list[str],
    archive_dir: Path,
    extra_settings: dict[str, Any] | None = None,
    timeout: float = CRAWL_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run ``scrapy crawl news ARGS -s ARCHIVE_DIR=archive_dir`` from the repository root.

    ``args`` are passed as they are (e.g. ``["-a", "site=nhandan", "-a", f"start_urls={url}"]``).
    Settings: quick local defaults (no download delay, no autothrottle), then
    ``extra_settings`` (lists and dicts are passed as JSON). Output is captured as text.
    """
    cmd, env = crawl_command(args, archive_dir, extra_settings)
    return subprocess.run(
        cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def crawl_command(
    args: list[str], archive_dir: Path, extra_settings: dict[str, Any] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment ``run_crawl`` uses (for tests that Popen crawls)."""
    settings = {**FAST_CRAWL_SETTINGS, **(extra_settings or {})}
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", *args]
    cmd += ["-s", f"ARCHIVE_DIR={archive_dir}"]
    for name, value in settings.items():
        text = json.dumps(value) if isinstance(value, dict | list | bool) else str(value)
        cmd += ["-s", f"{name}={text}"]
    env = dict(os.environ)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return cmd, env


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSite]:
    """The Nhandan-style sample site (v1) on 127.0.0.1, shared by the whole session."""
    log = tmp_path_factory.mktemp("sample_site") / "requests.log"
    site = start_server(NHANDAN, log)
    try:
        yield site
    finally:
        stop_process(site.process)


@pytest.fixture
def site_server(tmp_path: Path) -> Iterator[Callable[..., RunningSite]]:
    """Factory: ``site_server(root=NHANDAN, overlay=None, port=0)`` starts a server for this test.

    To re-crawl "the same site a day later" at the same URLs: ``v1 = site_server()``, crawl,
    ``v1.stop()``, then ``site_server(overlay=NHANDAN_V2, port=v1.port)``.
    """
    started: list[RunningSite] = []

    def start(
        root: Path | str = NHANDAN, overlay: Path | str | None = None, port: int = 0
    ) -> RunningSite:
        log = tmp_path / f"server-{len(started)}.log"
        site = start_server(Path(root), log, Path(overlay) if overlay else None, port)
        started.append(site)
        return site

    try:
        yield start
    finally:
        for site in started:
            stop_process(site.process)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis: 127.0.0.1:6379 if it answers, else a private redis-server (stopped by PID)."""
    from tests.redisserver import running_redis

    with running_redis() as url:
        if url is None:
            pytest.skip("no Redis at 127.0.0.1:6379 and no redis-server binary")
        yield url
