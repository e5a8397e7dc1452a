"""Scrapy commands of the project (COMMANDS_MODULE): crawl, extract, reprocess, wayback, …"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def stdout_may_close() -> Iterator[None]:
    """Output read by a pipe that closes early (``scrapy sites | head``) ends the command
    quietly, not with a BrokenPipeError traceback; what was printed stays printed."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        # stdout is gone: point it at /dev/null so the interpreter's final flush is quiet
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
