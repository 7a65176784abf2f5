"""Masking secrets in any text cvframe shows: messages, logs, reprs.

A secret does not always appear as itself. ``requests`` quotes a bad header with
``repr()`` (a trailing ``\\r`` becomes ``\\\\r``), a redirect's ``Location`` carries
it URL-encoded, a server echoes it JSON-escaped, and a message cut to a length may
end half way through it. :func:`redact` masks every one of those spellings, and any
run of :data:`MIN_FRAGMENT` or more characters taken from one of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = ["MIN_FRAGMENT", "REDACTED", "redact", "secret_forms"]

#: What a secret is replaced with.
REDACTED = "**********"
#: A run of at least this many characters of a secret's spelling is masked too, so a
#: secret cut off by a truncated message leaks no part long enough to matter. (Shorter
#: runs are common text: masking them would garble messages for nothing.)
MIN_FRAGMENT = 10


def secret_forms(secret: str) -> set[str]:
    """Every spelling of ``secret`` a message may carry: raw, stripped, escaped, encoded.

    >>> sorted(secret_forms("a b\\r"))  # doctest: +NORMALIZE_WHITESPACE
    ['a b', 'a b\\r', 'a b\\\\r', 'a%20b', 'a%20b%0D', 'a+b', 'a+b%0D']
    """
    forms: set[str] = set()
    for value in {secret, secret.strip()}:
        if not value:
            continue
        forms.add(value)
        forms.add(repr(value)[1:-1])
        forms.add(ascii(value)[1:-1])
        forms.add(json.dumps(value)[1:-1])
        forms.add(repr(value.encode("utf-8", "surrogatepass"))[2:-1])
        forms.add(quote(value, safe=""))
        forms.add(quote(value))
        forms.add(quote_plus(value))
    return {form for form in forms if form}


def _fragment_spans(text: str, forms: Iterable[str]) -> list[tuple[int, int]]:
    """The spans of ``text`` made of runs of MIN_FRAGMENT or more characters of a form."""
    grams = {
        form[i : i + MIN_FRAGMENT]
        for form in forms
        if len(form) >= MIN_FRAGMENT
        for i in range(len(form) - MIN_FRAGMENT + 1)
    }
    if not grams:
        return []
    spans: list[tuple[int, int]] = []
    for i in range(len(text) - MIN_FRAGMENT + 1):
        if text[i : i + MIN_FRAGMENT] in grams:
            end = i + MIN_FRAGMENT
            if spans and i <= spans[-1][1]:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((i, end))
    return spans


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every spelling of every secret in ``text`` (and any long part of one).

    >>> redact("header value: 'tok-0123456789\\\\r'", ["tok-0123456789\\r"])
    "header value: '**********'"
    >>> redact("cut off: xyz tok-012345", ["tok-0123456789"])
    'cut off: xyz **********'
    """
    forms: set[str] = set()
    for secret in secrets:
        if secret:
            forms |= secret_forms(secret)
    if not forms:
        return text
    # Longest first, so a spelling that contains another is masked whole.
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    spans = _fragment_spans(text, forms)
    for begin, end in reversed(spans):
        text = text[:begin] + REDACTED + text[end:]
    return text
