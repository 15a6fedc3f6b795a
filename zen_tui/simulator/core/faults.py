"""Fault rules and the seeded engine that decides, per request, which fault (if any) applies.

A rule matches a service and an endpoint glob (path relative to the service prefix, e.g.
`/search/*`) and may add latency and pick one fault by probability. Rules are plain data so the
control API and scenario files can set them as JSON/TOML tables.
"""

from __future__ import annotations

import fnmatch
import random
import re
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Fault kinds, in the order their probabilities are tried for one request.
KINDS = (
    "outage",
    "reset",
    "hang",
    "rate_limit",
    "error",
    "ok_false",
    "malformed",
    "truncated",
)
# Slack's error codes, as its method references spell them: lower case, digits, underscores.
_SLACK_CODE = re.compile(r"^[a-z0-9_]{1,64}$")


class FaultRuleError(ValueError):
    """A fault rule that cannot be used; the message says which key and how to fix it."""


@dataclass(frozen=True)
class FaultRule:
    service: str = "*"  # "github", "jira", "slack" or a glob
    endpoint: str = "*"  # glob over the path below the service prefix, e.g. "/search/*"
    method: str = "*"
    latency_ms: float = 0.0  # fixed extra latency
    jitter: str = "none"  # "none" | "uniform" | "exponential"
    jitter_ms: float = 0.0  # uniform: U(0, jitter_ms); exponential: mean jitter_ms
    error_rate: float = 0.0  # share of requests answered with one of `statuses`
    statuses: tuple[int, ...] = (500,)
    # Slack only: share answered HTTP 200 `{"ok": false, "error": <one of ok_false_errors>}`,
    # the way Slack reports most failures (invalid_auth, channel_not_found, internal_error...).
    ok_false_rate: float = 0.0
    ok_false_errors: tuple[str, ...] = ("internal_error",)
    hang_rate: float = 0.0  # share of requests held for `hang_seconds` (beyond client timeouts)
    hang_seconds: float = 60.0
    reset_rate: float = 0.0  # share of connections aborted mid-response
    malformed_rate: float = 0.0  # share answered 200 with broken JSON
    truncated_rate: float = 0.0  # share whose real body is cut in half
    rate_limit_rate: float = 0.0  # share answered with the service's own 429 (a storm at 1.0)
    retry_after: float = 5.0  # 0: GitHub's 429 says no retry-after (a secondary limit may not)
    # The limit a 429 names, where the service names one: Jira's RateLimit-Reason
    # (jira-burst-based when empty; jira-per-issue-on-write, jira-quota-global-based, ...).
    rate_limit_reason: str = ""
    outage: bool = False  # every matching request fails (see outage_mode)
    outage_mode: str = "503"  # "503" | "reset"
    # Added to every matching response (RFC 9745 / RFC 8594), as a service does before it
    # retires an endpoint: e.g. deprecation = "@1767225600", sunset = an HTTP date.
    deprecation: str = ""
    sunset: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FaultRuleError(
                f"unknown fault rule key(s) {unknown}; use only: {', '.join(sorted(known))}"
            )
        values = dict(data)
        if "statuses" in values:
            values["statuses"] = tuple(int(s) for s in values["statuses"])
        if "ok_false_errors" in values:
            codes = values["ok_false_errors"]
            if not isinstance(codes, list | tuple):
                raise FaultRuleError(
                    f'fault rule ok_false_errors={codes!r}: give a list, e.g. ["invalid_auth"]'
                )
            values["ok_false_errors"] = tuple(codes)
        rule = cls(**values)
        rule.validate()
        return rule

    def validate(self) -> None:
        for name in (
            "error_rate",
            "hang_rate",
            "reset_rate",
            "malformed_rate",
            "truncated_rate",
            "ok_false_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise FaultRuleError(f"fault rule {name}={value}: must be between 0 and 1")
        if not 0.0 <= self.rate_limit_rate <= 1.0:
            raise FaultRuleError("fault rule rate_limit_rate: must be between 0 and 1")
        if self.jitter not in ("none", "uniform", "exponential"):
            raise FaultRuleError(
                f"fault rule jitter={self.jitter!r}: use none, uniform or exponential"
            )
        if self.outage_mode not in ("503", "reset"):
            raise FaultRuleError(f"fault rule outage_mode={self.outage_mode!r}: use 503 or reset")
        if min(self.latency_ms, self.jitter_ms, self.hang_seconds, self.retry_after) < 0:
            raise FaultRuleError(
                "fault rule latency_ms, jitter_ms, hang_seconds, retry_after must be >= 0"
            )
        if not _header_text(self.rate_limit_reason):
            raise FaultRuleError(
                'fault rule rate_limit_reason: give header text, e.g. "jira-quota-global-based"'
            )
        if not all(_header_text(v) for v in (self.deprecation, self.sunset)):
            raise FaultRuleError(
                'fault rule deprecation/sunset: give header text, e.g. "@1767225600" or '
                '"Wed, 01 Jul 2026 00:00:00 GMT"'
            )
        if not self.statuses or any(not 400 <= s <= 599 for s in self.statuses):
            raise FaultRuleError("fault rule statuses: give HTTP error codes between 400 and 599")
        self._validate_ok_false()

    def _validate_ok_false(self) -> None:
        codes = self.ok_false_errors
        if not codes or not all(isinstance(c, str) and _SLACK_CODE.match(c) for c in codes):
            raise FaultRuleError(
                'fault rule ok_false_errors: give Slack error codes, e.g. ["invalid_auth", '
                '"channel_not_found"] (lower case, digits and underscores)'
            )
        if self.ok_false_rate > 0 and self.service != "slack":
            raise FaultRuleError(
                "fault rule ok_false_rate: only Slack answers HTTP 200 with ok:false; "
                'set service = "slack"'
            )

    def matches(self, service: str, method: str, path: str) -> bool:
        return (
            fnmatch.fnmatchcase(service, self.service)
            and fnmatch.fnmatchcase(path, self.endpoint)
            and fnmatch.fnmatchcase(method.upper(), self.method.upper())
        )

    def extra_headers(self) -> list[tuple[bytes, bytes]]:
        pairs = (("deprecation", self.deprecation), ("sunset", self.sunset))
        return [(name.encode(), value.encode("latin-1")) for name, value in pairs if value]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["statuses"] = list(self.statuses)
        data["ok_false_errors"] = list(self.ok_false_errors)
        return data


@dataclass
class Decision:
    """What to do with one request: wait `delay` seconds, then apply `kind` (None = serve)."""

    delay: float = 0.0
    kind: str | None = None
    status: int = 0
    hang_seconds: float = 0.0
    retry_after: float = 0.0
    reason: str = ""  # the limit a rate_limit names (FaultRule.rate_limit_reason)
    code: str = ""  # the error code an ok_false answer names (FaultRule.ok_false_errors)
    rules: list[FaultRule] = field(default_factory=list)


class FaultEngine:
    """Holds two rule layers (runtime rules from the control API, scenario rules from the
    timeline) and draws decisions from one seeded random source."""

    def __init__(self, seed: int = 1) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._runtime: list[FaultRule] = []
        self._scenario: list[FaultRule] = []

    def set_rules(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._runtime = list(rules)

    def add_rules(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._runtime.extend(rules)

    def clear(self) -> None:
        with self._lock:
            self._runtime = []

    def set_scenario_rules(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._scenario = list(rules)

    def rules(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            return {
                "runtime": [r.to_dict() for r in self._runtime],
                "scenario": [r.to_dict() for r in self._scenario],
            }

    def decide(self, service: str, method: str, path: str) -> Decision:
        with self._lock:
            matching = [
                r for r in self._scenario + self._runtime if r.matches(service, method, path)
            ]
            decision = Decision(rules=matching)
            for rule in matching:
                decision.delay += self._latency(rule)
            for rule in matching:
                if decision.kind is None:
                    self._pick(rule, decision)
            return decision

    def _latency(self, rule: FaultRule) -> float:
        extra = 0.0
        if rule.jitter == "uniform" and rule.jitter_ms > 0:
            extra = self._rng.uniform(0, rule.jitter_ms)
        elif rule.jitter == "exponential" and rule.jitter_ms > 0:
            extra = self._rng.expovariate(1.0 / rule.jitter_ms)
        return (rule.latency_ms + extra) / 1000.0

    def _pick(self, rule: FaultRule, decision: Decision) -> None:
        if rule.outage:
            decision.kind = "reset" if rule.outage_mode == "reset" else "outage"
            decision.status = 503
            return
        rates = {
            "reset": rule.reset_rate,
            "hang": rule.hang_rate,
            "rate_limit": rule.rate_limit_rate,
            "error": rule.error_rate,
            "ok_false": rule.ok_false_rate,
            "malformed": rule.malformed_rate,
            "truncated": rule.truncated_rate,
        }
        for kind in KINDS:
            rate = rates.get(kind, 0.0)
            if rate > 0 and self._rng.random() < rate:
                decision.kind = kind
                decision.status = self._rng.choice(rule.statuses) if kind == "error" else 0
                decision.hang_seconds = rule.hang_seconds
                decision.retry_after = rule.retry_after
                decision.reason = rule.rate_limit_reason
                if kind == "ok_false":
                    decision.code = self._rng.choice(rule.ok_false_errors)
                return


def _header_text(value: object) -> bool:
    """A value that can go into an HTTP header as is (one line, Latin-1)."""
    if not isinstance(value, str) or "\r" in value or "\n" in value:
        return False
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def parse_rules(items: list[dict[str, Any]]) -> list[FaultRule]:
    """Rules from JSON/TOML tables; raises FaultRuleError naming the bad rule."""
    if not isinstance(items, list):
        raise FaultRuleError("fault rules must be a list of tables/objects")
    rules = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise FaultRuleError(f"fault rule #{index}: must be a table/object, got {item!r}")
        try:
            rules.append(FaultRule.from_dict(item))
        except (TypeError, ValueError) as exc:
            raise FaultRuleError(f"fault rule #{index}: {exc}") from None
    return rules
