"""HTML, XML and RSS templates of the Nhandan-style sample site (see build_nhandan.py)."""

from __future__ import annotations

import json
from datetime import timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote_plus
from xml.sax.saxutils import escape as xml_escape

from nhandan_model import (
    PER_PAGE,
    SITE_NAME,
    Article,
    B,
    Image,
    Related,
    Site,
    attr,
    h,
    iso,
    long_time,
    parse_dt,
    short_time,
)

# --------------------------------------------------------------------------- page chrome


def head(site: Site, title: str, extra: str = "", description: str = "") -> str:
    desc = f'<meta name="description" content="{attr(description)}">\n' if description else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="vi" class="nhandan">\n<head>\n'
        '<meta charset="utf-8">\n'
        f"<title>{h(title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{desc}"
        f'<meta name="author" content="{SITE_NAME}">\n'
        f'<meta name="copyright" content="Copyright © 2021 by {SITE_NAME}">\n'
        f'<link rel="alternate" type="application/rss+xml" title="Tin mới nhất" href="{B}/rss/home.rss">\n'
        f'<link rel="stylesheet" href="{B}/assets/styles/main.min-1.0.21.css">\n'
        f'<link rel="icon" type="image/png" href="{B}/assets/images/logo-nhandan.png">\n'
        f"{extra}"
        "</head>\n"
    )


def topbar(site: Site) -> str:
    return (
        '<div class="topbar"><div class="container">\n'
        f'<span class="topbar__date">{site.date_bar}</span>\n'
        f'<a class="topbar__link" href="{B}/rss/home.rss">RSS</a>\n'
        f'<form class="topbar__search" action="{B}/tim-kiem" method="get">'
        '<input type="text" name="q" placeholder="Tìm kiếm"></form>\n'
        "</div></div>\n"
    )


def menu(site: Site, active: str = "") -> str:
    items = [
        f'<li class="home"><a class="logo" href="{B}/" title="{SITE_NAME}">{SITE_NAME}</a></li>'
    ]
    for key, name in site.data["sections"].items():
        cls = ' class="active"' if key == active else ""
        items.append(f'<li><a{cls} href="{B}/{key}/" title="{attr(name)}">{h(name)}</a></li>')
    items.append(
        f'<li><a href="{B}/lich?date={site.now:%Y-%m-%d}" title="Lịch sự kiện">Lịch sự kiện</a></li>'
    )
    return (
        '<header class="header"><div class="header__navigation"><div class="container">\n'
        '<ul class="menu">\n' + "\n".join(items) + "\n</ul>\n</div></div></header>\n"
    )


def sidebar(site: Site, which: str) -> str:
    ids = site.data["site"][which]
    items = []
    for rank, ident in enumerate(ids, 1):
        art = site.by_id(ident)
        items.append(
            f'<article class="story"><span class="story__rank">{rank}</span>'
            f'<h3 class="story__heading"><a class="cms-link" href="{B}{art.path}" '
            f'title="{attr(art.title)}">{h(art.title)}</a></h3></article>'
        )
    return (
        '<aside class="sub-col sidebar"><div class="box-most-read">\n'
        '<h3 class="box-heading"><span class="title">Đọc nhiều</span></h3>\n'
        '<div class="box-content">\n' + "\n".join(items) + "\n</div></div>\n"
        '<div class="box-banner rennab" data-position="Web_SdaRight1"></div>\n'
        "</aside>\n"
    )


def footer(site: Site) -> str:
    f = site.data["site"]
    return (
        '<footer class="site-footer"><div class="container">\n'
        '<div class="pages">'
        '<a href="https://dangcongsan.vn" title="Cổng thông tin điện tử Đảng Cộng sản Việt Nam">Cổng thông tin điện tử Đảng Cộng sản Việt Nam</a> '
        '<a href="https://baochinhphu.vn" title="Báo điện tử Chính phủ">Báo điện tử Chính phủ</a>'
        "</div>\n"
        f'<a href="{B}/" class="logo" title="{SITE_NAME}">{SITE_NAME}</a>\n'
        '<div class="info">\n'
        f"<p>{h(f['editor'])}</p>\n"
        f"<p>{h(f['address'])}</p>\n"
        f"<p>{h(f['phone'])}</p>\n"
        '<p>E-mail: <a href="mailto:nhandandientu@nhandan.vn">nhandandientu@nhandan.vn</a></p>\n'
        f'<p class="copyright">{h(f["copyright"])}</p>\n'
        f'<p><a href="{B}/gioi-thieu.html">Giới thiệu</a></p>\n'
        "</div>\n</div></footer>\n"
    )


