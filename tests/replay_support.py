"""A crawl of the sample site and a pywb collection built with pywb's own tools, for replay tests.

``pywb_collection(workdir, warcs, config=...)`` runs ``wb-manager init vnnews`` and
``wb-manager add vnnews WARC...`` (from ``.venv-pywb``) in ``workdir``, then pywb's ``wayback``
bound to 127.0.0.1 on a free port, and stops it by PID at the end.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.browser_support import free_port
from tests.conftest import REPO_ROOT, RunningSite, run_crawl

PYWB_BIN = REPO_ROOT / ".venv-pywb" / "bin"
COLLECTION = "vnnews"


def pywb_tool(name: str) -> Path:
    return PYWB_BIN / name


def have_pywb_tools(*names: str) -> bool:
    return all(pywb_tool(n).exists() for n in ("wayback", "wb-manager", *names))


@dataclass
class SampleCrawl:
    archive: Path
    site_url: str
    records: list[dict[str, Any]]
    expected: dict[str, Any]

    def warcs(self) -> list[Path]:
        return sorted((self.archive / "warc").glob("*.warc.gz"))


def crawl_sample(site: RunningSite, archive: Path, **settings: Any) -> SampleCrawl:
    """``scrapy crawl news -a site=nhandan -a start_urls=SITE`` into ``archive``."""
    args = ["-a", "site=nhandan", "-a", f"start_urls={site.url}/"]
    done = run_crawl(args, archive, settings)
    assert done.returncode == 0, done.stderr[-3000:]
    records = [
        json.loads(line)
        for path in sorted((archive / "json").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(records) == len(site.expected["articles"])
    return SampleCrawl(archive, site.url, records, site.expected)


def wait_ready(proc: subprocess.Popen[bytes], url: str) -> None:
    for _ in range(240):  # bounded: about a minute
        if proc.poll() is not None:
            raise RuntimeError(f"pywb exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    raise RuntimeError("pywb did not start")


def run_tool(*cmd: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{cmd}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done


@contextlib.contextmanager
def pywb_collection(workdir: Path, warcs: list[Path], config: str | None = None) -> Iterator[str]:
    """pywb's standard collection (``wb-manager init`` + ``add``) served on 127.0.0.1;
    yields the base URL (``http://127.0.0.1:PORT``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    run_tool(pywb_tool("wb-manager"), "init", COLLECTION, cwd=workdir)
    run_tool(pywb_tool("wb-manager"), "add", COLLECTION, *warcs, cwd=workdir)
    if config is not None:
        (workdir / "config.yaml").write_text(config, encoding="utf-8")
    port = free_port()
    log = (workdir / "wayback.log").open("wb")
    proc = subprocess.Popen(
        [str(pywb_tool("wayback")), "-b", "127.0.0.1", "-p", str(port)],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(proc, base + "/")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()


def fetch(url: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET, redirects followed, errors as statuses."""
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def timestamp14(iso: str) -> str:
    """``2026-12-03T19:30:24.512+00:00`` -> ``20261203193024``."""
    from datetime import UTC, datetime

    when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
    return when.strftime("%Y%m%d%H%M%S")
