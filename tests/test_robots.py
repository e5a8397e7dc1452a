"""spiders/robots.py: every request waiting for an origin's robots.txt gets the same policy.

Requests taken from a shared queue (a distributed worker joining a running crawl) arrive many at
once for an origin whose robots.txt is still being fetched; each must get the fetched policy.
The fetch itself is exercised by real crawls (tests/test_faults.py, tests/test_distributed.py);
here it is held open by a Deferred the test fires, so the waiters really wait.
"""

from __future__ import annotations

import asyncio
from typing import Any

from twisted.internet.defer import Deferred

from spiders.robots import DISALLOW_ALL, RobotsTxtMiddleware, _fan_out
from tests.archive_support import project_crawler


class HeldFetch(RobotsTxtMiddleware):
    """The policy fetch answers when the test says so."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.gate: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
        self.fetches = 0

    async def _fetch(self, origin: str) -> Any:
        self.fetches += 1
        return await self.gate


def test_all_waiters_of_one_origin_get_the_policy() -> None:
    async def scenario() -> list[Any]:
        middleware = HeldFetch(project_crawler(EXTENSIONS={}))
        waiters = [
            asyncio.ensure_future(middleware.policy("http://127.0.0.1:8000")) for _ in range(8)
        ]
        await asyncio.sleep(0)
        middleware.gate.set_result(DISALLOW_ALL)
        results = await asyncio.gather(*waiters)
        assert middleware.fetches == 1
        return results

    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        results = loop.run_until_complete(scenario())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert results == [DISALLOW_ALL] * 8


def test_fan_out_passes_the_policy_on() -> None:
    shared: Deferred[Any] = Deferred()
    got: list[Any] = []
    for _ in range(3):
        mine: Deferred[Any] = Deferred()
        mine.addCallback(got.append)
        shared.addCallback(_fan_out, mine)
    shared.callback("policy")
    assert got == ["policy"] * 3