def page(
    site: Site,
    title: str,
    body: str,
    *,
    extra_head: str = "",
    description: str = "",
    active: str = "",
    body_class: str = "",
) -> str:
    cls = f' class="{body_class}"' if body_class else ""
    return (
        head(site, title, extra_head, description)
        + f"<body{cls}>\n"
        + topbar(site)
        + menu(site, active)
        + '<div class="site-body"><div class="container">\n'
        + body
        + "</div></div>\n"
        + footer(site)
        + f'<script defer src="{B}/assets/js/main.min-1.0.17.js"></script>\n'
        + "</body>\n</html>\n"
    )


def story(site: Site, art: Article, *, href: str | None = None, summary: bool = True) -> str:
    link = href or f"{B}{art.path}"
    thumb = art.images[0].file if art.images else "placeholder.jpg"
    out = (
        '<article class="story">\n'
        f'<figure class="story__thumb"><a class="cms-link" href="{attr(link)}" title="{attr(art.title)}">'
        f'<img src="{B}/images/thumb/{thumb}" alt="{attr(art.title)}"></a></figure>\n'
        f'<h2 class="story__heading"><a class="cms-link" href="{attr(link)}" title="{attr(art.title)}">{h(art.title)}</a></h2>\n'
        f'<time class="story__time" datetime="{iso(art.published)}">{short_time(art.published)}</time>\n'
    )
    if summary:
        out += f'<div class="story__summary">{h(art.lead)}</div>\n'
    return out + "</article>\n"


# --------------------------------------------------------------------------- article page


def related_items(site: Site, art: Article) -> list[Related]:
    out = []
    for item in art.related:
        if isinstance(item, int):
            other = site.by_id(item)
            out.append(Related(other.title, other.path, other.published))
        else:
            target = item.get("id")
            title = item.get("title") or site.by_id(target).title
            out.append(Related(title, item["path"], parse_dt(item["date"])))
    return out


# A 1x1 transparent GIF: what a lazy image shows until the site's script swaps data-src in.
LAZY_PLACEHOLDER = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def srcset(img: Image) -> str:
    return f"{B}/images/{img.file} 480w, {B}/images/w240/{img.file} 240w"


def figure(img: Image, cls: str) -> str:
    """The lead photo loads at once (src + srcset); body photos are lazy (data-src +
    data-srcset, swapped in by assets/js/main.min-1.0.17.js), as on nhandan.vn."""
    if cls == "article__avatar":
        source = f'src="{B}/images/{img.file}" srcset="{srcset(img)}" sizes="480px"'
        lazy = ""
    else:
        source = (
            f'src="{LAZY_PLACEHOLDER}" data-src="{B}/images/{img.file}" '
            f'data-srcset="{srcset(img)}" sizes="480px"'
        )
        lazy = " lazyload"
    return (
        f'<figure class="{cls}">'
        f'<img class="cms-photo{lazy}" {source} width="480" height="270" alt="{attr(img.caption)}" '
        f'cms-photo-caption="{attr(img.figcaption)}">'
        f"<figcaption>{h(img.figcaption)}</figcaption></figure>\n"
    )


# Documents attached to an article (post id -> path, link text): a box after the body.
ATTACHMENTS = {
    223551: ("/files/2015/01/bao-cao-tong-ket-2014.pdf", "Báo cáo tổng kết công tác năm 2014 (PDF)"),
}


def attachment_box(art: Article) -> str:
    if art.id not in ATTACHMENTS:
        return ""
    path, text = ATTACHMENTS[art.id]
    return (
        '<div class="article__attachment"><p class="title">Tài liệu đính kèm</p>'
        f'<a class="file" href="{B}{path}" title="{attr(text)}">{h(text)}</a></div>\n'
    )


def inline_related(site: Site, art: Article) -> str:
    rows = []
    for ident in art.inline_related:
        other = site.by_id(ident)
        rows.append(
            f'<li><a class="cms-link" href="{B}{other.path}" title="{attr(other.title)}">{h(other.title)}</a> '
            f'<span class="time">{other.published:%d/%m/%Y}</span></li>'
        )
    return (
        '<div class="cms-relate box-related-inline"><p class="title">Đọc thêm</p><ul>'
        + "".join(rows)
        + "</ul></div>\n"
    )


