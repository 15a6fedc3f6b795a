"""What a gateway call returns, and the health snapshot the UI and `health` command read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from zen_tui.json_input import loads

from .errors import BadResponse, GatewayError
from .events import BreakerState, CacheOutcome
from .limiter import BucketGauge


class GatewayResponse(msgspec.Struct):
    status: int
    headers: Mapping[str, str]  # case-insensitive (httpx.Headers)
    body: bytes
    url: str
    cache: CacheOutcome
    fetched_at: float
    stale_error: GatewayError | None = None
    # Rode on another caller's request for the same key (single flight): the answer is that
    # request's, `cache` its outcome (the server was asked), though this call sent nothing
    # (its RequestDone says "hit", as the metrics count it).
    shared: bool = False
    # Context for BadResponse; not part of the wire data.
    service: str = ""
    account: str = ""
    endpoint: str = ""

    def json(self) -> Any:
        try:
            return loads(self.body)
        except ValueError as exc:  # UnicodeDecodeError and NestedTooDeeply too
            raise BadResponse(
                service=self.service,
                account=self.account,
                endpoint=self.endpoint,
                status=self.status,
                message=self._not_json(exc),
            ) from None

    def _not_json(self, exc: ValueError) -> str:
        """Why the body is not the JSON asked for; a web page (a proxy's, a sign-in page's, a
        base_url naming the website) said as one, since the parser's words do not say it."""
        where = self.endpoint or "the server"
        kind = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind in ("text/html", "application/xhtml+xml"):
            return (
                f"{where} answered a web page ({kind}), not JSON: a proxy or sign-in page in "
                "the way, or a base_url naming the website instead of the API?"
            )
        return f"malformed JSON from {where} ({exc})"

    @property
    def links(self) -> dict[str, str]:
        """RFC 8288 Link header as {rel: url}, e.g. {"next": ...}, read by httpx's parser."""
        value = self.headers.get("link")
        if not value:
            return {}
        import httpx  # its Link parser; loaded already unless the answer came from the cache

        parsed = httpx.Response(self.status, headers={"link": value}).links
        out: dict[str, str] = {}
        for rels, link in parsed.items():
            for rel in (rels or "").split():  # rel="next last" names two relations
                out[rel] = link["url"]
        return out


class GatewayHealth(msgspec.Struct):
    account: str
    service: str
    breaker: BreakerState
    half_open_at: float | None
    buckets: dict[str, BucketGauge]
    retries_total: int
    retries_in_flight: int
    last_retry_wait: float | None
    cache_hits: int
    cache_misses: int
    revalidations: int
    stale_served: int
    requests: int
    errors: int
    deprecations: list[str]
