"""Canonical URLs: one spelling per article, so two feeds linking it agree.

courlan (trafilatura's URL library) does the hard part — lower-casing scheme and host,
dropping default ports, removing known tracking parameters (utm_*, fbclid, gclid, ...)
and sorting the query. We add what news feeds need on top: fragments dropped, a few
feed-specific referral parameters removed, and a fallback that never raises.
"""

from __future__ import annotations

from contextlib import suppress
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from courlan import normalize_url

# Referral markers CMSs append to links in their RSS output; they never select content.
_FEED_REFERRAL_PARAMS = frozenset(
    {
        "from",
        "ref",
        "ref_src",
        "rss",
        "source",
        "cmpid",
        "ito",
        "mc_cid",
        "mc_eid",
        "yclid",
        "_openstat",
        "at_medium",
        "at_campaign",
        "ocid",
        "rss_id",
        "igshid",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mkt_tok",
        "_ga",
        "_gl",
        "twclid",
        "wt_mc",
    }
)


def _strip_params(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in _FEED_REFERRAL_PARAMS and not key.lower().startswith("utm_")
    ]
    return urlunsplit(parts._replace(query=urlencode(sorted(kept))))


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """The form we key stories on; None when there is no usable http(s) URL."""
    if not url:
        return None
    url = url.strip()
    try:
        if base:
            url = urljoin(base, url)
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # "http://[::1", a port that is no number ("host:22:30Z"): no usable URL
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower()
    if (scheme, port) in (("http", 80), ("https", 443)):
        netloc = netloc.rsplit(":", 1)[0]
    url = urlunsplit(parts._replace(scheme=scheme, netloc=netloc, fragment=""))
    # courlan rejects some exotic hosts; our own folding above still applies then.
    with suppress(ValueError, TypeError):
        url = normalize_url(url, trim_fragments=True)
    return _strip_params(url)