def article_body(site: Site, art: Article) -> str:
    parts = ['<div class="article__body zce-content-body cms-body" itemprop="articleBody">\n']
    parts += [f"<p>{h(s)}</p>\n" for s in art.spacer_lines]
    parts += [figure(i, "image align-center") for i in art.images if i.after == -2]
    for n, para in enumerate(art.paragraphs):
        parts.append(f"<p>{h(para)}</p>\n")
        parts += [figure(i, "image align-center") for i in art.images if i.after == n]
        if n == 1 and art.inline_related:
            parts.append(inline_related(site, art))
    if art.see_also is not None:
        other = site.by_id(art.see_also)
        parts.append(
            f'<p class="see-also"><strong>Xem thêm:</strong> <a class="cms-link" href="{B}{other.path}" '
            f'title="{attr(other.title)}">{h(other.title)}</a></p>\n'
        )
    if art.source_line:
        parts.append(f'<p style="text-align: right;"><strong>{h(art.source_line)}</strong></p>\n')
    if art.byline:
        parts.append(f'<div class="article__author"><p class="name">{h(art.byline)}</p></div>\n')
    parts.append("</div>\n")
    return "".join(parts)


def share_bar(art: Article) -> str:
    url = f"{B}{art.path}"
    out = (
        '<div class="features article__social">'
        f'<a class="item fb" href="https://www.facebook.com/sharer/sharer.php?u={url}" target="_blank" '
        'rel="nofollow noopener" title="Facebook"><i class="ic-facebook"></i></a>'
        f'<a class="item twitter" href="https://twitter.com/intent/tweet?url={url}" target="_blank" '
        'rel="nofollow noopener" title="Twitter"><i class="ic-twitter"></i></a>'
        f'<a class="item zalo" href="https://sp.zalo.me/share_inline?url={url}" rel="nofollow" title="Zalo">'
        '<i class="ic-zalo"></i></a>'
    )
    if "print" in art.flags:
        out += (
            f'<a class="item print" href="{B}/print{art.path}" rel="nofollow" title="In bài">'
            '<i class="ic-print"></i> In bài</a>'
        )
    if "amp" in art.flags:
        out += f'<a class="item amp" href="{B}/amp{art.path}" title="Bản AMP">AMP</a>'
    return out + "</div>\n"


def comments_box(site: Site, art: Article) -> str:
    rows = []
    for c in comment_list(site, art):
        rows.append(
            '<div class="comment-item">'
            f'<p class="comment__name">{h(c["name"])}</p>'
            f'<time class="comment__time" datetime="{iso(c["when"])}">{c["when"]:%H:%M %d/%m/%Y}</time>'
            f'<p class="comment__text">{h(c["text"])}</p></div>\n'
        )
    body = (
        "".join(rows)
        or '<p class="comment__empty">Chưa có ý kiến nào. Hãy là người đầu tiên bình luận.</p>\n'
    )
    return (
        '<div class="wrap-comment"><h3 class="box-heading"><span class="title">Ý kiến bạn đọc</span></h3>\n'
        f"{body}"
        '<form class="comment-form" action="#" method="post"><textarea name="content" '
        'placeholder="Ý kiến của bạn"></textarea><button type="button">Gửi bình luận</button></form>\n'
        "</div>\n"
    )


def comment_list(site: Site, art: Article) -> list[dict[str, Any]]:
    """Explicit comments, or two to three from the shared pool, dated after publication."""
    if art.comments:
        return [
            {"name": c["name"], "text": c["text"], "when": parse_dt(c["date"])}
            for c in art.comments
        ]
    pool = site.data["comment_pool"]
    count = art.id % 3
    out = []
    for k in range(count):
        c = pool[(art.id + 5 * k) % len(pool)]
        out.append(
            {
                "name": c["name"],
                "text": c["text"],
                "when": art.published + timedelta(minutes=7 + 9 * k),
            }
        )
    return out


