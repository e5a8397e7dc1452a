"""``scrapy report``: one static, self-contained HTML page over the archive and its run reports.

No script, no network: charts are inline SVG written here, styles are inline. Per site:
articles per day of publication, new / changed articles per run, extraction failures and
revisits per run (runs with drift flags marked), the date sources of the archived records,
and the drift flags of recent runs. Every bar carries ``data-series``, ``data-label`` and
``data-value`` and a ``<title>`` tooltip, so the page can be checked (and read by tools)
without parsing pixels.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from monitoring.archivescan import SiteArchive, scan_archive
from monitoring.history import all_reports
from monitoring.overview import SiteRow, site_rows
from vnnews.paths import ArchivePaths

#: runs shown per site in the per-run charts (the newest)
MAX_RUNS = 60
#: drift flags listed per site (the newest)
MAX_FLAGS = 20

COLORS = {
    "articles": "#2563eb",
    "new": "#2563eb",
    "changed": "#f59e0b",
    "failures": "#dc2626",
    "server-not-modified": "#64748b",
    "identical-payload-digest": "#a5b4c8",
}
SOURCE_COLORS = (
    "#2563eb",
    "#0d9488",
    "#7c3aed",
    "#f59e0b",
    "#db2777",
    "#65a30d",
    "#0891b2",
    "#ea580c",
    "#475569",
)
MISSING_COLOR = "#dc2626"


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


# --- data ----------------------------------------------------------------------------------


@dataclass
class SiteData:
    row: SiteRow
    runs: list[dict[str, Any]] = field(default_factory=list)  # oldest first, at most MAX_RUNS
    archive: SiteArchive | None = None


@dataclass
class ReportData:
    archive_dir: str
    generated_at: datetime
    days: int
    sites: list[SiteData]


def collect(
    paths: ArchivePaths, profiles: Sequence[str], days: int
) -> tuple[ReportData, list[SiteRow]]:
    """The page's data, and the overview rows of every site (profiles never crawled too)."""
    reports = all_reports(paths)
    archive = scan_archive(paths)
    # sites with runs or records first (alphabetically), then profiles never crawled
    rows = sorted(site_rows(profiles, reports, archive), key=lambda r: not (r.runs or r.articles))
    sites = [
        SiteData(row, reports.get(row.site, [])[-MAX_RUNS:], archive.get(row.site))
        for row in rows
        if row.runs or row.articles  # profiles never crawled are listed in the table only
    ]
    return ReportData(str(paths.root), datetime.now(UTC), days, sites), rows


# --- SVG charts ----------------------------------------------------------------------------------


@dataclass
class Bar:
    label: str  # x label (a day, a run time)
    values: list[tuple[str, int]]  # (series, value), stacked bottom to top
    title: str = ""
    mark: str = ""  # a note shown above the bar (a drift flag)


