"""The crawl's worker pool: where pages are read and articles extracted, off the reactor.

One owner for the whole crawl, a Scrapy extension (``EXTENSIONS``), found by the spider
(:mod:`spiders.news`, which has each HTML page analysed there: :mod:`spiders.pageanalysis`) and
by the extraction pipeline (:mod:`pipelines.extract`, for pages that arrive without a record)
with ``crawler.get_extension(WorkPool)``. ``EXTRACT_POOL``:

* ``process`` — ``EXTRACT_WORKERS`` processes (forkserver): every core reads pages while the
  reactor thread only schedules and moves bytes;
* ``thread`` — a thread pool (off the reactor thread; the GIL keeps it on one core);
* ``inline`` — no pool: the same functions run in the calling thread (debugging, tests).

Without the extension (a crawler built with ``EXTENSIONS={}``) callers run the work inline.
The pool is started when the spider opens and shut down (waiting for work in flight) when it
closes, after the pipelines have closed. Workers exit when the crawl process is gone
(:func:`watch_parent`), so a killed crawl leaves no orphans.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy import signals

from vnnews.config import checked

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

T = TypeVar("T")

POOLS = ("thread", "process", "inline")


def watch_parent(crawl_pid: int, interval: float = 1.0) -> None:
    """In each pool worker: exit when the crawl process is gone (e.g. killed with SIGKILL).

    Pool workers hold their own queue pipes open, so they never see EOF when the crawl
    dies; without this they (and the forkserver) would linger after a kill. A killed crawl
    its parent has not reaped yet is a zombie, which ``kill(pid, 0)`` still finds: that counts
    as gone too (else a parent reading the crawl's stderr until EOF would wait forever)."""

    def watch() -> None:
        while True:
            time.sleep(interval)
            try:
                os.kill(crawl_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass
            if _zombie(crawl_pid):
                os._exit(0)

    threading.Thread(target=watch, name="watch-crawl", daemon=True).start()


def _zombie(pid: int) -> bool:
    """Whether ``pid`` has exited and waits to be reaped (Linux /proc; False elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


class WorkPool:
    """The crawl's ``EXTRACT_POOL`` of ``EXTRACT_WORKERS`` (see the module docstring)."""

    def __init__(self, kind: str, workers: int) -> None:
        self.kind = kind
        self.workers = workers
        self.executor: Executor | None = None
        self._closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkPool:
        settings = crawler.settings
        # a bad value is an error (SettingError), never a silently different pool
        pool = cls(checked(settings, "EXTRACT_POOL"), checked(settings, "EXTRACT_WORKERS"))
        crawler.signals.connect(pool.open, signal=signals.spider_opened)
        crawler.signals.connect(pool.close, signal=signals.spider_closed)
        return pool

    def open(self) -> None:
        """Start the workers (idempotent)."""
        if self.executor is not None or self._closed:
            return
        if self.kind == "thread":
            self.executor = ThreadPoolExecutor(self.workers, thread_name_prefix="extract")
        elif self.kind == "process":
            ctx = multiprocessing.get_context("forkserver")
            self.executor = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=watch_parent, initargs=(os.getpid(),)
            )

    def close(self) -> None:
        """Wait for work in flight, then stop the workers."""
        self._closed = True
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=False)
            self.executor = None

    def warm(self, fn: Callable[..., Any], *args: Any) -> None:
        """Start the workers now and have them run ``fn(*args)`` (imports, lazy tables), so
        that the first pages do not wait for it. Fire and forget: a failure shows again on
        real work. Only the process pool has anything to warm."""
        if self.kind != "process" or self._closed:
            return
        self.open()
        if self.executor is not None:
            for _ in range(self.workers):  # each submit finds no idle worker: one more starts
                self.executor.submit(fn, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the pool (in this thread when inline or closed)."""
        if self.executor is None and not self._closed:
            self.open()
        if self.executor is None:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)


async def run_in(pool: WorkPool | None, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in ``pool``, or inline when the crawl has none."""
    if pool is None:
        return fn(*args)
    return await pool.run(fn, *args)
