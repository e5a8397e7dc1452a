"""Unit checks behind the fault crawl: the handler's seam, the trap guard, print links, scope."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from warcio.archiveiterator import ArchiveIterator

from archive.handler import SEAM, WarcHttpDownloadHandler, check_seam
from spiders.news import _normalise
from spiders.scope import Scope
from spiders.trapguard import TrapGuard, fingerprint
from tests.conftest import RunningSite, run_crawl


def test_the_private_api_the_handler_relies_on_is_all_there() -> None:
    """Fails loudly when a Scrapy or Twisted upgrade moves what archive/handler.py uses."""
    assert SEAM
    assert check_seam() == []


class UpgradedScrapyHandler(WarcHttpDownloadHandler):
    """The handler as it behaves after an upgrade that broke its seam."""

    def seam_problems(self) -> list[str]:
        return ["_ScrapyAgent is gone (simulated)"]


def test_a_broken_seam_falls_back_to_the_stock_handler_with_one_warning(
    sample_site: RunningSite, tmp_path: Path
) -> None:
    handler = "tests.test_faults_units.UpgradedScrapyHandler"
    result = run_crawl(
        ["-a", "site=nhandan", "-a", f"start_urls={sample_site.url}/"],
        tmp_path,
        {"DOWNLOAD_HANDLERS": {"http": handler, "https": handler}},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    warnings = [line for line in result.stderr.splitlines() if "stock HTTP handler" in line]
    assert len(warnings) == 1 and "WARNING" in warnings[0] and "simulated" in warnings[0]
    assert list((tmp_path / "json").glob("*.jsonl"))
    phrases = set()
    for path in (tmp_path / "warc").glob("*.warc.gz"):
        with path.open("rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "response" and record.http_headers is not None:
                    phrases.add(record.http_headers.statusline)
    assert "200 OK" in phrases  # from http.HTTPStatus, not the wire


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count

    def set_value(self, key: str, value: int) -> None:
        self.values[key] = value


class _Crawler:
    def __init__(self) -> None:
        self.stats = _Stats()


def _guard(crawler: _Crawler) -> TrapGuard:
    return TrapGuard(crawler, max_per_pattern=100, sample=20, min_distinct=0.5, backlog=10_000)  # type: ignore[arg-type]


def test_a_big_site_of_one_url_shape_is_crawled_whole() -> None:
    crawler = _Crawler()
    guard = _guard(crawler)
    requests = [Request(f"https://x.vn/thoi-su/bai-{n}-post{100000 + n}.html") for n in range(2200)]
    scheduled = [r for r in requests if guard.admit(r)]
    assert len(scheduled) == 100  # the rest held until the shape is judged
    released = []
    for n, request in enumerate(scheduled[:20]):
        released += guard.judge(request, fingerprint(f"Bài {n}: nội dung khác nhau {n * 'x'}"))
    assert len(scheduled) + len(released) == 2200
    assert "news/dropped/pattern_cap" not in crawler.stats.values
    assert all(
        guard.admit(Request(f"https://x.vn/thoi-su/moi-post{900000 + n}.html")) for n in range(10)
    )


def test_a_calendar_trap_is_cut_and_counted() -> None:
    crawler = _Crawler()
    guard = _guard(crawler)
    requests = [
        Request(f"https://x.vn/lich?ngay=2021-05-{n % 28 + 1:02d}&n={n}") for n in range(500)
    ]
    scheduled = [r for r in requests if guard.admit(r)]
    released = []
    for n, request in enumerate(scheduled[:20]):
        released += guard.judge(request, fingerprint(f"Lịch ngày {n}/5/2021: không có sự kiện"))
    assert released == []
    assert crawler.stats.values["news/dropped/pattern_cap"] == 400
    assert crawler.stats.values["news/caps/pattern"] == 1
    assert not guard.admit(Request("https://x.vn/lich?ngay=2022-01-01&n=9999"))


def test_idle_decides_what_is_still_held() -> None:
    crawler = _Crawler()
    guard = _guard(crawler)
    requests = [Request(f"https://x.vn/a/b-{n}-post{n + 100000}.html") for n in range(150)]
    scheduled = [r for r in requests if guard.admit(r)]
    for n, request in enumerate(scheduled[:5]):
        guard.judge(request, fingerprint(f"trang {'y' * n}"))
    assert len(guard.idle()) == 50


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://nhandan.vn/print/645150", "https://nhandan.vn/print/645150"),
        ("https://x.vn/a-123456.html?print=1", "https://x.vn/a-123456.html?print=1"),
        ("https://x.vn/amp/thoi-su/a-123456.html", "https://x.vn/thoi-su/a-123456.html"),
        ("https://x.vn/a-123456.html?amp=1&utm_source=fb", "https://x.vn/a-123456.html"),
    ],
)
def test_print_variants_are_never_folded_by_url(url: str, expected: str) -> None:
    assert _normalise(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://www.x.vn/a.html", None),
        ("http://x.vn/a.html", None),  # the http -> https upgrade of a default-port start
        ("https://amp.x.vn/a.html", None),
        ("https://x.vn:8443/a.html", "other_origin"),
        ("http://169.254.169.254/latest/meta-data/", "private_address"),
        ("http://10.0.0.1/", "private_address"),
        ("http://[::1]/", "private_address"),
        ("file:///etc/passwd", "scheme"),
        ("data:text/html,hi", "scheme"),
        ("https://x.com.vn/a.html", "offsite"),
    ],
)
def test_scope_is_an_origin(url: str, reason: str | None) -> None:
    assert Scope.of(["https://x.vn/"]).refusal(url) == reason


def test_a_private_start_host_is_its_own_origin_only() -> None:
    scope = Scope.of(["http://127.0.0.1:8080/"])
    assert scope.allows("http://127.0.0.1:8080/a.html")
    assert scope.refusal("http://127.0.0.1:8081/a.html") == "other_origin"
    assert scope.refusal("http://127.0.0.2:8080/a.html") == "private_address"
