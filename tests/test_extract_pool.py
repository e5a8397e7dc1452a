"""The extraction process pool: warmed before the first page, and never outliving a crawl that
was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import multiprocessing, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from pipelines.extract import watch_parent
if __name__ == "__main__":
    ctx = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(2, mp_context=ctx, initializer=watch_parent,
                               initargs=(os.getpid(), 0.2))
    list(pool.map(time.sleep, [0.3, 0.3]))
    print(" ".join(str(pid) for pid in pool._processes), flush=True)
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().split(")")[-1].split()[1])


def test_pool_workers_and_forkserver_exit_after_sigkill() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert len(workers) == 2
        forkserver = _parent(workers[0])
        assert forkserver != proc.pid
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    leftover = [*workers, forkserver]
    for _ in range(100):  # bounded: up to 10 s
        leftover = [pid for pid in leftover if _alive(pid)]
        if not leftover:
            break
        time.sleep(0.1)
    for pid in leftover:  # do not leak them even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert leftover == []


WARM_SCRIPT = """
import os, sys, time
from pathlib import Path
from vnnews.workpool import WorkPool
from spiders.pageanalysis import Profiles, warm_up

def mark(folder):
    warm_up(Profiles(None, ()))
    mods = [m for m in ("extraction.article", "trafilatura") if m in sys.modules]
    (Path(folder) / str(os.getpid())).write_text(" ".join(mods))
    time.sleep(3)  # busy: the other warm-up call goes to the other worker

if __name__ == "__main__":
    pool = WorkPool("process", 2)
    pool.warm(mark, sys.argv[1])
    for _ in range(300):
        if len(list(Path(sys.argv[1]).iterdir())) == 2:
            break
        time.sleep(0.1)
    pool.close()
"""


def test_warm_starts_every_worker_and_loads_the_extraction_before_any_page(
    tmp_path: Path,
) -> None:
    script, folder = tmp_path / "warm.py", tmp_path / "marks"
    script.write_text(WARM_SCRIPT)  # a file: pool workers import its function by name
    folder.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, str(script), str(folder)], cwd=ROOT, env=env, check=True,
                   timeout=120)  # fmt: skip
    marks = list(folder.iterdir())
    assert len(marks) == 2, "each worker ran the warm-up"
    assert {m.name for m in marks} & {str(os.getpid())} == set()
    for mark in marks:
        assert mark.read_text().split() == ["extraction.article", "trafilatura"]
