"""Checking one webhook delivery: signature over the raw bytes, replay window, JSON, ids.

Pure functions, no I/O: `check()` turns (service, headers, body) into an Accepted delivery or
a Rejected one with the HTTP status and a one-line reason (never the secret, never the body).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import msgspec

from zen_tui.json_input import NestedTooDeeply, loads

SERVICES = ("github", "jira", "slack")
# Every other path is counted (and logged) under this one name, so the counters keep a fixed
# set of keys whatever names unauthenticated senders make up.
UNKNOWN = "unknown"
# The header carrying each service's signature and its delivery id (dedup key).
SIGNATURE_HEADER = {
    "github": "x-hub-signature-256",
    "jira": "x-hub-signature",
    "slack": "x-slack-signature",
}
DELIVERY_HEADER = {"github": "x-github-delivery", "jira": "x-atlassian-webhook-identifier"}
EVENT_HEADER = "x-github-event"  # GitHub's event name (Jira and Slack name it in the body)
TIMESTAMP_HEADER = "x-slack-request-timestamp"
# Slack's notice that it drops this app's events (past 30,000 an hour per workspace): the
# envelope's own `type`, there being no inner event.
RATE_LIMITED = "app_rate_limited"
# What a provider sends when a hook or Request URL is set up (GitHub's `ping` when a hook is
# created, Slack's `url_verification` when a Request URL is saved): the URL works, but no
# event need follow, so they are no sign that deliveries come (see WebhookStats.last_at).
HANDSHAKES = frozenset({("github", "ping"), ("slack", "url_verification")})
SLACK_FORM = (
    "a Slack form body (a slash command or an interactive action): zen-tui reads only the "
    "Events API; give it only your app's Event Subscriptions Request URL"
)
CONTENT_TYPE = "content-type"
# A form's bytes per byte of the JSON in it, at most: percent-encoding makes one byte "%XX".
FORM_EXPANSION = 3
# Every header the checks read: a caller may pass only these (the receiver does).
READ_HEADERS = frozenset(
    (
        *SIGNATURE_HEADER.values(),
        *DELIVERY_HEADER.values(),
        EVENT_HEADER,
        TIMESTAMP_HEADER,
        CONTENT_TYPE,
    )
)


class Accepted(msgspec.Struct, frozen=True):
    delivery_id: str
    event: str
    payload: dict[str, Any]
    challenge: str | None = None  # Slack url_verification: answer it, queue nothing
    document: bytes | None = None  # the JSON when the body was not it (a GitHub form)


class Rejected(msgspec.Struct, frozen=True):
    status: int
    reason: str


def hub_signature(secret: str, body: bytes) -> str:
    """GitHub's X-Hub-Signature-256 (and Jira's X-Hub-Signature) value for this body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def same(expected: str, given: str) -> bool:
    """Constant-time comparison (a timing difference must not leak the digest)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def verify_signature(
    service: str,
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    *,
    now: float,
    replay_window: float,
) -> Rejected | None:
    """None when the delivery is signed with `secret` (and, for Slack, fresh)."""
    header = SIGNATURE_HEADER[service]
    given = headers.get(header)
    if not given:
        return Rejected(401, f"missing {header} header")
    if service != "slack":
        return None if same(hub_signature(secret, body), given) else _bad(header)
    ts = headers.get(TIMESTAMP_HEADER, "")
    if not (ts.isascii() and ts.isdigit()):  # isdigit alone takes "²", which int() refuses
        return Rejected(401, f"missing or non-numeric {TIMESTAMP_HEADER} header")
    if not same(slack_signature(secret, ts, body), given):
        return _bad(header)
    if abs(now - int(ts)) > replay_window:
        return Rejected(401, f"timestamp {ts} is outside the {replay_window:g}s replay window")
    return None


def _bad(header: str) -> Rejected:
    return Rejected(401, f"{header} does not match the body (wrong secret or altered body)")


def parse(service: str, headers: Mapping[str, str], body: bytes) -> Accepted | Rejected:
    """The verified body as a delivery: JSON object, event name, delivery id."""
    document = _document(service, headers, body)
    if isinstance(document, Rejected):
        return document
    try:
        payload = loads(document)
    except NestedTooDeeply:
        return Rejected(400, "body is nested too deeply")
    except ValueError as err:  # UnicodeDecodeError too
        return Rejected(400, f"body is not JSON ({type(err).__name__})")
    if not isinstance(payload, dict):
        return Rejected(400, f"body is JSON {type(payload).__name__}, not an object")
    if service == "slack" and payload.get("type") == "url_verification":
        return _challenge(payload)
    event = _event(service, headers, payload)
    if not event:
        return Rejected(400, "no event name (x-github-event header / webhookEvent / event.type)")
    carried = None if document is body else document
    return Accepted(_delivery_id(service, headers, payload, body), event, payload, None, carried)


def _challenge(payload: dict[str, Any]) -> Accepted | Rejected:
    """Slack's url_verification, answered with its `challenge`; Slack always sends one (a
    string), so a body without it is not Slack's and gets no 200."""
    challenge = payload.get("challenge")
    if not isinstance(challenge, str) or not challenge:
        return Rejected(400, "url_verification without a challenge")
    return Accepted("", "url_verification", payload, challenge)


def is_form(service: str, headers: Mapping[str, str]) -> bool:
    """A GitHub hook left at its default content type (`form`) sends
    `application/x-www-form-urlencoded` with the JSON in a `payload` field."""
    return service == "github" and _form_encoded(headers)


def _form_encoded(headers: Mapping[str, str]) -> bool:
    content_type = headers.get(CONTENT_TYPE, "").split(";", 1)[0].strip().lower()
    return content_type == "application/x-www-form-urlencoded"


def _document(service: str, headers: Mapping[str, str], body: bytes) -> bytes | Rejected:
    """The JSON text of the delivery (a GitHub form's `payload` field: see is_form). Slack
    sends its Events API as JSON, and slash commands and interactive actions as forms,
    which zen-tui does not take: the one who set up the app is told which URL to give."""
    if service == "slack" and _form_encoded(headers):
        return Rejected(400, SLACK_FORM)
    if not is_form(service, headers):
        return body
    try:
        fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
    except (ValueError, UnicodeDecodeError) as err:
        return Rejected(400, f"form body is not valid ({type(err).__name__})")
    payload = fields.get("payload")
    if not payload:
        return Rejected(400, "form body has no `payload` field (or set the hook to json)")
    return payload[0].encode()


def _event(service: str, headers: Mapping[str, str], payload: dict[str, Any]) -> str:
    if service == "github":
        return headers.get(EVENT_HEADER, "")
    if service == "jira":
        return str(payload.get("webhookEvent") or "")
    inner = payload.get("event")
    return str(inner.get("type") or "") if isinstance(inner, dict) else str(payload.get("type", ""))


def _delivery_id(
    service: str, headers: Mapping[str, str], payload: dict[str, Any], body: bytes
) -> str:
    """The provider's id (redeliveries reuse it); else a digest of the body, so an identical
    resend is still deduped."""
    found = payload.get("event_id") if service == "slack" else headers.get(DELIVERY_HEADER[service])
    return str(found) if found else "sha256:" + hashlib.sha256(body).hexdigest()


def check(
    service: str,
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    *,
    now: float,
    replay_window: float,
) -> Accepted | Rejected:
    """Signature first (over the raw bytes), then the JSON: nothing unsigned is parsed."""
    rejected = verify_signature(
        service, headers, body, secret, now=now, replay_window=replay_window
    )
    return rejected or parse(service, headers, body)
