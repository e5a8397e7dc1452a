"""spiders.guard's log filter: a page or item that failed because the Redis back end stopped
answering is one line (the guard stops the crawl with exit 4); found when killing Redis under
a running crawl as a user would: ``Spider error processing`` printed a 60-line traceback from
the re-check lookup. A bug keeps its traceback."""

from __future__ import annotations

import logging
import sys

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from spiders.guard import OneLineTaskErrors


def _record(exc: BaseException, name: str = "scrapy.core.scraper") -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        info = sys.exc_info()
    return logging.LogRecord(
        name, logging.ERROR, __file__, 1, "Spider error processing <GET %s>", ("http://x/",), info
    )


@pytest.mark.parametrize(
    "exc",
    [
        RedisConnectionError("Error 111 connecting to 127.0.0.1:6815. Connection refused."),
        OSError(28, "No space left on device"),
    ],
)
def test_a_dead_back_end_or_full_disk_is_one_line(exc: BaseException) -> None:
    record = _record(exc)
    assert OneLineTaskErrors().filter(record)
    assert record.exc_info is None
    line = logging.Formatter().format(record)
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith("Spider error processing <GET http://x/>: ")


@pytest.mark.parametrize("exc", [KeyError("bug"), ResponseError("WRONGTYPE a bug")])
def test_a_bug_keeps_its_traceback(exc: BaseException) -> None:
    record = _record(exc)
    assert OneLineTaskErrors().filter(record)
    assert "Traceback" in logging.Formatter().format(record)


def test_the_traceback_stays_at_debug() -> None:
    filt = OneLineTaskErrors()
    filt.keep_traceback = True
    record = _record(RedisConnectionError("gone"))
    assert filt.filter(record) and record.exc_info is not None
