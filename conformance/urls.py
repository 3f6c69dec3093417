"""A server's base URL as the user gives it: what is wrong with it, in one sentence, and how
it may be shown (without credentials).

A leaf module, like ``stats``: the suite (``--target-url``), the Locust profile (``--host``)
and the reference server's load tool (``--url``) check a base URL the same way.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

IPV6_HINT = " (an IPv6 address goes in brackets: http://[::1]:8065)"
_EXAMPLE = "give the site's base URL, e.g. https://chat.example.com"
_CREDENTIALS = re.compile(r"(?<=//)[^/?#]*@")


def without_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` removed, for messages and reports; found without
    parsing it where it does not parse (an unclosed [)."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
    except ValueError:
        return _CREDENTIALS.sub("", url, count=1)
    return url if parts.username is None else url.replace(parts.netloc, parts.netloc.split("@")[-1])


def base_url_problem(url: str, option: str) -> str | None:
    """What keeps ``url`` (given as ``option``) from being a server's http(s) base URL, as a
    sentence saying what to give instead; None if nothing does."""
    shown = repr(without_credentials(url))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        # urlsplit and .port raise for an unclosed or invalid [IPv6] part and a bad port.
        if "port" in str(error).lower():
            return (
                f"{option} has a bad port: not {shown}; give a port from 1 to 65535, or none for "
                f"the scheme's default{IPV6_HINT if url.count(':') > 2 else ''}"
            )
        # Python's "Invalid IPv6 URL" means a [ or ] without the other.
        brackets = url.count("[") != url.count("]")
        reason = "a [ without its ] or a ] without its [" if brackets else str(error)
        return f"{option} cannot be read as a URL ({reason}): not {shown}; {_EXAMPLE}{IPV6_HINT}"
    if parts.scheme not in ("http", "https"):
        return f"{option} must be an http:// or https:// URL, not {shown}"
    if not parts.hostname:
        return f"{option} has no host name: not {shown}; {_EXAMPLE}"
    if parts.query or parts.fragment or "@" in parts.netloc:
        return (
            f"{option} must be the site's base URL, without a query, fragment or user name "
            f"(the tokens authenticate): not {shown}"
        )
    if port == 0:
        return (
            f"{option} has a bad port: not {shown}; give a port from 1 to 65535, or none for the "
            "scheme's default"
        )
    return None
