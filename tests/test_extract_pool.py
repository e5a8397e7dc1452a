"""The extraction process pool does not outlive a crawl that was killed."""

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
