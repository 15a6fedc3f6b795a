"""JSON from outside the process (an API answer, a webhook, a keyring line), read so that a
hostile document is malformed JSON like any other.

The decoders (json.loads, msgspec) recurse once per level of nesting: `[` * 100000 makes
them raise RecursionError, which is no ValueError, so every `except ValueError` around a
parse let it through as a traceback. Here it becomes NestedTooDeeply, a ValueError saying
so: each caller's existing handling of a malformed body (a BadResponse, a 400, a refused
login) covers it. How deep is too deep is the interpreter's stack limit, less what the
caller already uses: no document a service sends comes near it.

The top of the package, outside the layers: the gateway, auth, the services, sync and the
store all read through it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class NestedTooDeeply(ValueError):
    def __init__(self) -> None:
        super().__init__("nested too deeply")


def decoded(decode: Callable[[T], R], data: T) -> R:
    """`decode(data)`; a document nested past the stack raises NestedTooDeeply."""
    try:
        return decode(data)
    except RecursionError:
        raise NestedTooDeeply() from None


def loads(data: str | bytes) -> Any:
    """json.loads(data); NestedTooDeeply (a ValueError) for a document nested past the stack."""
    return decoded(json.loads, data)
