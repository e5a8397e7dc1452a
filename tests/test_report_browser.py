"""The `scrapy report` page in a real headless Chromium: the charts render with the right numbers.

An archive is laid out with known numbers (run reports made by ``build_report`` from given
stats and records, JSON Lines records with given publication days); ``scrapy report`` writes
the page; Chromium (Debian's ``chromium``; ``make test`` installs it with
tools/ensure-chromium.sh) loads a copy of it with a small probe script that, after layout,
writes each bar's rendered size into the DOM; ``--dump-dom`` gives that DOM back. The test
checks that every bar's rendered height is its value over the axis maximum (so the picture
says what the data says), that the values are the numbers the archive holds, and that the
date-source shares, labels and drift marks are there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from monitoring.history import write_report
from monitoring.report import RunObserver, build_report
from tests.conftest import REPO_ROOT
from vnnews.paths import ArchivePaths

T0 = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)
#: per run: new, changed, extraction failures, 304 revisits, identical-payload revisits
RUNS = [(12, 0, 0, 0, 0), (3, 1, 1, 9, 2), (0, 2, 0, 13, 1), (4, 0, 7, 10, 0)]
#: articles published per day (the newest day is 2026-05-04) and their date sources
DAYS = {"2026-05-04": 6, "2026-05-03": 4, "2026-05-01": 3, "2026-04-20": 2, "2026-03-01": 1}
SOURCES = ["profile:selector"] * 10 + ["jsonld:datePublished"] * 4 + ["text:vi"] * 2
UNDATED = 3

PROBE = """<script>
addEventListener("load", () => {
  for (const el of document.querySelectorAll("svg.chart, rect.seg")) {
    const box = el.getBoundingClientRect();
    el.setAttribute("data-rendered-height", box.height.toFixed(3));
    el.setAttribute("data-rendered-width", box.width.toFixed(3));
  }
  document.body.setAttribute("data-measured", "yes");
});
</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make test` installs it (tools/ensure-chromium.sh)")
        pytest.skip("no chromium (run tools/ensure-chromium.sh)")
    return found


def make_archive(root: Path) -> None:
    paths = ArchivePaths.of(root)
    for i, (new, changed, failures, not_modified, identical) in enumerate(RUNS):
        stats = {
            "dedup/new_articles": new,
            "dedup/new_versions": changed,
            "extract/articles": new + changed,
            "extract/errors": failures,
            "dedup/not_modified": not_modified,
            "dedup/revisits": identical,
            "archive/revisits": not_modified + identical,
        }
        start = T0 + timedelta(hours=6 * i)
        report = build_report(
            stats=stats,
            observer=RunObserver(120),
            site="nhandan",
            has_profile=True,
            arguments={},
            started_at=start,
            finished_at=start + timedelta(minutes=3),
            finish_reason="finished",
            settings={},
            pid=100 + i,
        )
        flags = [{"check": "extraction_failures", "message": "7 of 11 failed"}] if i == 3 else []
        report["drift"] = {"flags": flags, "compared_runs": i}
        write_report(paths, report)
    records = []
    sources = iter(SOURCES)
    n = 0
    for day, count in DAYS.items():
        for _ in range(count):
            n += 1
            records.append(
                {
                    "site": "nhandan",
                    "canonical_url": f"https://nhandan.vn/a-post{n}.html",
                    "published": f"{day}T09:00:00+07:00",
                    "published_source": next(sources),
                    "fetched_at": "2026-05-04T10:00:00+00:00",
                    "version": 1,
                }
            )
    for k in range(UNDATED):
        records.append(
            {
                "site": "nhandan",
                "canonical_url": f"https://nhandan.vn/undated-post{k}.html",
                "published": None,
                "published_source": None,
                "version": 1,
            }
        )
    paths.json_dir.mkdir(parents=True)
    (paths.json_dir / "articles-20260504-1.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> lxml_html.HtmlElement:
    browser = chromium()
    base = tmp_path_factory.mktemp("report")
    make_archive(base / "archive")
    page = base / "report.html"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "scrapy", "report", "-o", str(page)),
            *("-s", f"ARCHIVE_DIR={base / 'archive'}", "-s", "MONITOR_REPORT_DAYS=7"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    probe = base / "probe.html"
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    args += [f"--user-data-dir={base / 'profile'}", "--window-size=1280,2000"]
    dump = subprocess.run(
        [*args, "--virtual-time-budget=3000", "--dump-dom", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert dump.returncode == 0 and "<html" in dump.stdout, dump.stderr[-2000:]
    shot = subprocess.run(
        [*args, f"--screenshot={base / 'report.png'}", page.as_uri()],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert shot.returncode == 0 and (base / "report.png").stat().st_size > 10_000
    tree = lxml_html.document_fromstring(dump.stdout)
    assert tree.body.get("data-measured") == "yes", "the page did not render in Chromium"
    return tree


def bars(tree: lxml_html.HtmlElement, chart_id: str) -> list[dict[str, Any]]:
    """Each bar of a chart: label, total, and per series (value, rendered height)."""
    svg = tree.get_element_by_id(chart_id)
    out = []
    for group in svg.xpath('.//*[local-name()="g"][@class="bar"]'):
        segs = {
            s.get("data-series"): (int(s.get("data-value")), float(s.get("data-rendered-height")))
            for s in group.xpath('.//*[local-name()="rect"]')
        }
        out.append(
            {"label": group.get("data-label"), "total": int(group.get("data-total")), **segs}
        )
    return out


def assert_heights_match_values(tree: lxml_html.HtmlElement, chart_id: str) -> None:
    """Rendered bar height == value / axis max * rendered plot height, for every segment."""
    svg = tree.get_element_by_id(chart_id)
    axis_max = int(svg.get("data-axis-max"))
    view_width = float(svg.get("viewbox").split()[2])  # the HTML parser lowercases names
    scale = float(svg.get("data-rendered-width")) / view_width
    plot = float(svg.get("data-plot-height")) * scale
    assert plot > 50, f"{chart_id} rendered too small ({plot:.1f} px)"
    checked = 0
    for seg in svg.xpath('.//*[local-name()="rect"][@class="seg"]'):
        value, height = int(seg.get("data-value")), float(seg.get("data-rendered-height"))
        assert height == pytest.approx(plot * value / axis_max, abs=0.6), (chart_id, value)
        checked += value > 0
    assert checked, f"no non-empty bar rendered in {chart_id}"


def test_articles_per_day_chart(rendered: lxml_html.HtmlElement) -> None:
    days = bars(rendered, "perday-0")
    expected = {
        (datetime(2026, 5, 4) - timedelta(days=6 - i)).date().isoformat(): 0 for i in range(7)
    }
    expected.update({d: n for d, n in DAYS.items() if d in expected})
    assert [b["label"] for b in days] == list(expected)
    assert {b["label"]: b["articles"][0] for b in days} == expected
    assert_heights_match_values(rendered, "perday-0")
    caption = rendered.xpath('//section[@data-site="nhandan"]//figcaption')[0].text_content()
    older = sum(n for d, n in DAYS.items() if d not in expected)
    assert f"{older} published earlier" in caption and f"{UNDATED} without a date" in caption


def test_runs_charts(rendered: lxml_html.HtmlElement) -> None:
    articles = bars(rendered, "runs-articles-0")
    assert [(b["new"][0], b["changed"][0]) for b in articles] == [(r[0], r[1]) for r in RUNS]
    failures = bars(rendered, "runs-failures-0")
    assert [b["failures"][0] for b in failures] == [r[2] for r in RUNS]
    revisits = bars(rendered, "runs-revisits-0")
    assert [(b["server-not-modified"][0], b["identical-payload-digest"][0]) for b in revisits] == [
        (r[3], r[4]) for r in RUNS
    ]
    for chart in ("runs-articles-0", "runs-failures-0", "runs-revisits-0"):
        assert_heights_match_values(rendered, chart)
        svg = rendered.get_element_by_id(chart)
        marks = svg.xpath('.//*[local-name()="text"][@class="mark"]')
        assert len(marks) == 1, "one run has drift flags"
        values = [t.text for t in svg.xpath('.//*[local-name()="text"][@class="value"]')]
        assert values == [str(b["total"]) for b in bars(rendered, chart) if b["total"]]


def test_date_sources_share(rendered: lxml_html.HtmlElement) -> None:
    svg = rendered.get_element_by_id("sources-0")
    counts = {**Counter(SOURCES), "none": UNDATED}
    total = sum(counts.values())
    width = float(svg.get("data-rendered-width"))
    segs = svg.xpath('.//*[local-name()="rect"][@class="seg"]')
    assert {s.get("data-series"): int(s.get("data-value")) for s in segs} == counts
    for seg in segs:
        share = int(seg.get("data-value")) / total
        assert float(seg.get("data-rendered-width")) == pytest.approx(width * share, abs=0.6)
    legend = svg.getnext()
    shown = {
        li.xpath('.//span[@class="lname"]')[0].text: int(li.xpath(".//b")[0].text)
        for li in legend.xpath("./li")
    }
    assert shown == {("no date" if k == "none" else k): v for k, v in counts.items()}


def test_overview_and_drift_flags(rendered: lxml_html.HtmlElement) -> None:
    row = rendered.xpath('//table[@class="overview"]//tr[@data-site="nhandan"]')[0]
    cells = [td.text_content().strip() for td in row.xpath("./td")]
    assert cells[2] == "drift (1)" and cells[4] == str(sum(DAYS.values()) + UNDATED)
    assert cells[5] == "extraction_failures"
    flags = rendered.xpath('//tr[@class="flag"]')
    assert [f.get("data-check") for f in flags] == ["extraction_failures"]
    never = rendered.xpath('//table[@class="overview"]//tr[@data-site="vnexpress"]')[0]
    assert "never run" in never.text_content()
