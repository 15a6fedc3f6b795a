"""Webhooks out, received by a real loopback HTTP server and verified with an independent
HMAC implementation written here (plus the documented known-answer vectors)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl

import jsonschema
import pytest

from tests.helpers import loopback_http
from zen_tui.simulator.core.webhooks import (
    TIMEOUTS,
    WebhookDispatcher,
    github_json,
    hub_signature,
    retry_delay,
    slack_signature,
)
from zen_tui.simulator.core.world import World
from zen_tui.simulator.github.service import GitHubSim
from zen_tui.simulator.jira.service import JiraSim
from zen_tui.simulator.slack.service import SlackSim

SECRETS = {"github": "gh-secret", "jira": "jira-secret", "slack": "slack-signing-secret"}
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def expected_hub(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def expected_slack(secret: str, ts: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
    return "v0=" + mac.hexdigest()


@dataclass
class Receiver:
    """Records every POST; answers with the next scripted status per path (default 200)."""

    url: str
    hits: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)  # time.monotonic() of each hit
    script: dict[str, list[int | float]] = field(default_factory=dict)  # float = sleep then 200
    echo_challenge: bool = True
    answer_headers: dict[str, dict[str, str]] = field(default_factory=dict)  # per path

    def for_service(self, service: str) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for p, h, b in self.hits if p == f"/{service}"]

    def gaps(self, service: str) -> list[float]:
        """Seconds between one delivery to `service` arriving and the next."""
        at = [t for (p, _, _), t in zip(self.hits, self.arrived, strict=True) if p == f"/{service}"]
        return [later - earlier for earlier, later in itertools.pairwise(at)]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.arrived.append(time.monotonic())
            state.hits.append((self.path, dict(self.headers.items()), body))
            if b'"url_verification"' in body and state.echo_challenge:
                self.answer_challenge(body)
                return
            plan = state.script.get(self.path) or [200]
            step = plan.pop(0) if len(plan) > 1 else plan[0]
            if isinstance(step, float):
                time.sleep(step)
                step = 200
            self.send_response(int(step))
            self.send_header("Content-Length", "0")
            for name, value in state.answer_headers.get(self.path, {}).items():
                self.send_header(name, value)
            self.end_headers()

        def answer_challenge(self, body: bytes) -> None:
            ts = self.headers["X-Slack-Request-Timestamp"]
            signed = self.headers["X-Slack-Signature"] == expected_slack(SECRETS["slack"], ts, body)
            answer = json.dumps({"challenge": json.loads(body)["challenge"]}).encode()
            self.send_response(200 if signed else 401)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    with loopback_http(Handler) as state.url:
        yield state


@pytest.fixture
def world() -> World:
    return World(seed=2, size=200)


@pytest.fixture
def dispatcher(world: World, receiver: Receiver) -> Iterator[WebhookDispatcher]:
    targets = {s: (f"{receiver.url}/{s}", secret) for s, secret in SECRETS.items()}
    hooks = WebhookDispatcher(world, targets, backoff=(0.0, 0.05), timeout=0.5).start()
    yield hooks
    hooks.stop()


def test_known_answer_vectors() -> None:
    github = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert hub_signature("It's a Secret to Everybody", b"Hello, World!") == github
    assert expected_hub("It's a Secret to Everybody", b"Hello, World!") == github
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
        b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
        b"collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700"
        b"885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2"
        b"c447fce8b6703c"
    )
    slack = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert slack_signature("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body) == slack
    assert expected_slack("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body) == slack


def test_github_delivery_is_signed_over_the_exact_bytes(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    payload = {"action": "opened", "pull_request": {"title": "caf\u00e9 \u2615 \\u00e9"}}
    world.emit("github", "pull_request", payload)
    assert dispatcher.wait_idle()
    [(headers, body)] = receiver.for_service("github")
    assert headers["X-Hub-Signature-256"] == expected_hub(SECRETS["github"], body)
    legacy = hmac.new(SECRETS["github"].encode(), body, hashlib.sha1).hexdigest()
    assert headers["X-Hub-Signature"] == f"sha1={legacy}"
    assert headers["X-GitHub-Event"] == "pull_request"
    assert GUID.match(headers["X-GitHub-Delivery"])
    assert headers["User-Agent"].startswith("GitHub-Hookshot/")
    assert b"caf\\u00E9 \\u2615 \\\\u00e9" in body  # uppercase escapes, literal text untouched
    assert b": " not in body and json.loads(body) == payload
    assert world.counters.webhooks_delivered["github"] == 1


def test_a_form_github_hook_gets_the_json_in_a_payload_field_signed_as_sent(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    """GitHub's default hook content type is `form`: application/x-www-form-urlencoded with
    the JSON in `payload`; the signatures cover the form bytes that were sent."""
    dispatcher.github_content_type = "form"
    payload = {"action": "opened", "pull_request": {"title": "a&b=c caf\u00e9"}}
    world.emit("github", "pull_request", payload)
    assert dispatcher.wait_idle()
    [(headers, body)] = receiver.for_service("github")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["X-Hub-Signature-256"] == expected_hub(SECRETS["github"], body)
    [(name, value)] = parse_qsl(body.decode(), strict_parsing=True)
    assert name == "payload" and json.loads(value) == payload


def test_jira_delivery_has_hub_signature_and_identifier(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    jira = JiraSim(world, "t", "me@example.com")
    world.add(jira)
    jira.activity()  # a colleague's change emits a Jira event
    assert dispatcher.wait_idle()
    [(headers, body)] = receiver.for_service("jira")
    assert headers["X-Hub-Signature"] == expected_hub(SECRETS["jira"], body)
    assert GUID.match(headers["X-Atlassian-Webhook-Identifier"])
    assert json.loads(body)["webhookEvent"].startswith(("jira:issue_", "comment_"))


def test_slack_event_envelope_signature_and_schema(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver, contracts: Path
) -> None:
    slack = SlackSim(world, "t")
    world.add(slack)
    slack.activity()
    assert dispatcher.wait_idle()
    [(headers, body)] = receiver.for_service("slack")
    ts = headers["X-Slack-Request-Timestamp"]
    assert abs(time.time() - int(ts)) <= 300
    assert headers["X-Slack-Signature"] == expected_slack(SECRETS["slack"], ts, body)
    envelope = json.loads(body)
    schema_path = contracts / "slack-api-specs/events-api/slack_common_event_wrapper_schema.json"
    jsonschema.validate(envelope, json.loads(schema_path.read_text()))
    assert envelope["type"] == "event_callback" and envelope["team_id"] == slack.team_id
    assert envelope["event"]["type"] == "message" and envelope["authed_users"] == [slack.me.id]


def test_a_slack_retry_keeps_its_event_id_and_is_signed_afresh(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    receiver.script = {"/slack": [503, 200]}
    world.emit("slack", "message", {"type": "message", "event_ts": "1.000001", "text": "x"})
    assert dispatcher.wait_idle()
    first, retry = receiver.for_service("slack")
    assert "X-Slack-Retry-Num" not in first[0]
    assert retry[0]["X-Slack-Retry-Num"] == "1" and retry[0]["X-Slack-Retry-Reason"] == "http_error"
    assert json.loads(first[1])["event_id"] == json.loads(retry[1])["event_id"]
    assert retry[0]["X-Slack-Signature"] == expected_slack(
        SECRETS["slack"], retry[0]["X-Slack-Request-Timestamp"], retry[1]
    )
    assert world.counters.webhooks_delivered == {"slack": 1}


def test_slack_events_over_the_hourly_limit_are_dropped_for_one_app_rate_limited_a_minute(
    world: World, receiver: Receiver
) -> None:
    """Slack's app_rate_limited: "more than 30,000 events in an hour from a single
    workspace"; the event has no inner event and no event_id, `minute_rate_limited` being
    the minute's rounded epoch. Here the limit is 2 an hour, on a clock the test moves."""
    slack = SlackSim(world, "t")
    world.add(slack)
    now = [1_767_225_630.0]  # 2026-01-01 00:00:30 UTC
    targets = {"slack": (f"{receiver.url}/slack", SECRETS["slack"])}
    with WebhookDispatcher(world, targets, timeout=0.5, clock=lambda: now[0]) as hooks:
        assert hooks.slack_events_per_hour == 30_000
        hooks.slack_events_per_hour = 2

        def message(text: str) -> None:
            world.emit("slack", "message", {"type": "message", "ts": "1.000001", "text": text})

        for text in ("one", "two", "three", "four"):  # three and four: one minute, one notice
            message(text)
        now[0] += 60
        message("five")  # the next minute: still over, a notice for it
        now[0] += 3600
        message("six")  # an hour on: delivered again
        assert hooks.wait_idle()
        assert hooks.rate_limited == 3
    delivered = receiver.for_service("slack")
    bodies = [json.loads(body) for _, body in delivered]
    assert [b.get("event", {}).get("text") or b["type"] for b in bodies] == [
        "one",
        "two",
        "app_rate_limited",
        "app_rate_limited",
        "six",
    ]
    notices = [b for b in bodies if b["type"] == "app_rate_limited"]
    assert notices == [
        {
            "token": "simulated-verification-token",
            "type": "app_rate_limited",
            "team_id": slack.team_id,
            "minute_rate_limited": minute,
            "api_app_id": slack.app_id,
        }
        for minute in (1_767_225_600, 1_767_225_660)
    ]
    for headers, body in delivered:  # signed as every Slack request
        ts = headers["X-Slack-Request-Timestamp"]
        assert headers["X-Slack-Signature"] == expected_slack(SECRETS["slack"], ts, body)


