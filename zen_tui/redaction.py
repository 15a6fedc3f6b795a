"""Secrets masked in any text: every known token shape, and each value registered at run time.

Apart from zen_tui.logs (which applies it to every log record, and re-exports these names) and
free of `logging`: the config registers the tokens it finds before the log is set up, a
usage or config error is redacted before it is printed, and neither should wait for logging
(with threading, traceback, weakref, string) to load for that.
"""

from __future__ import annotations

import re
from _thread import allocate_lock  # threading.Lock itself, without threading (store/base.py)
from collections.abc import Callable

MASK = "***"
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words


class _Shape:
    """A secret's pattern, compiled the first time a text could hold it.

    Most log lines hold none of these shapes, and a command that writes three lines should
    not compile six case-insensitive patterns first. `could_match` is a plain substring test
    that every match of the pattern passes (each pattern needs that literal text, lowered
    for a case-blind one), so skipping the regex when it fails changes no output.
    """

    def __init__(self, needs: tuple[str, ...], pattern: str, flags: int = 0) -> None:
        self.needs = needs
        self.lower = bool(flags & re.IGNORECASE)
        self.pattern = pattern
        self.flags = flags
        self.compiled: re.Pattern[str] | None = None

    def could_match(self, text: str) -> bool:
        haystack = text.lower() if self.lower else text
        return any(n in haystack for n in self.needs)

    def sub(self, repl: Callable[[re.Match[str]], str], text: str) -> str:
        if not self.could_match(text):
            return text
        if self.compiled is None:
            self.compiled = re.compile(self.pattern, self.flags)
        return self.compiled.sub(repl, text)


def _not_in_a_word(word: str) -> str:
    """A lookbehind: not right after a `word` character (so `barcode=7` is not a `code=`),
    or right after an escape that stands for another character: `\\n`, `\\x1b`, `\\u2028`
    (a repr, a JSON string, a bytes repr of text) or `%0A` (a URL): there the letter before
    the secret is the escape's, and the secret starts a word of its own."""
    return (
        rf"(?:(?<![{word}])|(?<=\\[nrt])|(?<=\\x[0-9A-Fa-f]{{2}})"
        r"|(?<=\\u[0-9A-Fa-f]{4})|(?<=%[0-9A-Fa-f]{2}))"
    )


# Known token shapes; the prefix is kept so a log still says which kind of token it was.
# Slack's rotating tokens (`xoxe.xoxp-1-…`, `xoxe.xoxb-1-…`, refresh `xoxe-1-…`) carry an
# opaque base64 body: masked to its end even if it holds `+` or `/`, which would otherwise
# end the match and leave the rest of the token in the text.
_PREFIXED = _Shape(
    ("gh", "github_pat_", "xox", "xapp-", "ATATT"),
    _not_in_a_word("A-Za-z0-9")  # not inside a word, but "TOKEN_ghp_..." still counts
    + r"(?:(xoxe\.xox[bp]-|xoxe-)[A-Za-z0-9_\-=.+/]{4,}"
    r"|(gh[opusr]_|github_pat_|xox[abpr]-|xapp-|ATATT)[A-Za-z0-9_\-=.]{4,})",
)
# Authorization: Bearer|Basic|token <value>, in headers, JSON and Python reprs.
_AUTH_HEADER = _Shape(
    ("author",),  # no "i" or "s": re.IGNORECASE matches U+0131 and U+017F to them
    rf"""({_not_in_a_word("A-Za-z0-9_")}authorization(?:["']?\s*[:=]|["']\s*,)\s*["']?)"""
    r"""(?:(bearer|basic|token)\s+)?([^\s"',;})\]]+)""",
    re.IGNORECASE,
)
_OAUTH_FIELDS = (
    "code|access_token|refresh_token|client_secret|code_verifier|device_code|id_token"
    "|password|client_assertion"
)
# ?code=...&access_token=... in URLs and form bodies.
_FORM_FIELD = _Shape(
    ("=",), rf"{_not_in_a_word('A-Za-z0-9_')}({_OAUTH_FIELDS})=([^&\s\"'#]+)", re.IGNORECASE
)
# "access_token": "..." in JSON, 'access_token': '...' in reprs, \"access_token\": \"...\"
# in JSON held in a JSON string.
_QUOTED_FIELD = _Shape(
    ('"', "'"),
    rf"""(\\?["']({_OAUTH_FIELDS})\\?["']\s*:\s*)(\\?["'])(.*?)(?<!\\)\3""",
    re.IGNORECASE,
)
# https://user:password@host
_URL_PASSWORD = _Shape(("://",), r"(://[^/\s:@]+:)([^/\s@]+)(@)")
# Cookie / Set-Cookie values: in header lines, dict and tuple reprs (httpcore logs the raw
# header pairs at DEBUG, e.g. (b'Set-Cookie', b'session=...; Path=/')) and JSON.
_COOKIE = _Shape(
    ("cook",),
    rf"""({_not_in_a_word("A-Za-z0-9_")}(?:set-)?cookie(?:["']?\s*[:=]|["']\s*,)\s*b?["']?)"""
    r"""([^"'\r\n]+)""",
    re.IGNORECASE,
)

_secrets: set[str] = set()
_secrets_lock = allocate_lock()


def register_secret(value: str | None) -> None:
    """Mask this exact value everywhere from now on (tokens loaded at runtime)."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        with _secrets_lock:
            _secrets.add(value)


def _auth_sub(m: re.Match[str]) -> str:
    scheme = f"{m.group(2)} " if m.group(2) else ""
    return f"{m.group(1)}{scheme}{MASK}"


def redact(text: str) -> str:
    """`text` with every known token shape and registered secret replaced by ***."""
    if not text:
        return text
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _PREFIXED.sub(lambda m: (m.group(1) or m.group(2)) + MASK, text)
    text = _AUTH_HEADER.sub(_auth_sub, text)
    text = _FORM_FIELD.sub(lambda m: f"{m.group(1)}={MASK}", text)
    text = _QUOTED_FIELD.sub(lambda m: f"{m.group(1)}{m.group(3)}{MASK}{m.group(3)}", text)
    text = _COOKIE.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