def axis(value: int) -> tuple[int, int]:
    """(axis maximum, tick step) for counts up to ``value``: whole-number ticks, at most 5."""
    if value <= 0:
        return 1, 1
    exp = 1
    while True:
        for base in (1, 2, 2.5, 5):
            step = int(base * exp)
            if step == base * exp and -(-value // step) <= 5:
                return step * -(-value // step), step
        exp *= 10


def bar_chart(
    chart_id: str,
    bars: Sequence[Bar],
    *,
    caption: str,
    width: int = 1040,
    height: int = 190,
    label_every: int = 1,
) -> str:
    """A (stacked) bar chart as inline SVG; bar heights are exactly value / max of the axis."""
    left, right, top, bottom = 44, 34, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(v for _, v in b.values) for b in bars]
    axis_max, step = axis(max(totals, default=0))
    n = max(len(bars), 1)
    slot = plot_w / n
    bar_w = max(min(slot * 0.72, 48.0), 1.0)
    parts = [
        f'<svg class="chart" id="{esc(chart_id)}" data-axis-max="{axis_max}" '
        f'data-plot-height="{plot_h}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{esc(caption)}">',
        f"<title>{esc(caption)}</title>",
    ]
    for value in range(0, axis_max + 1, step):  # grid lines and y labels
        y = top + plot_h - plot_h * value / axis_max
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.2f}" y2="{y:.2f}"/>'
        )
        parts.append(f'<text class="ylabel" x="{left - 6}" y="{y + 4:.2f}">{value}</text>')
    for i, bar in enumerate(bars):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        total = totals[i]
        parts.append(
            f'<g class="bar" data-label="{esc(bar.label)}" data-total="{total}">'
            f"<title>{esc(bar.title or f'{bar.label}: {total}')}</title>"
        )
        for series, value in bar.values:
            h = plot_h * value / axis_max
            y -= h
            color = COLORS.get(series, "#2563eb")
            parts.append(
                f'<rect class="seg" data-series="{esc(series)}" data-value="{value}" '
                f'x="{x:.2f}" y="{y:.2f}" width="{bar_w:.2f}" height="{h:.2f}" '
                f'fill="{color}"/>'
            )
        if total and n <= 40:
            parts.append(
                f'<text class="value" x="{x + bar_w / 2:.2f}" y="{y - 4:.2f}">{total}</text>'
            )
        if bar.mark:
            parts.append(
                f'<text class="mark" x="{x + bar_w / 2:.2f}" y="{top - 18}">'
                f"<title>{esc(bar.mark)}</title>▲</text>"
            )
        parts.append("</g>")
        if (len(bars) - 1 - i) % label_every == 0:  # counted from the newest bar
            cx, y0 = x + bar_w / 2, top + plot_h + 15
            lines = bar.label.split(" ", 1)  # "05-01 06:00": the day above the time
            label = "".join(
                f'<tspan x="{cx:.2f}" y="{y0 + 12 * k}">{esc(line)}</tspan>'
                for k, line in enumerate(lines)
            )
            parts.append(f'<text class="xlabel" x="{cx:.2f}" y="{y0}">{label}</text>')
    parts.append(
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}"/></svg>'
    )
    return "".join(parts)


def share_bar(chart_id: str, counts: Mapping[str, int], caption: str, width: int = 1040) -> str:
    """One horizontal 100% bar of shares, with a legend that gives counts and percentages."""
    total = sum(counts.values())
    items = sorted(counts.items(), key=lambda kv: (kv[0] == "none", -kv[1], kv[0]))
    parts = [
        f'<svg class="chart share" id="{esc(chart_id)}" data-total="{total}" '
        f'viewBox="0 0 {width} 30" preserveAspectRatio="none" role="img" '
        f'aria-label="{esc(caption)}"><title>{esc(caption)}</title>'
    ]
    x = 0.0
    legend = []
    for i, (name, count) in enumerate(items):
        w = width * count / total if total else 0
        color = MISSING_COLOR if name == "none" else SOURCE_COLORS[i % len(SOURCE_COLORS)]
        pct = count / total if total else 0
        parts.append(
            f'<rect class="seg" data-series="{esc(name)}" data-value="{count}" x="{x:.2f}" '
            f'y="0" width="{w:.2f}" height="30" fill="{color}">'
            f"<title>{esc(name)}: {count} ({pct:.0%})</title></rect>"
        )
        x += w
        shown = "no date" if name == "none" else name
        legend.append(
            f'<li><span class="swatch" style="background:{color}"></span>'
            f'<span class="lname">{esc(shown)}</span> <b data-count="{count}">{count}</b> '
            f'<span class="pct">{pct:.0%}</span></li>'
        )
    parts.append("</svg>")
    return "".join(parts) + f'<ul class="legend">{"".join(legend)}</ul>'


def legend(series: Sequence[tuple[str, str]], marks: bool = False) -> str:
    items = [
        f'<li><span class="swatch" style="background:{COLORS[key]}"></span>{esc(name)}</li>'
        for key, name in series
    ]
    if marks:
        items.append('<li><span class="markkey">▲</span>run with drift flags</li>')
    return '<ul class="legend">' + "".join(items) + "</ul>"


