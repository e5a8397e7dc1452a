"""Run a command and measure it from /proc: wall time, CPU of its main process and of the
whole process tree (pool workers, forkserver), peak RSS of the main process and of the tree.

Linux only (reads ``/proc/<pid>/stat``, ``/proc/<pid>/status`` and ``task/*/children``).
The tree is sampled every ``interval`` seconds; the CPU of the tree also counts reaped
children through ``wait4`` so short-lived workers are not missed.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Usage:
    """What one command cost."""

    wall: float = 0.0
    main_cpu: float = 0.0  # seconds of CPU of the command's own process
    tree_cpu: float = 0.0  # seconds of CPU of the process and every descendant
    main_peak_mb: float = 0.0  # VmHWM of the command's own process
    tree_peak_mb: float = 0.0  # highest sum of RSS over the tree at one sample
    returncode: int = 0
    marks: dict[str, float] = field(default_factory=dict)

    @property
    def workers_cpu(self) -> float:
        return max(0.0, self.tree_cpu - self.main_cpu)


def _cpu(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()
    # fields[11], [12] are utime and stime (the 14th and 15th fields of stat)
    return (int(fields[11]) + int(fields[12])) / _TICK


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kb(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_KB
    except OSError:
        return 0


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                kids = Path(f"/proc/{current}/task/{tid}/children").read_text().split()
            except OSError:
                continue
            for kid in kids:
                out.append(int(kid))
                todo.append(int(kid))
    return out


def measure(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    interval: float = 0.1,
    done: Callable[[], bool] | None = None,
    timeout: float = 3600,
) -> Usage:
    """Run ``cmd`` to its end. ``done`` (polled) marks ``marks["done"]``: the time the work
    was finished, e.g. the last article written, before the idle wait and shutdown."""
    out = log.open("wb") if log is not None else subprocess.DEVNULL
    start = time.monotonic()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=dict(env) if env else None,
                            stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    usage = Usage()
    seen_cpu: dict[int, float] = {}
    rusage = None
    try:
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() - start > timeout:
                proc.kill()
            tree = [proc.pid, *descendants(proc.pid)]
            for pid in tree:
                cpu = _cpu(pid)
                if cpu:
                    seen_cpu[pid] = cpu
            usage.main_cpu = seen_cpu.get(proc.pid, usage.main_cpu)
            usage.main_peak_mb = max(usage.main_peak_mb, _status_kb(proc.pid, "VmHWM") / 1024)
            usage.tree_peak_mb = max(usage.tree_peak_mb, sum(_rss_kb(p) for p in tree) / 1024)
            if done is not None and "done" not in usage.marks and done():
                usage.marks["done"] = time.monotonic() - start
            time.sleep(interval)
    finally:
        if log is not None and not isinstance(out, int):
            out.close()
    usage.wall = time.monotonic() - start
    usage.returncode = proc.returncode
    usage.tree_cpu = max(rusage.ru_utime + rusage.ru_stime, sum(seen_cpu.values()))
    return usage
