"""Webhooks out: every world change is POSTed, signed as the real service signs it.

- GitHub: `X-Hub-Signature-256: sha256=HMAC(secret, body)`, `X-GitHub-Event`,
  `X-GitHub-Delivery` (a GUID, the same on redelivery), `User-Agent: GitHub-Hookshot/<id>`.
  JSON is compact with uppercase `\\uXXXX` escapes, as GitHub sends it. A hook whose
  `content_type` is `form` (GitHub's default for a new hook) gets
  `application/x-www-form-urlencoded` with the JSON in a `payload` field, signed as sent.
- Jira: `X-Hub-Signature: sha256=...` and `X-Atlassian-Webhook-Identifier` (same on retry),
  `X-Atlassian-Webhook-Retry: <n>` on retries.
- Slack: the Events API envelope (`event_callback`, `event_id`), signed `v0=HMAC(secret,
  "v0:{ts}:{body}")` with `X-Slack-Request-Timestamp`/`X-Slack-Signature`; retries carry
  `X-Slack-Retry-Num` and `X-Slack-Retry-Reason` and a fresh timestamp and signature, unless
  the failed answer said `X-Slack-No-Retry: 1` (Slack's way to turn its retries off). Past
  `slack_events_per_hour` events in an hour (Slack: "more than 30,000 events in an hour from
  a single workspace"; the simulator is one) an event is not delivered, and the first one
  dropped in a minute sends Slack's `app_rate_limited` instead: no inner event, no
  `event_id`, `minute_rate_limited` the minute's epoch ("a rounded epoch time value").

Delivery runs in ONE daemon thread (not an asyncio task), so it works beside uvicorn's loop
and in plain synchronous tests; `stop()` ends it. A failed delivery (non-2xx, refused, or
slower than its service's `timeouts`: GitHub waits 10 s, Slack 3 s) is retried on its
service's schedule (`RETRIES`), then dropped, as each service does it:
- Slack retries any failure, 3 times: at once, after 1 minute, after 5 minutes.
- Jira Cloud only a refused or timed-out connection and 408, 409, 425, 429 or 5xx, up to 5
  times, each 5 to 15 minutes after the last, drawn at random (Atlassian's webhooks page,
  "Retry policy", as the summaries of it at hand give it; the status list is in Atlassian's
  own announcement). Those summaries also have a URL failing for 30 minutes get one attempt
  per webhook until one succeeds: not simulated (a receiver down that long gets all 5 here).
- GitHub never by itself ("GitHub does not automatically redeliver failed deliveries"):
  only its Redeliver button (`redeliver`) sends a delivery again, same id and body.
`backoff` (tests) replaces every schedule with the same fixed delays; `retry_scale`
multiplies the documented ones (1e-4: Jira's 5 to 15 minutes become 30 to 90 ms).

GitHub caps payloads at 25 MB: "If an event generates a larger payload, GitHub will not
deliver a payload for that webhook event" (docs.github.com, webhooks/webhook-events-and-
payloads). Such an event is not sent at all, so it is in no Recent Deliveries list and cannot
be redelivered; the receiver only learns of the change by asking the API. `github_payload_cap`
is the larger reading of "25 MB" (MiB), so a receiver sized for it takes whatever GitHub sends.
The cap is on the JSON: a `form` hook's body, that JSON percent-encoded, may be larger.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import logging
import random
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from zen_tui.simulator.core.world import ChangeEvent, World

HOOK_ID = "424242"
CONTENT_TYPES = ("json", "form")  # a GitHub hook's config.content_type
NO_TARGET = "no_target"  # the service's target was removed while a delivery waited
# The answer said `X-Slack-No-Retry: 1`: Slack's Events API then sends no retry of it
NO_RETRY = "no_retry"
# Jira Cloud's retry policy: these answers (and 5xx, a refused or timed-out connection) only
JIRA_RETRIED = frozenset({408, 409, 425, 429})
# Each service's own retries of a failed delivery: the wait before each, in seconds, as
# (shortest, longest), drawn between the two. Slack: at once, after 1 minute, after 5
# minutes (its Events API); Jira Cloud: up to 5, each 5 to 15 minutes after the last;
# GitHub: none.
RETRIES: dict[str, tuple[tuple[float, float], ...]] = {
    "github": (),
    "jira": ((300.0, 900.0),) * 5,
    "slack": ((0.0, 0.0), (60.0, 60.0), (300.0, 300.0)),
}
RECENT = 1000  # GitHub deliveries kept for redelivery (GitHub keeps 3 days of them)
GITHUB_PAYLOAD_CAP = 25 * 1024 * 1024  # bytes of JSON; a larger event is never delivered
# How long each service waits for an answer before it counts the delivery failed. GitHub:
# "respond with a 2XX response within 10 seconds" (docs.github.com, best practices for
# webhooks); Slack: 3 seconds (its Events API). Atlassian's pages at hand give no figure for
# Jira: the simulator's 3 s stays.
TIMEOUTS = {"github": 10.0, "jira": 3.0, "slack": 3.0}
SLACK_EVENTS_PER_HOUR = 30_000  # per workspace and app; more are dropped (app_rate_limited)
log = logging.getLogger(__name__)
_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-f]{4})")


def github_json(payload: Any) -> bytes:
    """Compact JSON with uppercase \\uXXXX escapes (an odd run of backslashes starts one)."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return _ESCAPE.sub(lambda m: m.group(1) + "\\u" + m.group(2).upper(), text).encode()


