"""Body-recall stress test: the real golden pages with their markup rewritten in named ways.

Our body walker and layout guesser were developed on pages whose text sits in ``<p>`` elements
of one container. Real pages of unknown sites do not always do that. This bench takes the real
corpus pages of ``tests/golden`` (the sample-site pages are left out: they are one template) and
rewrites each page's markup, keeping its text:

- ``as is``: the page parsed and serialised again (the baseline of the others);
- ``p→div``: every ``<p>`` becomes a ``<div>`` (text in divs, as many CMSs write it);
- ``p→br``: every ``<p>`` is unwrapped, its text followed by ``<br><br>`` (legacy bodies);
- ``split``: the element whose own ``<p>`` children hold the most text is cut into three
  sibling copies of itself (same tag and class), each with a third of the children, with a
  figure (image and caption) and an ad slot between them (a body split around media);
- ``related``: a "Xem thêm:" line and a "Tin liên quan" list of headline links in the middle
  of the body, a "Tin mới" list of links with dates at its end, in plain markup (no class
  naming them); their headlines count as leaks.

Each variant is extracted with **no profile** by ours (``extract_article(profile=None)``: the
layout guesser, else the generic path) and by bare ``trafilatura.bare_extraction``, in the same
run. Scored per page, like section 2 of ``bench/eval.py``: *start* (the hand-checked first
sentence within the first 300 characters), *end* (the text ends with the hand-checked last
sentence), *clean* (none of the page's hand-listed boilerplate snippets); plus *sentences*: of
the sentences of the text our profile extracts from the unmodified page (the text the golden
test checks), how many are found in the output (ours: lead and text; trafilatura: its text),
split and matched by the rules of ``bench/eval_vndev.py`` (*recall* over all sentences, where
vbpl's constitution has 441 of 732; *page mean*, the mean of each page's share); and *leaks*,
the boilerplate snippets found, summed.

    .venv/bin/python bench/stress.py            # the table
    .venv/bin/python bench/stress.py --misses   # and what each system missed per page
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import lxml.html
from lxml.html import HtmlElement

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from bench.eval_vndev import contains, match_key, sentences  # noqa: E402
from extraction.article import ExtractionError, extract_article  # noqa: E402
from extraction.htmltree import decode_html, parse_html  # noqa: E402

MIN_P_CHARS = 30  # a <p> this long is a paragraph when choosing the container to split


# --- transforms (each returns a new tree; the input is left alone) ----------------------------


def as_is(tree: HtmlElement) -> HtmlElement:
    return deepcopy(tree)


def p_to_div(tree: HtmlElement) -> HtmlElement:
    out = deepcopy(tree)
    for p in list(out.iter("p")):
        p.tag = "div"
    return out


def _unwrap(el: HtmlElement) -> None:
    """Replace ``el`` by its content (text, children, tail) in its parent."""
    parent = el.getparent()
    if parent is None:
        return
    el.drop_tag()


def p_to_br(tree: HtmlElement) -> HtmlElement:
    """Every ``<p>`` → its content followed by ``<br><br>``."""
    out = deepcopy(tree)
    for p in list(out.iter("p")):
        br1, br2 = lxml.html.Element("br"), lxml.html.Element("br")
        br2.tail, p.tail = p.tail, None
        p.append(br1)
        p.append(br2)
        _unwrap(p)
    return out


def _paragraph_container(tree: HtmlElement) -> HtmlElement | None:
    score: dict[HtmlElement, int] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        chars = len(" ".join(p.text_content().split()))
        if parent is not None and chars >= MIN_P_CHARS:
            score[parent] = score.get(parent, 0) + chars
    return max(score, key=lambda k: score[k]) if score else None


def split_container(tree: HtmlElement) -> HtmlElement:
    """The paragraph container cut into three sibling copies, media and an ad between."""
    out = deepcopy(tree)
    box = _paragraph_container(out)
    parent = box.getparent() if box is not None else None
    if box is None or parent is None:
        return out
    children = list(box)
    sizes = [len(c.text_content()) for c in children]
    total = sum(sizes) or 1
    cuts: list[int] = []
    running = 0
    for index, size in enumerate(sizes):
        running += size
        if len(cuts) < 2 and running >= total * (len(cuts) + 1) / 3 and index < len(children) - 1:
            cuts.append(index + 1)
    groups = [children[a:b] for a, b in zip([0, *cuts], [*cuts, len(children)], strict=True)]
    between = [
        '<figure class="image"><img src="https://example.org/stress.jpg" width="600">'
        "<figcaption>Ảnh minh họa</figcaption></figure>",
        '<div class="ads-slot"><a href="https://example.org/ad">Quảng cáo</a></div>',
    ]
    position = parent.index(box)
    tail, box.tail = box.tail, None
    parts: list[HtmlElement] = []
    for number, group in enumerate(groups):
        # three <article>s would be three articles: the copies of a semantic box are divs
        tag = "div" if box.tag in ("article", "main") else box.tag
        part = lxml.html.Element(tag, dict(box.attrib))
        if number:
            part.attrib.pop("id", None)
        part.text = box.text if number == 0 else None
        for child in group:
            part.append(child)  # moves it out of ``box``
        parts.append(part)
        if number < len(groups) - 1:
            parts.append(lxml.html.fragment_fromstring(between[number % len(between)]))
    parent.remove(box)
    for offset, part in enumerate(parts):
        parent.insert(position + offset, part)
    parts[-1].tail = tail
    return out


# Related headlines and a recent-news list put into the body with no class to tell them apart
# (only their wording and their links): none of them may reach the text.
RELATED_HEADLINES = (
    "Giá xăng dầu hôm nay tiếp tục tăng mạnh lần thứ ba liên tiếp",
    "Hà Nội công bố kế hoạch tuyển sinh lớp 10 cho năm học mới",
    "Ngân hàng Nhà nước điều chỉnh lãi suất điều hành từ tuần sau",
    "Thời tiết miền Bắc chuyển rét đậm rét hại từ cuối tuần này",
    "Xuất khẩu nông sản đạt kỷ lục mới trong quý đầu năm nay",
)


def _link(headline: str, number: int) -> str:
    return f'<a href="https://example.org/tin-{number}.html">{headline}</a>'


def related_boxes(tree: HtmlElement) -> HtmlElement:
    """A "Xem thêm:" line and a "Tin liên quan" list in the middle of the body, a "Tin mới"
    list with dates at its end; plain markup, no class naming them."""
    out = deepcopy(tree)
    box = _paragraph_container(out)
    if box is None:
        return out
    a, b, c, d, e = RELATED_HEADLINES
    see_also = lxml.html.fragment_fromstring(f"<p>Xem thêm: {_link(a, 1)}</p>")
    related = lxml.html.fragment_fromstring(
        f"<div><p><strong>Tin liên quan</strong></p><ul><li>{_link(b, 2)}</li>"
        f"<li>{_link(c, 3)}</li></ul></div>"
    )
    recent = lxml.html.fragment_fromstring(
        f"<div><p><b>Tin mới</b></p><div>{_link(d, 4)} <span>07/03/2026 08:15</span></div>"
        f"<div>{_link(e, 5)} <span>07/03/2026 07:40</span></div></div>"
    )
    paragraphs = [c for c in box if c.tag == "p"]
    if not paragraphs:
        return out
    middle = paragraphs[len(paragraphs) // 2]
    middle.addnext(related)
    middle.addnext(see_also)
    box.append(recent)
    return out


TRANSFORMS: dict[str, Callable[[HtmlElement], HtmlElement]] = {
    "as is": as_is,
    "p→div": p_to_div,
    "p→br": p_to_br,
    "split": split_container,
    "related": related_boxes,
}
# Boilerplate a rewrite adds (scored as leaks of that variant, besides the page's own).
ADDED_BOILERPLATE: dict[str, tuple[str, ...]] = {"related": RELATED_HEADLINES}

# --- systems --------------------------------------------------------------------------------


@dataclass
class Body:
    text: str
    lead: str = ""


def ours(html: str, url: str, fetched_at: datetime) -> Body:
    try:
        record = extract_article(html, url, fetched_at=fetched_at, profile=None)
    except ExtractionError:
        return Body("")
    return Body(str(record.get("text") or ""), str(record.get("lead") or ""))


def bare(html: str, url: str, fetched_at: datetime) -> Body:
    doc: Any = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    return Body(str(doc.text or "") if doc is not None else "")


SYSTEMS: dict[str, Callable[[str, str, datetime], Body]] = {
    "ours (no profile)": ours,
    "trafilatura (bare)": bare,
}

# --- scoring --------------------------------------------------------------------------------


@dataclass
class Row:
    pages: int = 0
    start: int = 0
    end: int = 0
    clean: int = 0
    found: int = 0
    sentences: int = 0
    leaks: int = 0
    page_recall: float = 0.0  # sum over pages of each page's share of sentences found
    misses: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.sentences if self.sentences else 1.0


def _goldens() -> list[dict[str, Any]]:
    from tools.regen_golden import golden_files, load_golden

    goldens = [load_golden(path) for path in golden_files()]
    return [g for g in goldens if str(g["page"]).startswith("tests/data/html/")]


def score(
    golden: dict[str, Any], body: Body, row: Row, label: str, added: tuple[str, ...] = ()
) -> None:
    from tools.regen_golden import norm

    checked = golden["checked"]
    text = norm(body.text)
    key = match_key(f"{body.lead}\n{body.text}")
    reference = sentences(str(golden["extracted"]["text"]))
    found = [s for s in reference if contains(key, s)]
    leaks = [s for s in (*checked["must_not_contain"], *added) if s in text]
    first, last = checked["first_sentence"], checked["last_sentence"]
    row.pages += 1
    row.start += first in text[: len(first) + 300]
    row.end += text.endswith(last)
    row.clean += not leaks
    row.found += len(found)
    row.sentences += len(reference)
    row.page_recall += len(found) / len(reference) if reference else 1.0
    row.leaks += len(leaks)
    start, end = first in text[: len(first) + 300], text.endswith(last)
    if len(found) < len(reference) or leaks or not start or not end:
        missing = len(reference) - len(found)
        row.misses.append(
            f"{label}: {missing} of {len(reference)} sentences missing"
            + (f", leaks {leaks}" if leaks else "")
            + ("" if start else ", bad start")
            + ("" if end else ", bad end")
        )


def run_stress() -> dict[tuple[str, str], Row]:
    """(transform, system) -> totals over the real golden pages."""
    rows: dict[tuple[str, str], Row] = {}
    for golden in _goldens():
        from tools.regen_golden import page_bytes

        url = str(golden["url"])
        fetched_at = datetime.fromisoformat(golden["fetched_at"])
        tree = parse_html(decode_html(page_bytes(golden), golden.get("headers")))
        label = str(golden["page"]).removeprefix("tests/data/html/")
        for transform, rewrite in TRANSFORMS.items():
            html = lxml.html.tostring(rewrite(tree), encoding="unicode")
            for system, run in SYSTEMS.items():
                row = rows.setdefault((transform, system), Row())
                added = ADDED_BOILERPLATE.get(transform, ())
                score(golden, run(html, url, fetched_at), row, label, added)
    return rows


def stress_table(rows: dict[tuple[str, str], Row], misses: bool = False) -> str:
    lines = [
        "| markup | system | pages | start | end | clean | sentences | recall | page mean "
        "| leaks |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (transform, system), row in rows.items():
        lines.append(
            f"| {transform} | {system} | {row.pages} | {row.start}/{row.pages} "
            f"| {row.end}/{row.pages} | {row.clean}/{row.pages} | {row.found}/{row.sentences} "
            f"| {100 * row.recall:.1f}% | {100 * row.page_recall / max(row.pages, 1):.1f}% "
            f"| {row.leaks} |"
        )
    if misses:
        for (transform, system), row in rows.items():
            for miss in row.misses:
                lines.append(f"- {transform} / {system} / {miss}")
    return "\n".join(lines)


def totals(rows: dict[tuple[str, str], Row], system: str) -> Row:
    """One system's totals over the rewritten variants (``as is`` left out)."""
    total = Row()
    for (transform, name), row in rows.items():
        if name != system or transform == "as is":
            continue
        for attr in (
            "pages",
            "start",
            "end",
            "clean",
            "found",
            "sentences",
            "leaks",
            "page_recall",
        ):
            setattr(total, attr, getattr(total, attr) + getattr(row, attr))
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--misses", action="store_true", help="list misses per page")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    print(stress_table(run_stress(), misses=args.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
