"""Make URLs and messages safe to log: passwords in URLs and secret query params become ***.

A leaf module: serving (posters, cache) and catalog (the TMDB fetcher) both log URLs.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token", "access_token", "password", "secret"})
_MASK = "***"
# secret=value pairs inside free text (exception messages often embed the URL)
_PARAM_IN_TEXT = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_PARAMS, key=len, reverse=True)) + r")=([^&\s'\"<>)]+)")
_USERINFO_IN_TEXT = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/@\s'\"]*)@")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._\-+/=]+")


def redact_url(url: str | None) -> str:
    """URL with any user:password and secret query values replaced by ***; never raises."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = _MASK + "@" + netloc.rsplit("@", 1)[1]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(k, _MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="*")
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return redact_text(url)


def redact_text(text: str, *secrets: str | None) -> str:
    """Free text with URL credentials, secret params, bearer tokens and the given secrets masked."""
    out = _USERINFO_IN_TEXT.sub(lambda m: m.group(1) + _MASK + "@", str(text))
    out = _PARAM_IN_TEXT.sub(lambda m: m.group(1) + "=" + _MASK, out)
    out = _BEARER.sub(lambda m: m.group(1) + _MASK, out)
    for secret in secrets:
        if secret:
            out = out.replace(secret, _MASK)
    return out
