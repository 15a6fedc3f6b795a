"""What one attempt on the wire takes and gives back, apart from the HTTP client itself.

The gateway, the classifier and the services name these types at import; keeping them here,
free of httpx, lets the dashboard build its gateways and paint before httpx is loaded (the
client is built at the first request; see transport.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypeAlias

import msgspec

if TYPE_CHECKING:
    from httpx import Headers
else:
    # At run time a Mapping (which httpx.Headers is) names the type, so msgspec can read
    # Answer's fields (msgspec.structs.fields resolves them) without this module loading httpx.
    Headers = Mapping

Scalar: TypeAlias = str | int | float | bool | None
QueryParams: TypeAlias = Mapping[str, Scalar | Sequence[Scalar]]
JSON: TypeAlias = Mapping[str, "JSON"] | Sequence["JSON"] | Scalar  # a request body


class BodyTooLarge(Exception):
    """The body passed `limit` bytes while streaming; the connection was closed there."""

    def __init__(self, limit: int, declared: int | None) -> None:
        super().__init__(f"body larger than {limit} bytes")
        self.limit = limit
        self.declared = declared


class RedirectRefused(Exception):
    """A redirect was not followed: it led outside the account's base URL (the message names
    the origin, never the URL), or there were more hops than allowed (`loop`)."""

    def __init__(self, message: str, *, loop: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.loop = loop


class Answer(msgspec.Struct, frozen=True):
    """One attempt's answer, read whole (named as on httpx.Response): what the pipeline
    passes up and classify.py judges. `content` is the decoded body. `moved`: where a
    permanent redirect (301/308) said the requested URL now lives (no query), else None."""

    status_code: int
    headers: Headers
    content: bytes
    url: str
    reason_phrase: str = ""
    moved: str | None = None
    # The header fields by lower-case name, read once (transport.header_fields) for every
    # look-up made in them: the body's cap, the rate-limit figures, the classification.
    fields: Mapping[str, str] = msgspec.field(default_factory=dict)