def jsonld(site: Site, art: Article) -> str:
    doc: dict[str, Any] = {
        "@context": "http://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": f"{B}{art.path}"},
        "headline": art.title,
        "description": art.lead,
        "image": {
            "@type": "ImageObject",
            "url": f"{B}/images/{art.images[0].file}",
            "width": 1200,
            "height": 675,
        }
        if art.images
        else None,
        "datePublished": iso(art.published),
        "dateModified": iso(art.modified or art.published),
        "publisher": {
            "@type": "Organization",
            "name": SITE_NAME,
            "logo": {"@type": "ImageObject", "url": f"{B}/assets/img/logo.png"},
        },
    }
    if doc["image"] is None:
        del doc["image"]
    if art.authors:
        doc["author"] = [{"@type": "Person", "name": a} for a in art.authors]
    crumbs = {
        "@context": "http://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": 1,
                "item": {"@id": f"{B}/{art.section}/", "name": site.section_name(art.section)},
            }
        ],
    }
    return (
        f'<script type="application/ld+json">{json.dumps(doc, ensure_ascii=False, indent=1)}</script>\n'
        f'<script type="application/ld+json">{json.dumps(crumbs, ensure_ascii=False)}</script>\n'
    )


def article_head(site: Site, art: Article) -> str:
    url = f"{B}{art.path}"
    modified = art.modified or art.published
    out = f'<link rel="canonical" href="{url}">\n'
    if "amp" in art.flags:
        out += f'<link rel="amphtml" href="{B}/amp{art.path}">\n'
    out += (
        f'<meta name="keywords" content="{attr(",".join(art.tags))}">\n'
        f'<meta property="og:site_name" content="{SITE_NAME}">\n'
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:url" content="{url}">\n'
        f'<meta property="og:title" content="{attr(art.title)}">\n'
        f'<meta property="og:description" content="{attr(art.lead)}">\n'
    )
    if art.images:
        out += f'<meta property="og:image" content="{B}/images/{art.images[0].file}">\n'
    out += (
        f'<meta property="article:section" content="{attr(site.section_name(art.section))}">\n'
        f'<meta property="article:tag" content="{attr(",".join(art.tags))}">\n'
        f'<meta property="article:published_time" content="{iso(art.published)}">\n'
        f'<meta property="article:modified_time" content="{iso(modified)}">\n'
    )
    return out + jsonld(site, art)


def related_box(site: Site, art: Article) -> str:
    rows = []
    for rel in related_items(site, art):
        rows.append(
            '<article class="story">'
            f'<h2 class="story__heading"><a class="cms-link" href="{B}{rel.path}" title="{attr(rel.title)}">'
            f"{h(rel.title)}</a></h2>"
            f'<time class="story__time" datetime="{iso(rel.when)}">{short_time(rel.when)}</time></article>\n'
        )
    if not rows:
        return ""
    return (
        '<div class="related-news"><h3 class="box-heading"><span class="title">Tin liên quan</span></h3>\n'
        '<div class="box-content" data-source="related-news">\n' + "".join(rows) + "</div></div>\n"
    )


def tag_box(art: Article) -> str:
    links = "".join(
        f'<a class="link" href="{B}/tim-kiem?q={quote_plus(t)}" title="{attr(t)}">{h(t)}</a> '
        for t in art.tags
    )
    return f'<div class="article__tag">{links}</div>\n'


def render_article(site: Site, art: Article) -> str:
    section = site.section_name(art.section)
    modified = ""
    if art.modified:
        modified = (
            f'<span class="time-update">Cập nhật: <time datetime="{iso(art.modified)}">'
            f"{short_time(art.modified)}</time></span>\n"
        )
    lead_imgs = "".join(figure(i, "article__avatar") for i in art.images if i.after == -1)
    body = (
        '<div class="article">\n'
        '<div class="breadcrumb breadcrumb-detail">'
        f'<h2 class="main"><a href="{B}/" title="Trang chủ">Trang chủ</a></h2> '
        f'<h2 class="main"><a href="{B}/{art.section}/" title="{attr(section)}" class="active">{h(section)}</a></h2>'
        "</div>\n"
        '<div class="article__header">\n'
        f'<h1 class="article__title cms-title">{h(art.title)}</h1>\n'
        f'<div class="article__sapo cms-desc"><p>{h(art.lead)}</p></div>\n'
        "</div>\n"
        '<div class="col"><div class="main-col content-col">\n'
        '<div class="article__meta">\n'
        f'<time class="time" datetime="{iso(art.published)}" data-time="{int(art.published.timestamp())}" '
        f'data-friendly="false" data-format="full">{long_time(art.published)}</time>\n'
        f'<meta class="cms-date" itemprop="datePublished" content="{iso(art.published)}">\n'
        f"{modified}"
        f"{share_bar(art)}"
        "</div>\n"
        f"{lead_imgs}"
        f"{article_body(site, art)}"
        f"{attachment_box(art)}"
        '<div class="article-footer">\n'
        f"{related_box(site, art)}"
        f"{tag_box(art)}"
        f"{comments_box(site, art)}"
        "</div>\n"
        "</div>\n"
        f"{sidebar(site, art.sidebar)}"
        "</div>\n</div>\n"
    )
    html = page(
        site,
        art.title,
        body,
        extra_head=article_head(site, art),
        description=art.lead,
        active=art.section,
        body_class="detail-normal",
    )
    if "malformed" in art.flags:
        html = malform(html)
    return html


