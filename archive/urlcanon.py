"""URL canonicalisation: one URL per article before scheduling and in records.

``canonicalize_url`` removes what does not identify the page (tracking parameters,
fragments, default ports, letter case of scheme and host, query order).
``fold_variant`` maps AMP and print variants of an article back to the article URL.
Both are pure functions of the URL string.
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