def compact_json(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def hub_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def slack_signature(secret: str, timestamp: int, body: bytes) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    service: str = field(compare=False)
    event: str = field(compare=False)
    body: bytes = field(compare=False)
    delivery_id: str = field(compare=False)
    attempt: int = field(default=0, compare=False)  # 0 = first try
    last_reason: str = field(default="", compare=False)


class WebhookDispatcher:
    """Subscribes to `world.on_change`; `targets` maps a service to (url, secret)."""

    def __init__(
        self,
        world: World,
        targets: dict[str, tuple[str, str]],
        *,
        backoff: tuple[float, ...] | None = None,  # the same for every service (tests)
        timeout: float | None = None,  # the same for every service (tests); else TIMEOUTS
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.world = world
        self.targets = dict(targets)
        self.backoff = backoff  # None: each service's own schedule (RETRIES)
        self.retry_scale = 1.0  # multiplies every delay of RETRIES (tests shrink them)
        # Its own: a draw from world.rng would change what a seeded world does next.
        self._rng = random.Random(f"webhooks-{world.seed}")
        self.timeouts = dict(TIMEOUTS) if timeout is None else dict.fromkeys(TIMEOUTS, timeout)
        self.clock = clock
        self.dropped = 0  # deliveries given up after the last retry
        self.github_payload_cap = GITHUB_PAYLOAD_CAP
        self.too_large = 0  # GitHub events never delivered: their payload was over the cap
        self.github_content_type = "json"  # "form": as GitHub sends for its default hook
        self.slack_events_per_hour = SLACK_EVENTS_PER_HOUR
        self.rate_limited = 0  # Slack events not delivered: over slack_events_per_hour
        self._slack_sent: deque[float] = deque()  # when each of the last hour's events went
        self._limited_minute: int | None = None  # the minute app_rate_limited was sent for
        self._heap: list[_Delivery] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._busy = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._recent: dict[str, _Delivery] = {}  # GitHub's "Recent Deliveries", by id
        world.on_change(self._on_change)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> WebhookDispatcher:
        self._thread = threading.Thread(target=self._run, name="sim-webhooks", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> WebhookDispatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """True once nothing is queued or in flight (retries scheduled later count as queued)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def set_targets(self, targets: dict[str, tuple[str, str]]) -> None:
        """Replace the targets; a new or moved GitHub hook gets a `ping`, as on creation."""
        old = self.targets
        self.targets = dict(targets)
        github, service = self.targets.get("github"), self.world.services.get("github")
        if github is None or service is None or old.get("github", ("",))[0] == github[0]:
            return
        ping = service.ping_payload(github[0], int(HOOK_ID))
        if ping is not None:
            self._on_change(ChangeEvent("github", "ping", ping))

    # -- queueing -----------------------------------------------------------------------------
    def _on_change(self, change: ChangeEvent) -> None:
        if change.service not in self.targets:
            return
        body = self._body(change)
        if change.service == "github" and len(body) > self.github_payload_cap:
            with self._cond:
                self.too_large += 1
            log.info(
                "simulator: GitHub %s payload of %d bytes is over the %d-byte cap: not delivered",
                change.event,
                len(body),
                self.github_payload_cap,
            )
            return
        if change.service == "slack" and self._over_slack_limit():
            return
        self._queue(change.service, change.event, body)

    def _queue(self, service: str, event: str, body: bytes) -> None:
        delivery = _Delivery(
            time.monotonic(), next(self._seq), service, event, body, str(uuid.uuid4())
        )
        with self._cond:
            heapq.heappush(self._heap, delivery)
            self._cond.notify_all()

    def _over_slack_limit(self) -> bool:
        """Whether this Slack event is one too many for the hour (then not delivered; the
        first such in a minute sends `app_rate_limited`). Counts it otherwise."""
        now = self.clock()
        with self._cond:
            sent = self._slack_sent
            while sent and sent[0] <= now - 3600:
                sent.popleft()
            if len(sent) < self.slack_events_per_hour:
                sent.append(now)
                return False
            self.rate_limited += 1
            minute = int(now // 60 * 60)
            if minute == self._limited_minute:
                return True
            self._limited_minute = minute
        self._queue("slack", "app_rate_limited", compact_json(self.app_rate_limited(minute)))
        return True

    def app_rate_limited(self, minute: int) -> dict[str, Any]:
        """Slack's `app_rate_limited` (its docs' example: these five keys, no inner event)."""
        slack = self.world.services.get("slack")
        fields = slack.envelope_fields() if slack is not None else {}
        return {
            "token": "simulated-verification-token",
            "type": "app_rate_limited",
            "team_id": fields.get("team_id", "T0000000000"),
            "minute_rate_limited": minute,
            "api_app_id": fields.get("api_app_id", "A0000000000"),
        }

    def _body(self, change: ChangeEvent) -> bytes:
        if change.service == "github":
            return github_json(change.payload)
        if change.service == "slack":
            return compact_json(self.slack_envelope(change))
        return compact_json(change.payload)

    def slack_envelope(self, change: ChangeEvent) -> dict[str, Any]:
        envelope: dict[str, Any] = {
            "token": "simulated-verification-token",
            "team_id": "T0000000000",
            "api_app_id": "A0000000000",
            "event": change.payload,
            "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": int(change.at),
            "authed_users": ["U0000000000"],
        }
        slack = self.world.services.get("slack")
        return envelope | (slack.envelope_fields() if slack is not None else {})

    # -- delivery -------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                delivery = self._next_due()
                if delivery is None:
                    return
                self._busy += 1
            status, reason = None, "unknown_error"
            try:
                status, reason = self._send(delivery)
            except Exception:  # never let one bad delivery end the thread
                log.exception("simulator: webhook delivery to %s failed", delivery.service)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._after(delivery, status, reason)
                    self._cond.notify_all()

    def _next_due(self) -> _Delivery | None:
        """Pop the next delivery when it is due; None when stopping. Holds the condition."""
        while not self._stopping:
            if self._heap and self._heap[0].due <= time.monotonic():
                return heapq.heappop(self._heap)
            wait = self._heap[0].due - time.monotonic() if self._heap else None
            self._cond.wait(wait)
        return None

    def _after(self, delivery: _Delivery, status: int | None, reason: str) -> None:
        if delivery.service == "github":
            self._remember(delivery)
        if status is not None and 200 <= status < 300:
            self.world.counters.webhook(delivery.service)
            return
        delay = self._retry_delay(delivery, status, reason)
        if delay is None:
            self.dropped += 1
            return
        delivery.due = time.monotonic() + delay
        delivery.attempt += 1
        delivery.last_reason = reason
        heapq.heappush(self._heap, delivery)

    def _retry_delay(self, delivery: _Delivery, status: int | None, reason: str) -> float | None:
        """Seconds until the service sends this failed delivery again; None: it never does."""
        if reason == NO_TARGET or (delivery.service == "slack" and reason == NO_RETRY):
            return None
        if not retried(delivery.service, status):
            return None
        if self.backoff is not None:
            fixed = self.backoff
            return fixed[delivery.attempt] if delivery.attempt < len(fixed) else None
        delay = retry_delay(delivery.service, delivery.attempt, self._rng)
        return None if delay is None else delay * self.retry_scale

    def _remember(self, delivery: _Delivery) -> None:
        self._recent.pop(delivery.delivery_id, None)
        self._recent[delivery.delivery_id] = delivery
        while len(self._recent) > RECENT:
            del self._recent[next(iter(self._recent))]

    def redeliver(self, delivery_id: str) -> bool:
        """GitHub's Redeliver button: the delivery sent again, same id and body, freshly
        signed. False when no GitHub delivery has that id."""
        with self._cond:
            sent = self._recent.get(delivery_id)
            if sent is None:
                return False
            again = _Delivery(
                time.monotonic(), next(self._seq), "github", sent.event, sent.body, delivery_id
            )
            heapq.heappush(self._heap, again)
            self._cond.notify_all()
        return True

    def recent(self) -> list[str]:
        """The ids of the GitHub deliveries sent so far (oldest first), for `redeliver`."""
        with self._cond:
            return list(self._recent)

    def _send(self, delivery: _Delivery) -> tuple[int | None, str]:
        """POST once; (the answer's status or None, retry reason)."""
        target = self.targets.get(delivery.service)  # targets may be replaced at runtime
        if target is None:
            return None, NO_TARGET
        url, secret = target
        body, content_type = self._wire(delivery)
        headers = self._headers(delivery, secret, body, content_type)
        status, _, reason = self._post(url, body, headers, self.timeouts[delivery.service])
        return status, reason

    def _wire(self, d: _Delivery) -> tuple[bytes, str]:
        """The bytes sent and their type: GitHub's `form` hooks wrap the JSON in `payload=`."""
        if d.service == "github" and self.github_content_type == "form":
            return urlencode({"payload": d.body.decode()}).encode(), (
                "application/x-www-form-urlencoded"
            )
        return d.body, "application/json"

    def _post(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> tuple[int | None, bytes, str]:
        """(status or None, response body, retry reason). http.client keeps header case."""
        parts = urlsplit(url)
        secure = parts.scheme == "https"
        conn_cls = http.client.HTTPSConnection if secure else http.client.HTTPConnection
        conn = conn_cls(parts.netloc, timeout=timeout)
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            stop = response.getheader("X-Slack-No-Retry", "").strip() == "1"
            return response.status, response.read(), NO_RETRY if stop else "http_error"
        except TimeoutError:
            return None, b"", "http_timeout"
        except (OSError, http.client.HTTPException, ValueError):
            return None, b"", "connection_failed"
        finally:
            conn.close()

    def verify_slack_url(self) -> bool:
        """Slack's Request URL handshake: a signed `url_verification` POST; True when the target
        echoes the challenge (as plain text or as {"challenge": ...}) with a 2xx."""
        url, secret = self.targets["slack"]
        challenge = uuid.uuid4().hex
        body = compact_json(
            {
                "token": "simulated-verification-token",
                "challenge": challenge,
                "type": "url_verification",
            }
        )
        ts = int(self.clock())
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": slack_signature(secret, ts, body),
        }
        status, answer, _ = self._post(url, body, headers, self.timeouts["slack"])
        if status is None or not 200 <= status < 300:
            return False
        echoed: object
        try:
            echoed = json.loads(answer).get("challenge")
        except (ValueError, AttributeError):
            echoed = answer.decode("utf-8", "replace").strip()
        return echoed == challenge

    def _headers(self, d: _Delivery, secret: str, body: bytes, content_type: str) -> dict[str, str]:
        """Signed over `body`, the bytes on the wire (for a form hook: the form, not the JSON)."""
        headers = {"Content-Type": content_type}
        if d.service == "github":
            headers.update(
                {
                    "User-Agent": f"GitHub-Hookshot/{HOOK_ID[:7]}",
                    "X-GitHub-Event": d.event,
                    "X-GitHub-Delivery": d.delivery_id,
                    "X-GitHub-Hook-ID": HOOK_ID,
                    "X-Hub-Signature-256": hub_signature(secret, body),
                    "X-Hub-Signature": "sha1="
                    + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),  # legacy
                    "X-GitHub-Hook-Installation-Target-Type": "repository",
                    "X-GitHub-Hook-Installation-Target-ID": "1",
                }
            )
        elif d.service == "jira":
            headers.update(
                {
                    "User-Agent": "Atlassian Webhook HTTP Client",
                    "X-Atlassian-Webhook-Identifier": d.delivery_id,
                    "X-Hub-Signature": hub_signature(secret, d.body),
                }
            )
            if d.attempt:
                headers["X-Atlassian-Webhook-Retry"] = str(d.attempt)
        elif d.service == "slack":
            ts = int(self.clock())
            headers.update(
                {
                    "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
                    "X-Slack-Request-Timestamp": str(ts),
                    "X-Slack-Signature": slack_signature(secret, ts, d.body),
                }
            )
            if d.attempt:
                headers["X-Slack-Retry-Num"] = str(d.attempt)
                headers["X-Slack-Retry-Reason"] = d.last_reason
        return headers


def retry_delay(service: str, attempt: int, rng: random.Random) -> float | None:
    """Seconds the service waits before sending a delivery again after its try number
    `attempt` (0: the first) failed, on its documented schedule; None: it sends no more."""
    schedule = RETRIES[service]
    if attempt >= len(schedule):
        return None
    shortest, longest = schedule[attempt]
    return rng.uniform(shortest, longest)


def retried(service: str, status: int | None) -> bool:
    """Whether the service sends a failed delivery again by itself (`status` None: the
    connection was refused or timed out)."""
    if service == "github":
        return False
    if service == "jira":
        return status is None or status in JIRA_RETRIED or status >= 500
    return True