def malform(html: str) -> str:
    """Unclosed tags, a stray end tag and no </body></html>: still a readable article."""
    start = html.index('<div class="article__body')
    end = html.index('<div class="article-footer">')
    body = html[start:end].replace("</p>", "").replace("</li>", "")
    body = body.replace("<p>", "<p><b>", 1)  # never closed
    body = body.replace('<div class="article__author">', '</span><div class="article__author">', 1)
    body = body.replace("</div>\n", "\n", 2)  # article__author and article__body left open
    html = html[:start] + body + html[end:]
    return html.replace("</body>\n</html>\n", "")


def render_amp(site: Site, art: Article) -> str:
    paras = "".join(f"<p>{h(p)}</p>\n" for p in art.paragraphs)
    if art.source_line:
        paras += f"<p><strong>{h(art.source_line)}</strong></p>\n"
    return (
        "<!doctype html>\n"
        '<html amp lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{h(art.title)}</title>\n"
        f'<link rel="canonical" href="{B}{art.path}">\n'
        '<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">\n'
        f'<meta property="article:published_time" content="{iso(art.published)}">\n'
        '<script async src="https://cdn.ampproject.org/v0.js"></script>\n'
        "<style amp-boilerplate>body{visibility:hidden}</style>\n"
        "</head>\n<body>\n"
        f'<header class="amp-header"><a href="{B}/">{SITE_NAME}</a></header>\n'
        '<article class="amp-article">\n'
        f'<h1 class="article__title">{h(art.title)}</h1>\n'
        f'<time datetime="{iso(art.published)}">{long_time(art.published)}</time>\n'
        f'<div class="article__sapo">{h(art.lead)}</div>\n'
        f'<div class="article__body">\n{paras}</div>\n'
        f'<p class="name">{h(art.byline)}</p>\n'
        "</article>\n</body>\n</html>\n"
    )


def render_print(site: Site, art: Article) -> str:
    paras = "".join(f"<p>{h(p)}</p>\n" for p in art.paragraphs)
    if art.source_line:
        paras += f"<p><strong>{h(art.source_line)}</strong></p>\n"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{h(art.title)} - Bản in</title>\n"
        '<meta name="robots" content="noindex, follow">\n'
        f'<link rel="canonical" href="{B}{art.path}">\n'
        '</head>\n<body onload="window.print()" class="print">\n'
        f'<p class="print__site">{SITE_NAME} - {h(site.data["site"]["address"])}</p>\n'
        f'<h1 class="article__title">{h(art.title)}</h1>\n'
        f'<p class="article__time">{long_time(art.published)}</p>\n'
        f'<div class="article__sapo">{h(art.lead)}</div>\n'
        f'<div class="article__body">\n{paras}</div>\n'
        f'<p class="article__author">{h(art.byline)}</p>\n'
        f'<p class="print__url">Địa chỉ bài viết: {B}{art.path}</p>\n'
        "</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- listings and home


def newest_first(arts: list[Article]) -> list[Article]:
    return sorted(arts, key=lambda a: a.published, reverse=True)


def with_route(site: Site, route: str) -> list[Article]:
    return newest_first([a for a in site.articles if route in a.routes])


def listing_path(section: str, page_no: int) -> str:
    return f"/{section}/" if page_no == 1 else f"/{section}/trang-{page_no}"