# --- page sections ---------------------------------------------------------------------------


def _short_time(value: Any) -> str:
    text = str(value or "")
    return text[5:16].replace("T", " ") if len(text) >= 16 else text


def per_day_bars(site: SiteArchive, days: int) -> tuple[list[Bar], int]:
    """Bars for the ``days`` days ending at the newest publication day; and how many older."""
    dated = {d: n for d, n in site.published_per_day.items() if _is_day(d)}
    if not dated:
        return [], 0
    end = max(date.fromisoformat(d) for d in dated)
    start = end - timedelta(days=days - 1)
    bars = []
    for i in range(days):
        day = (start + timedelta(days=i)).isoformat()
        n = dated.get(day, 0)
        bars.append(Bar(day, [("articles", n)], f"{day}: {n} article(s) published"))
    older = sum(n for d, n in dated.items() if date.fromisoformat(d) < start)
    return bars, older


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def run_flag_note(report: Mapping[str, Any]) -> str:
    flags = (report.get("drift") or {}).get("flags") or []
    return "; ".join(f"{f['check']}: {f['message']}" for f in flags)


def run_labels(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Short x labels: the time of day when all runs share a day, else month-day and time."""
    starts = [str(r.get("started_at") or "") for r in runs]
    if len({s[:10] for s in starts}) == 1:
        return [s[11:19] for s in starts]
    return [_short_time(s) for s in starts]


def article_run_bars(runs: Sequence[Mapping[str, Any]]) -> list[Bar]:
    bars = []
    for r, label in zip(runs, run_labels(runs), strict=True):
        a = r.get("articles") or {}
        new, changed = int(a.get("new") or 0), int(a.get("changed") or 0)
        bars.append(
            Bar(
                label,
                [("new", new), ("changed", changed)],
                f"run {r.get('started_at')}: {new} new, {changed} changed, "
                f"{a.get('unchanged', 0)} unchanged, {a.get('skipped_not_due', 0)} not due",
                run_flag_note(r),
            )
        )
    return bars


def health_run_bars(runs: Sequence[Mapping[str, Any]], series: str) -> list[Bar]:
    bars = []
    for r, label in zip(runs, run_labels(runs), strict=True):
        if series == "failures":
            x = r.get("extraction") or {}
            value = int(x.get("failures") or 0)
            title = f"run {r.get('started_at')}: {value} of {x.get('pages', 0)} extractions failed"
            bars.append(Bar(label, [("failures", value)], title, run_flag_note(r)))
        else:
            rev = (r.get("archive") or {}).get("revisits_by_profile") or {}
            nm = int(rev.get("server-not-modified") or 0)
            same = int(rev.get("identical-payload-digest") or 0)
            title = f"run {r.get('started_at')}: {nm} not modified (304), {same} identical payload"
            bars.append(
                Bar(
                    label,
                    [("server-not-modified", nm), ("identical-payload-digest", same)],
                    title,
                    run_flag_note(r),
                )
            )
    return bars


def _every(n: int, room: int) -> int:
    return max(1, -(-n // room))


def site_section(site: SiteData, days: int, index: int) -> str:
    row = site.row
    status = "ok" if row.last_result == "ok" else "drift" if row.drift else "other"
    out = [
        f'<section class="site" id="site-{esc(row.site)}" data-site="{esc(row.site)}">',
        f'<h2>{esc(row.site)} <span class="badge {status}">{esc(row.last_result)}</span>'
        + ("" if row.has_profile else ' <span class="badge other">no profile</span>')
        + "</h2>",
        f'<p class="facts"><b>{row.articles}</b> articles ({row.versions} versions) · '
        f"<b>{row.runs}</b> runs · last run {esc(_short_time(row.last_run) or '-')} · "
        f"last success {esc(_short_time(row.last_success) or 'never')}</p>",
    ]
    flags = [
        (r, f) for r in reversed(site.runs) for f in (r.get("drift") or {}).get("flags") or []
    ][:MAX_FLAGS]
    if row.drift:
        out.append(
            '<div class="alert"><b>Drift in the last run:</b> '
            + esc(", ".join(row.drift))
            + " — see the flags below.</div>"
        )
    out.append('<div class="grid2">')
    arch = site.archive
    if arch is not None:
        bars, older = per_day_bars(arch, days)
        note = []
        if older:
            note.append(f"{older} published earlier")
        if arch.undated:
            note.append(f"{arch.undated} without a date")
        out.append(
            '<figure class="card wide"><figcaption>Articles per day of publication'
            f" <small>(last {days} days to the newest article"
            + (f"; {', '.join(note)}" if note else "")
            + ")</small></figcaption>"
            + (
                bar_chart(
                    f"perday-{index}",
                    bars,
                    caption=f"{row.site}: articles per day of publication",
                    label_every=_every(len(bars), 8),
                )
                if bars
                else '<p class="empty">No dated article.</p>'
            )
            + "</figure>"
        )
        out.append(
            '<figure class="card wide"><figcaption>Where the publication dates came from'
            " <small>(published_source of every archived version)</small></figcaption>"
            + share_bar(f"sources-{index}", arch.date_sources, f"{row.site}: date sources")
            + "</figure>"
        )
    if site.runs:
        n = len(site.runs)
        every = _every(n, 6)
        drifted = any(run_flag_note(r) for r in site.runs)
        out.append(
            '<figure class="card"><figcaption>Articles per run</figcaption>'
            + bar_chart(
                f"runs-articles-{index}",
                article_run_bars(site.runs),
                caption=f"{row.site}: new and changed articles per run",
                width=340,
                label_every=every,
            )
            + legend([("new", "new"), ("changed", "changed")], marks=drifted)
            + "</figure>"
        )
        out.append(
            '<figure class="card"><figcaption>Extraction failures per run</figcaption>'
            + bar_chart(
                f"runs-failures-{index}",
                health_run_bars(site.runs, "failures"),
                caption=f"{row.site}: extraction failures per run",
                width=340,
                label_every=every,
            )
            + legend([("failures", "failed extractions")], marks=drifted)
            + "</figure>"
        )
        out.append(
            '<figure class="card"><figcaption>Revisits per run</figcaption>'
            + bar_chart(
                f"runs-revisits-{index}",
                health_run_bars(site.runs, "revisits"),
                caption=f"{row.site}: revisit records per run",
                width=340,
                label_every=every,
            )
            + legend(
                [
                    ("server-not-modified", "not modified (304)"),
                    ("identical-payload-digest", "identical payload"),
                ],
                marks=drifted,
            )
            + "</figure>"
        )
    out.append("</div>")
    if flags:
        out.append('<table class="flags"><tr><th>run</th><th>check</th><th>what</th></tr>')
        for report, flag in flags:
            out.append(
                f'<tr class="flag" data-check="{esc(flag["check"])}">'
                f"<td>{esc(_short_time(report.get('started_at')))}</td>"
                f"<td>{esc(flag['check'])}</td><td>{esc(flag['message'])}</td></tr>"
            )
        out.append("</table>")
    elif site.runs:
        out.append('<p class="ok">No drift flag in the runs shown.</p>')
    out.append("</section>")
    return "\n".join(out)


def overview_table(rows: Sequence[SiteRow]) -> str:
    out = [
        '<table class="overview"><tr><th>site</th><th>last run</th><th>result</th>'
        "<th>last success</th><th>articles</th><th>drift flags (last run)</th></tr>"
    ]
    for r in rows:
        cls = "ok" if r.last_result == "ok" else "drift" if r.drift else "other"
        name = (
            f'<a href="#site-{esc(r.site)}">{esc(r.site)}</a>'
            if r.runs or r.articles
            else esc(r.site)
        )
        out.append(
            f'<tr data-site="{esc(r.site)}"><td>{name}</td>'
            f"<td>{esc(_short_time(r.last_run) or '-')}</td>"
            f'<td><span class="badge {cls}">{esc(r.last_result)}</span></td>'
            f"<td>{esc(_short_time(r.last_success) or '-')}</td>"
            f'<td class="num">{r.articles}</td><td>{esc(", ".join(r.drift) or "-")}</td></tr>'
        )
    out.append("</table>")
    return "\n".join(out)


STYLE = """
:root{--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:var(--fg);background:var(--bg)}
header{background:#0f172a;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#cbd5e1}
main{max-width:1180px;margin:0 auto;padding:20px 28px 60px}
h2{font-size:18px;margin:0 0 4px}
section.site{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:18px 20px;margin:22px 0}
.facts{color:var(--muted);margin:0 0 12px}
.facts b{color:var(--fg)}
.grid2{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:14px}
figure.card{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px 12px}
figure.card.wide{grid-column:1/-1}
figcaption{font-weight:600;margin-bottom:6px}
figcaption small{font-weight:400;color:var(--muted)}
svg.chart{width:100%;height:auto;display:block}
svg.chart.share{height:30px}
svg .grid{stroke:#eef2f7}
svg .axis{stroke:#94a3b8}
svg text{font:11px system-ui,sans-serif;fill:#475569}
svg .ylabel{text-anchor:end}
svg .xlabel{text-anchor:middle}
svg .value{text-anchor:middle;font-size:10px;fill:#0f172a}
svg .mark{text-anchor:middle;fill:#dc2626;font-size:13px}
svg g.bar:hover rect{opacity:.8}
ul.legend{list-style:none;margin:6px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px;
color:#334155}
ul.legend li{display:flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px}
.pct{color:var(--muted)}
.markkey{color:#dc2626}
.badge{display:inline-block;font-size:12px;font-weight:600;border-radius:999px;padding:1px 9px;
vertical-align:middle}
.badge.ok{background:#dcfce7;color:#166534}
.badge.drift{background:#fee2e2;color:#991b1b}
.badge.other{background:#e2e8f0;color:#334155}
.alert{background:#fef2f2;border:1px solid #fecaca;color:#7f1d1d;border-radius:8px;
padding:8px 12px;margin:0 0 12px}
table{border-collapse:collapse;width:100%;margin-top:12px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.overview{background:var(--card);border:1px solid var(--line);border-radius:10px}
table.flags td:first-child{white-space:nowrap;color:var(--muted);width:8em}
table.flags td:nth-child(2){white-space:nowrap;width:10em}
p.ok{color:#166534;margin:10px 0 0}
p.empty{color:var(--muted)}
a{color:#1d4ed8;text-decoration:none}
"""


def render(data: ReportData, rows: Sequence[SiteRow]) -> str:
    flagged = sum(1 for r in rows if r.drift)
    crawled = sum(1 for r in rows if r.runs)
    articles = sum(r.articles for r in rows)
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>Crawl report — {esc(data.archive_dir)}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<header><h1>Crawl report</h1>"
        f"<p>{esc(data.archive_dir)} · {articles} articles · {crawled} "
        + ("site" if crawled == 1 else "sites")
        + " crawled · "
        + (
            f'<span class="badge drift">{flagged} with drift</span>'
            if flagged
            else '<span class="badge ok">no drift</span>'
        )
        + f" · generated {esc(data.generated_at.strftime('%Y-%m-%d %H:%M UTC'))}</p></header>",
        "<main>",
        overview_table(rows),
    ]
    if not data.sites:
        body.append('<p class="empty">No run report and no record in this archive yet.</p>')
    for i, site in enumerate(data.sites):
        body.append(site_section(site, data.days, i))
    body.append("</main></body></html>\n")
    return "\n".join(body)


def build_page(paths: ArchivePaths, profiles: Sequence[str], days: int) -> str:
    data, rows = collect(paths, profiles, days)
    return render(data, rows)
