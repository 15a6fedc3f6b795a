"""What a gateway call returns, and the health snapshot the UI and `health` command read."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .errors import BadResponse, GatewayError
from .events import BreakerState, CacheOutcome
from .limiter import BucketGauge


@dataclass
class GatewayResponse:
    status: int
    headers: Mapping[str, str]  # case-insensitive (httpx.Headers)
    body: bytes
    url: str
    cache: CacheOutcome
    fetched_at: float
    stale_error: GatewayError | None = None
    # Context for BadResponse; not part of the wire data.
    service: str = field(default="", repr=False)
    account: str = field(default="", repr=False)
    endpoint: str = field(default="", repr=False)

    def json(self) -> Any:
        try:
            return jsonlib.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadResponse(
                service=self.service,
                account=self.account,
                endpoint=self.endpoint,
                status=self.status,
                message=f"malformed JSON from {self.endpoint or 'the server'} ({exc})",
            ) from None

    @property
    def links(self) -> dict[str, str]:
        """RFC 8288 Link header as {rel: url}, e.g. {"next": ...}."""
        value = self.headers.get("link")
        if not value:
            return {}
        out: dict[str, str] = {}
        for link in httpx.Headers({"link": value}).get_list("link", split_commas=False):
            for part in _split_links(link):
                url, _, params = part.partition(";")
                url = url.strip().strip("<>")
                for param in params.split(";"):
                    key, _, val = param.strip().partition("=")
                    if key.lower() == "rel":
                        for rel in val.strip('"').split():
                            out[rel] = url
        return out


def _split_links(value: str) -> list[str]:
    # Commas separate links but may also appear inside <...>; split only outside brackets.
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in value:
        depth += ch == "<"
        depth -= ch == ">"
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in (s.strip() for s in parts) if p]


@dataclass
class GatewayHealth:
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