def listing_file(section: str, page_no: int) -> str:
    return f"{section}/index.html" if page_no == 1 else f"{section}/trang-{page_no}.html"


def render_listings(site: Site) -> dict[str, str]:
    out = {}
    for section, name in site.data["sections"].items():
        arts = [a for a in with_route(site, "listing") if a.section == section]
        pages = [arts[i : i + PER_PAGE] for i in range(0, len(arts), PER_PAGE)] or [[]]
        for no, chunk in enumerate(pages, 1):
            nav = []
            for k in range(1, len(pages) + 1):
                if k == no:
                    nav.append(f'<span class="page active">{k}</span>')
                else:
                    nav.append(f'<a class="page" href="{B}{listing_path(section, k)}">{k}</a>')
            extra = f'<link rel="canonical" href="{B}{listing_path(section, no)}">\n'
            if no < len(pages):
                nxt = f"{B}{listing_path(section, no + 1)}"
                nav.append(f'<a class="next" rel="next" href="{nxt}">Trang sau</a>')
                extra += f'<link rel="next" href="{nxt}">\n'
            if no > 1:
                extra += f'<link rel="prev" href="{B}{listing_path(section, no - 1)}">\n'
            title = name if no == 1 else f"{name} - Trang {no}"
            body = (
                f'<div class="breadcrumb"><ul><li><a href="{B}/">Trang chủ</a></li>'
                f'<li><a href="{B}/{section}/">{h(name)}</a></li></ul></div>\n'
                f'<div class="heading"><h1><a href="{B}/{section}/">{h(name)}</a></h1></div>\n'
                '<div class="col"><div class="main-col content-col"><div class="box-content content-list">\n'
                + "".join(story(site, a) for a in chunk)
                + "</div>\n"
                + f'<div class="pagination">{" ".join(nav)}</div>\n'
                + "</div>\n"
                + sidebar(site, "most_read")
                + "</div>\n"
            )
            out[listing_file(section, no)] = page(
                site,
                f"{title} | {SITE_NAME}",
                body,
                extra_head=extra,
                active=section,
                body_class="section-category",
            )
    return out


def render_home(site: Site) -> str:
    arts = with_route(site, "home")
    tracking = {a.id for a in arts if "tracking" in a.flags}

    def href(a: Article) -> str | None:
        return f"{B}{a.path}?utm_source=fb&utm_medium=social" if a.id in tracking else None

    top, rest = arts[0], arts[1:]
    body = (
        '<div class="col"><div class="main-col content-col">\n'
        '<div class="box-focus">\n' + story(site, top, href=href(top)) + "</div>\n"
        '<div class="box-content content-list">\n'
        + "".join(story(site, a, href=href(a), summary=False) for a in rest)
        + "</div>\n"
        '<div class="box-events"><h3 class="box-heading">Sự kiện trong ngày</h3>'
        f'<a href="{B}/lich?date={site.now:%Y-%m-%d}">Xem lịch sự kiện ngày {site.now:%d/%m/%Y}</a></div>\n'
        "</div>\n" + sidebar(site, "most_read") + "</div>\n"
    )
    extra = f'<link rel="canonical" href="{B}/">\n'
    return page(
        site,
        f"{SITE_NAME} - Tin tức mới nhất",
        body,
        extra_head=extra,
        description="Báo Nhân Dân điện tử: tin tức thời sự, kinh tế, văn hóa, thể thao, thế giới.",
        body_class="homepage",
    )


# --------------------------------------------------------------------------- sitemaps and feed


XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def render_sitemaps(site: Site) -> dict[str, str]:
    out: dict[str, str] = {}
    news_from = site.now - timedelta(hours=48)
    news = [a for a in with_route(site, "news") if a.published >= news_from]
    rows = []
    for a in news:
        rows.append(
            f"<url><loc>{B}{a.path}</loc><news:news><news:publication>"
            "<news:name>Báo Nhân Dân</news:name><news:language>vi</news:language></news:publication>"
            f"<news:publication_date>{iso(a.published)}</news:publication_date>"
            f"<news:title>{xml_escape(a.title)}</news:title>"
            f"<news:keywords>{xml_escape(', '.join(a.tags))}</news:keywords>"
            "</news:news></url>\n"
        )
    out["sitemaps/news.xml"] = (
        XML_HEAD + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        + "".join(rows)
        + "</urlset>\n"
    )
    months: dict[str, list[Article]] = {}
    for a in with_route(site, "sitemap"):
        key = f"{a.published:%Y-%m}" if a.published.year >= 2021 else "archive"
        months.setdefault(key, []).append(a)
    for key, arts in months.items():
        rows = [
            f"<url><loc>{B}{a.path}</loc><lastmod>{iso(a.modified or a.published)}</lastmod>"
            "<changefreq>monthly</changefreq><priority>0.6</priority></url>\n"
            for a in arts
        ]
        out[f"sitemaps/articles-{key}.xml"] = (
            XML_HEAD
            + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "".join(rows)
            + "</urlset>\n"
        )
    cats = "".join(
        f"<url><loc>{B}/{key}/</loc><changefreq>hourly</changefreq></url>\n"
        for key in site.data["sections"]
    )
    out["sitemaps/categories.xml"] = (
        XML_HEAD
        + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + cats
        + "</urlset>\n"
    )
    last = {k: max((a.modified or a.published) for a in v) for k, v in months.items()}
    entries = [("sitemaps/news.xml", site.now)]
    entries += [(f"sitemaps/articles-{k}.xml", last[k]) for k in sorted(months, reverse=True)]
    entries.append(("sitemaps/categories.xml", site.now))
    out["sitemap.xml"] = (
        XML_HEAD
        + '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(
            f"<sitemap><loc>{B}/{p}</loc><lastmod>{iso(d)}</lastmod></sitemap>\n"
            for p, d in entries
        )
        + "</sitemapindex>\n"
    )
    return out


def render_rss(site: Site) -> str:
    items = []
    for a in with_route(site, "rss"):
        img = f'<img src="{B}/images/thumb/{a.images[0].file}" /> ' if a.images else ""
        items.append(
            "<item>\n"
            f"<title>{xml_escape(a.title)}</title>\n"
            f"<link>{B}{a.path}</link>\n"
            f'<guid isPermaLink="true">{B}{a.path}</guid>\n'
            f"<description><![CDATA[{img}{a.lead}]]></description>\n"
            f"<category>{xml_escape(site.section_name(a.section))}</category>\n"
            f"<pubDate>{format_datetime(a.published)}</pubDate>\n"
            "</item>\n"
        )
    return (
        XML_HEAD + '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        f"<title>{SITE_NAME} - Tin mới nhất</title>\n"
        f"<link>{B}/</link>\n"
        f'<atom:link href="{B}/rss/home.rss" rel="self" type="application/rss+xml" />\n'
        "<description>Tin tức mới nhất từ Báo Nhân Dân điện tử</description>\n"
        "<language>vi</language>\n"
        f"<lastBuildDate>{format_datetime(site.now)}</lastBuildDate>\n"
        + "".join(items)
        + "</channel>\n</rss>\n"
    )


def render_robots(site: Site) -> str:
    return (
        "# robots.txt for the sample Nhandan-style site\n"
        "User-agent: *\n"
        "Disallow: /tim-kiem\n"
        "Disallow: /admin/\n"
        "Allow: /\n"
        "\n"
        f"Sitemap: {B}/sitemap.xml\n"
    )


def render_misc(site: Site) -> dict[str, str]:
    about = (
        '<div class="article"><h1 class="article__title">Giới thiệu Báo Nhân Dân điện tử</h1>\n'
        "<p>Báo Nhân Dân điện tử là cơ quan ngôn luận của Đảng Cộng sản Việt Nam, "
        "cập nhật tin tức thời sự trong nước và quốc tế hằng ngày.</p></div>\n"
    )
    search = (
        '<div class="search-result"><h1>Kết quả tìm kiếm</h1>\n'
        "<p>Trang tìm kiếm chỉ dành cho bạn đọc; robots.txt không cho phép thu thập.</p></div>\n"
    )
    not_found = (
        '<div class="page-404"><h1>404 - Không tìm thấy trang</h1>\n'
        f'<p>Bài viết không tồn tại hoặc đã bị gỡ. <a href="{B}/">Về trang chủ</a></p></div>\n'
    )
    return {
        "gioi-thieu.html": page(site, f"Giới thiệu | {SITE_NAME}", about),
        "tim-kiem.html": page(
            site,
            f"Tìm kiếm | {SITE_NAME}",
            search,
            extra_head='<meta name="robots" content="noindex, nofollow">\n',
        ),
        "404.html": page(site, f"Không tìm thấy trang | {SITE_NAME}", not_found),
    }