def test_github_never_resends_a_failed_delivery_by_itself_only_on_redeliver(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    """GitHub's docs: "GitHub does not automatically redeliver failed deliveries"; its
    Redeliver button sends the same delivery (same X-GitHub-Delivery, same body)."""
    receiver.script = {"/github": [500, 200]}
    world.emit("github", "issues", {"action": "closed"})
    assert dispatcher.wait_idle()
    [(headers, body)] = receiver.for_service("github")
    assert dispatcher.dropped == 1 and world.counters.webhooks_delivered == {}
    delivery_id = headers["X-GitHub-Delivery"]
    assert dispatcher.recent() == [delivery_id]

    assert dispatcher.redeliver(delivery_id) and not dispatcher.redeliver("no-such-id")
    assert dispatcher.wait_idle()
    again = receiver.for_service("github")[1]
    assert again[0]["X-GitHub-Delivery"] == delivery_id and again[1] == body
    assert again[0]["X-Hub-Signature-256"] == expected_hub(SECRETS["github"], body)
    assert world.counters.webhooks_delivered == {"github": 1}


def test_a_github_event_over_the_payload_cap_is_never_delivered(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    """GitHub's docs: "Payloads are capped at 25 MB. If an event generates a larger payload,
    GitHub will not deliver a payload for that webhook event." Nothing is sent, so there is
    nothing to redeliver; Jira and Slack publish no such cap. (A small cap here: 25 MiB of
    JSON would only make the test slow.)"""
    assert dispatcher.github_payload_cap == 25 * 1024 * 1024  # the default: GitHub's cap
    dispatcher.github_payload_cap = 2_000
    world.emit("github", "issues", {"action": "edited", "issue": {"body": "x" * 2_000}})
    world.emit("github", "issues", {"action": "labeled", "issue": {"body": "small"}})
    world.emit("jira", "jira:issue_updated", {"webhookEvent": "x", "body": "y" * 3_000})
    assert dispatcher.wait_idle()
    [(headers, body)] = receiver.for_service("github")
    assert json.loads(body)["action"] == "labeled"
    assert dispatcher.too_large == 1 and dispatcher.dropped == 0
    assert dispatcher.recent() == [headers["X-GitHub-Delivery"]]  # the big one: not listed
    assert len(receiver.for_service("jira")) == 1
    assert world.counters.webhooks_delivered == {"github": 1, "jira": 1}

    dispatcher.github_content_type = "form"  # the cap is on the payload, not the form
    exact = github_json({"action": "edited", "pad": ""})
    fits = {"action": "edited", "pad": "z" * (2_000 - len(exact))}
    world.emit("github", "issues", fits)
    assert dispatcher.wait_idle()
    assert len(receiver.for_service("github")) == 2 and dispatcher.too_large == 1


@pytest.mark.parametrize(
    ("status", "attempts"), [(401, 1), (404, 1), (413, 1), (429, 3), (409, 3), (503, 3)]
)
def test_jira_retries_only_the_answers_its_policy_names(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver, status: int, attempts: int
) -> None:
    """Jira Cloud retries on 408, 409, 425, 429, 5xx or a failed connection, not on a 4xx
    refusal such as a bad signature."""
    receiver.script = {"/jira": [status]}
    world.emit("jira", "jira:issue_updated", {"webhookEvent": "jira:issue_updated"})
    assert dispatcher.wait_idle()
    assert len(receiver.for_service("jira")) == attempts


def test_each_service_retries_on_its_own_documented_schedule() -> None:
    """Jira Cloud: up to 5 retries, each 5 to 15 minutes after the last, drawn at random
    (Atlassian's webhooks page, "Retry policy"); Slack: 3, at once, after 1 minute, after
    5 minutes; GitHub: none. Jira's were Slack's three."""
    rng = random.Random(5)
    jira = [retry_delay("jira", attempt, rng) for attempt in range(6)]
    assert jira[5] is None  # a sixth failure: dropped
    delays = [d for d in jira[:5] if d is not None]
    assert len(delays) == 5 and all(300 <= d <= 900 for d in delays)
    assert len(set(delays)) == 5  # drawn for each retry, not one fixed schedule
    assert [retry_delay("slack", attempt, rng) for attempt in range(4)] == [0, 60, 300, None]
    assert retry_delay("github", 0, rng) is None


def test_a_jira_delivery_failing_every_time_is_sent_six_times_then_dropped(
    world: World, receiver: Receiver
) -> None:
    """The first try and Jira's five retries, each with the same identifier and body and
    `X-Atlassian-Webhook-Retry: n`, each at least 5 minutes after the last (here 10,000
    times faster: 30 ms)."""
    receiver.script = {"/jira": [503]}
    targets = {"jira": (f"{receiver.url}/jira", SECRETS["jira"])}
    with WebhookDispatcher(world, targets, timeout=0.5) as hooks:
        hooks.retry_scale = 1e-4
        world.emit("jira", "jira:issue_updated", {"webhookEvent": "jira:issue_updated"})
        assert hooks.wait_idle(timeout=10)
        assert hooks.dropped == 1
    attempts = receiver.for_service("jira")
    assert [h.get("X-Atlassian-Webhook-Retry") for h, _ in attempts] == [
        None,
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    assert len({h["X-Atlassian-Webhook-Identifier"] for h, _ in attempts}) == 1
    assert len({body for _, body in attempts}) == 1
    assert all(gap >= 300 * 1e-4 for gap in receiver.gaps("jira"))
    assert world.counters.webhooks_delivered == {}


def test_slack_sends_no_retry_after_an_answer_saying_x_slack_no_retry(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    """Slack's Events API: a failed answer with `X-Slack-No-Retry: 1` turns its retries off
    (for what retrying cannot fix). A Slack header: Jira retries its 503 all the same."""
    receiver.script = {"/slack": [400], "/jira": [503]}
    no_retry = {"X-Slack-No-Retry": "1"}
    receiver.answer_headers = {"/slack": no_retry, "/jira": no_retry}
    world.emit("slack", "message", {"type": "message", "event_ts": "1.000004", "text": "n"})
    world.emit("jira", "jira:issue_updated", {"webhookEvent": "jira:issue_updated"})
    assert dispatcher.wait_idle()
    assert len(receiver.for_service("slack")) == 1
    assert len(receiver.for_service("jira")) == 3  # the first try and both retries
    assert dispatcher.dropped == 2


def test_retries_are_bounded_then_dropped(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    receiver.script = {"/jira": [500]}
    world.emit("jira", "jira:issue_updated", {"webhookEvent": "jira:issue_updated"})
    assert dispatcher.wait_idle()
    attempts = receiver.for_service("jira")
    assert len(attempts) == 3  # first try + len(backoff)
    assert [h.get("X-Atlassian-Webhook-Retry") for h, _ in attempts] == [None, "1", "2"]
    assert dispatcher.dropped == 1 and world.counters.webhooks_delivered["jira"] == 0


def test_slow_target_is_retried_as_timeout(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    dispatcher.timeouts["slack"] = 0.1
    receiver.script = {"/slack": [0.3, 200]}
    world.emit("slack", "message", {"type": "message", "event_ts": "1.000002", "text": "y"})
    assert dispatcher.wait_idle(timeout=10)
    retry = receiver.for_service("slack")[-1][0]
    assert retry["X-Slack-Retry-Reason"] == "http_timeout"


def test_each_service_waits_for_an_answer_as_long_as_it_documents(
    world: World, receiver: Receiver
) -> None:
    """GitHub waits 10 s for a 2xx ("respond within 10 seconds"), Slack 3 s: an answer
    taking between the two is a GitHub delivery but a Slack `http_timeout`, retried. It
    was 3 s for all. Scaled down here: 2 s and 0.3 s, an answer taking 0.6 s."""
    assert TIMEOUTS["github"] == 10.0 and TIMEOUTS["slack"] == 3.0
    receiver.script = {"/github": [0.6], "/slack": [0.6, 200]}
    targets = {s: (f"{receiver.url}/{s}", SECRETS[s]) for s in ("github", "slack")}
    with WebhookDispatcher(world, targets, backoff=(0.0,)) as hooks:
        assert hooks.timeouts == TIMEOUTS
        hooks.timeouts = {"github": 2.0, "jira": 2.0, "slack": 0.3}
        world.emit("github", "pull_request", {"action": "opened", "number": 1})
        world.emit("slack", "message", {"type": "message", "event_ts": "1.000003", "text": "z"})
        assert hooks.wait_idle(timeout=10)
    assert len(receiver.for_service("github")) == 1
    first, retry = (headers for headers, _ in receiver.for_service("slack"))
    assert "X-Slack-Retry-Num" not in first and retry["X-Slack-Retry-Reason"] == "http_timeout"
    assert world.counters.webhooks_delivered == {"github": 1, "slack": 1}


def test_untargeted_services_are_ignored_and_stop_ends_the_thread(
    world: World, receiver: Receiver
) -> None:
    hooks = WebhookDispatcher(world, {"github": (f"{receiver.url}/github", "s")}).start()
    world.emit("slack", "message", {"type": "message", "event_ts": "1.0"})
    assert hooks.wait_idle()
    hooks.stop()
    assert receiver.hits == []
    assert hooks._thread is not None and not hooks._thread.is_alive()


def test_slack_url_verification_handshake(
    dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    assert dispatcher.verify_slack_url() is True
    [(_, body)] = receiver.for_service("slack")
    assert json.loads(body)["type"] == "url_verification"
    receiver.echo_challenge = False  # a target that answers 200 without the challenge
    assert dispatcher.verify_slack_url() is False


def test_removing_a_target_drops_its_pending_retries(
    world: World, dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    dispatcher.backoff = (0.5,)
    receiver.script = {"/slack": [500, 200]}
    world.emit("slack", "message", {"type": "message", "event_ts": "1.000003", "text": "z"})
    deadline = time.monotonic() + 5
    while not receiver.for_service("slack") and time.monotonic() < deadline:
        time.sleep(0.01)  # until the first attempt has failed; its retry waits 0.5 s
    dispatcher.targets = {k: v for k, v in dispatcher.targets.items() if k != "slack"}
    assert dispatcher.wait_idle()
    assert len(receiver.for_service("slack")) == 1 and dispatcher.dropped == 1
    world.emit("jira", "jira:issue_updated", {"webhookEvent": "jira:issue_updated"})
    assert dispatcher.wait_idle() and len(receiver.for_service("jira")) == 1  # thread alive


def test_registering_a_github_hook_sends_a_signed_ping_once(receiver: Receiver) -> None:
    world = World(seed=2, size=100)
    world.add(GitHubSim(world, "gh-token"))
    with WebhookDispatcher(world, {}, backoff=(0.0,), timeout=0.5) as hooks:
        url = f"{receiver.url}/github"
        hooks.set_targets({"github": (url, SECRETS["github"])})
        assert hooks.wait_idle()
        [(headers, body)] = receiver.for_service("github")
        assert headers["X-GitHub-Event"] == "ping"
        assert headers["X-Hub-Signature-256"] == expected_hub(SECRETS["github"], body)
        ping = json.loads(body)
        assert ping["hook_id"] == int(headers["X-GitHub-Hook-ID"])
        assert ping["hook"]["config"]["url"] == url
        hooks.set_targets({"github": (url, "rotated-secret")})  # same hook: no new ping
        hooks.set_targets({"github": (url + "?moved=1", SECRETS["github"])})
        assert hooks.wait_idle()
        assert [(p, h["X-GitHub-Event"]) for p, h, _ in receiver.hits] == [
            ("/github", "ping"),
            ("/github?moved=1", "ping"),
        ]
        assert world.counters.webhooks_delivered["github"] == 2
