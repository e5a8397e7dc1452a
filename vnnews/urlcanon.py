"""URL canonicalisation: one URL per article before scheduling and in records.

``canonicalize_url`` removes what does not identify the page (tracking parameters,
fragments, default ports, letter case of scheme and host, query order).
``fold_variant`` maps AMP and print variants of an article back to the article URL.
``is_template_canonical`` tells a ``rel=canonical`` that no article can mean (the home page,
the page's URL without its article id). ``site_key`` names the site a URL is on (``www.``,
``m.``, ``amp.``, ``mobile.`` hosts, scheme and default ports fold; another host or port does
not), and ``article_key`` is the one rule for an article's identity: the ``rel=canonical`` when
it is on the page's own site, else the page's own URL. All are pure functions of URL strings.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonicalize

# Exact parameter names that only track the visitor or campaign. ``ref`` is left
# alone on purpose: some CMSs use it for content (``?ref=123`` article id).
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "zarsrc",
        "_ga",
        "_gl",
        "mc_cid",
        "mc_eid",
        "igshid",
        "__twitter_impression",
    }
)
# Prefixes: utm_source, utm_medium, ... and Zalo's zarsrc variants.
TRACKING_PREFIXES = ("utm_",)

_DEFAULT_PORTS = {"http": 80, "https": 443}

# AMP and print variants: query flags, a path segment, or an ``amp.`` host.
_VARIANT_FLAGS = frozenset({"amp", "print", "outputtype", "output"})
_VARIANT_FLAG_VALUES = frozenset({"", "1", "true", "yes", "amp", "print"})
_AMP_SEGMENT = re.compile(r"/(?:amp|print)(?=/)", re.IGNORECASE)
_AMP_SUFFIX = re.compile(r"(?:/amp|/print|\.amp)/?$", re.IGNORECASE)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _strip_default_port(netloc: str, scheme: str) -> str:
    host, sep, port = netloc.rpartition(":")
    if not sep or "]" in port:  # no port, or the colon belongs to an IPv6 literal
        return netloc
    if port.isdigit() and int(port) == _DEFAULT_PORTS.get(scheme):
        return host
    return netloc


def canonicalize_url(url: str) -> str:
    """Return the canonical form of ``url``.

    Lowercases scheme and host, drops the fragment, default ports and tracking
    parameters, sorts the remaining query parameters (w3lib), and normalises
    percent-encoding. Non-HTTP URLs are returned with only w3lib's treatment.
    """
    parts = urlsplit(url.strip())
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in pairs if not _is_tracking(k)]
    scheme = parts.scheme.lower()
    netloc = _strip_default_port(parts.netloc.lower(), scheme)
    cleaned = urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))
    return _w3lib_canonicalize(cleaned, keep_blank_values=True)


def _fold_query(query: str) -> str:
    kept = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if not (k.lower() in _VARIANT_FLAGS and v.lower() in _VARIANT_FLAG_VALUES)
    ]
    return urlencode(kept)


def _fold_path(path: str) -> str:
    path = _AMP_SUFFIX.sub("", path)
    path = _AMP_SEGMENT.sub("", path, count=1)
    return path or "/"


def fold_variant(url: str) -> str:
    """Map an AMP or print variant of an article URL to the article URL, canonicalised.

    Handles ``/amp/...`` and ``/print/...`` path prefixes, ``.../amp`` and ``....amp``
    suffixes, ``?amp=1`` / ``?print=1`` style flags, and ``amp.`` hosts.
    """
    parts = urlsplit(canonicalize_url(url))
    host = parts.netloc
    if host.startswith("amp."):
        host = host[len("amp.") :]
    folded = urlunsplit((parts.scheme, host, _fold_path(parts.path), _fold_query(parts.query), ""))
    return canonicalize_url(folded)


# Query parameters that name an article (``/tin-tuc/chi-tiet?id=1229``, ``Detail.aspx?ItemID=45``,
# WordPress ``?p=123``); their value holds a digit. A path segment with an id has 2+ digits.
_ID_PARAMS = frozenset(
    {
        "id",
        "nid",
        "newsid",
        "news_id",
        "itemid",
        "item_id",
        "articleid",
        "article_id",
        "postid",
        "post_id",
        "contentid",
        "content_id",
        "tinid",
        "baiviet",
        "p",
    }
)
_ID_SEGMENT = re.compile(r"\d{2,}")


def _id_like(name: str, value: str) -> bool:
    return name.lower() in _ID_PARAMS and any(c.isdigit() for c in value)


#: first host labels that name a variant of a site (desktop, mobile, AMP), not another site
_VARIANT_HOST_LABELS = ("www.", "m.", "amp.", "mobile.")


def site_key(url: str) -> str:
    """The site ``url`` is on, as article identity and syndication see it: the host (lower
    case, no trailing dot) without leading ``www.``/``m.``/``amp.``/``mobile.`` labels (while
    a dot remains), with ``:port`` when the port is not the scheme's default. The scheme does
    not count. ``https://amp.nhandan.vn/x`` and ``http://www.nhandan.vn:80/y`` are on
    ``nhandan.vn``; ``baotintuc.vn``, ``tinhuy.nhandan.vn`` and ``nhandan.vn:8080`` are other
    sites. "" when ``url`` has no host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower().rstrip(".")
    folded = True
    while folded:
        folded = False
        for label in _VARIANT_HOST_LABELS:
            if host.startswith(label) and "." in host[len(label) :]:
                host = host[len(label) :]
                folded = True
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


def same_site(url: str, other: str) -> bool:
    """Whether two URLs are on one site (:func:`site_key`)."""
    key = site_key(url)
    return bool(key) and key == site_key(other)


def article_key(url: str, canonical: str | None) -> str:
    """The article a page is a version of: its ``rel=canonical`` (``canonical``) when that is
    on the page's own site (:func:`same_site`: AMP, mobile, print and tracking variants fold
    into one article), else the page's own ``url``: a canonical on another site (a
    republished copy naming its original) never makes the copy the original's article.
    Records with no ``url`` are named by ``canonical``."""
    if not url:
        return canonical or ""
    if canonical and canonical != url and same_site(url, canonical):
        return canonical
    return url


def is_template_canonical(page_url: str, canonical: str) -> bool:
    """A ``rel=canonical`` (absolute) that no article can mean, as CMS templates write them:
    the site root for a page that is not the root, or the page's own URL without the part that
    names the article: an id-like query parameter (``/tin-tuc/chi-tiet?id=1229`` ->
    ``/tin-tuc/chi-tiet``) or a last path segment with an id (``/tin/12345`` -> ``/tin``).
    Scheme, variant hosts (:func:`site_key`), default ports, tracking parameters and query
    order do not count."""
    page = urlsplit(canonicalize_url(page_url))
    target = urlsplit(canonicalize_url(canonical))
    if target.path in ("", "/") and page.path not in ("", "/"):
        return True
    if not same_site(page_url, canonical):
        return False
    page_path, target_path = page.path.rstrip("/"), target.path.rstrip("/")
    page_query = parse_qsl(page.query, keep_blank_values=True)
    target_query = parse_qsl(target.query, keep_blank_values=True)
    if page_path == target_path:
        dropped = [pair for pair in page_query if pair not in target_query]
        kept_all = all(pair in page_query for pair in target_query)
        return bool(dropped) and kept_all and all(_id_like(k, v) for k, v in dropped)
    head, _, last = page_path.rpartition("/")
    return (
        head == target_path
        and bool(_ID_SEGMENT.search(last))
        and sorted(page_query) == sorted(target_query)
    )