# --------------------------------------------------------------------------- page resources

MAIN_CSS = """@charset "utf-8";
/* nhandan sample site: main stylesheet (imports the base rules) */
@import url("base-1.0.4.css");
@font-face {
  font-family: "ND Serif";
  src: url("../fonts/nd-serif-bold.ttf") format("truetype");
  font-weight: 700;
  font-display: block;
}
.article__title, .box-heading .title, .story__heading { font-family: "ND Serif", serif; font-weight: 700; }
.article__title { font-size: 30px; line-height: 1.25; color: #1a1a1a; margin: 12px 0; }
.article__sapo { font-weight: 600; color: #333; }
.site-body .container { display: block; }
.col { display: flex; gap: 24px; }
.main-col { flex: 1 1 auto; max-width: 720px; }
.sidebar { flex: 0 0 260px; background: #f4f1ea; padding: 8px; }
figure { margin: 12px 0; }
figure img { display: block; width: 480px; height: 270px; background: #ddd; }
figcaption { font-size: 13px; color: #555; }
.article__attachment { border: 1px solid #c00; padding: 8px; margin: 12px 0; }
.article__attachment .file { color: #c00; font-weight: 700; }
"""

BASE_CSS = """/* nhandan sample site: base rules */
body { margin: 0; font-family: sans-serif; font-size: 16px; color: #222; background: #fff; }
.topbar { background: #b4141e url("../images/header-pattern.png") repeat-x; color: #fff; padding: 6px 12px; }
.topbar a { color: #fff; }
.header { background: #fff; border-bottom: 3px solid #b4141e; }
.menu { list-style: none; margin: 0; padding: 8px 12px; display: flex; gap: 16px; }
.menu .logo { display: inline-block; width: 180px; height: 48px; text-indent: -9999px;
  background: url(../images/logo-nhandan.png) no-repeat; }
.container { max-width: 1100px; margin: 0 auto; padding: 0 12px; }
.site-footer { background: #222; color: #ccc; padding: 16px 12px; margin-top: 24px; }
.site-footer a { color: #fff; }
"""

MAIN_JS = """/* nhandan sample site: lazy images (data-src / data-srcset -> src / srcset) */
(function () {
  function load() {
    var imgs = document.querySelectorAll("img[data-src]");
    for (var i = 0; i < imgs.length; i++) {
      var img = imgs[i];
      if (img.getAttribute("data-srcset")) {
        img.setAttribute("srcset", img.getAttribute("data-srcset"));
      }
      img.setAttribute("src", img.getAttribute("data-src"));
      img.classList.remove("lazyload");
      img.classList.add("lazyloaded");
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", load);
  } else {
    load();
  }
})();
"""


def render_assets() -> dict[str, str]:
    """Stylesheets (main imports base; url() to a font and background images) and the script."""
    return {
        "assets/styles/main.min-1.0.21.css": MAIN_CSS,
        "assets/styles/base-1.0.4.css": BASE_CSS,
        "assets/js/main.min-1.0.17.js": MAIN_JS,
    }


def page_resources(art: Article) -> dict[str, list[str]]:
    """What an article page needs to render or links to, by kind (URLs with __BASE__)."""
    images = [f"{B}/images/{i.file}" for i in art.images]
    images += [f"{B}/images/w240/{i.file}" for i in art.images]
    return {
        "stylesheets": [f"{B}/assets/styles/main.min-1.0.21.css", f"{B}/assets/styles/base-1.0.4.css"],
        "fonts": [f"{B}/assets/fonts/nd-serif-bold.ttf"],
        "css_images": [f"{B}/assets/images/header-pattern.png", f"{B}/assets/images/logo-nhandan.png"],
        "scripts": [f"{B}/assets/js/main.min-1.0.17.js"],
        "icons": [f"{B}/assets/images/logo-nhandan.png"],
        "images": sorted(images),
        "lazy_images": sorted(f"{B}/images/{i.file}" for i in art.images if i.after != -1),
        "documents": [f"{B}{ATTACHMENTS[art.id][0]}"] if art.id in ATTACHMENTS else [],
    }
