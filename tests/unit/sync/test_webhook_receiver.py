"""The receiver's HTTP behaviour through its ASGI app, over a real in-memory store."""

import asyncio
import json
import logging
from urllib.parse import urlencode

import httpx
import pytest

from zen_tui.config import WebhookConfig
from zen_tui.config_schema import is_loopback_host as is_loopback
from zen_tui.store import Store
from zen_tui.sync.webhook_verify import hub_signature, slack_signature
from zen_tui.sync.webhooks import WebhookReceiver, WebhookServer, bind

SECRETS = {"github": "gh-secret-value", "slack": "slack-secret-value"}
NOW = 1_700_000_000.0


@pytest.fixture
def store():
    store = Store.open(":memory:")
    yield store
    store.close()


@pytest.fixture
def receiver(store):
    woken = []
    config = WebhookConfig(enabled=True, max_body_bytes=2048)
    r = WebhookReceiver(config, store, secrets=SECRETS, clock=lambda: NOW, on_delivery=woken.append)
    r.woken = woken
    return r


def client(receiver):
    transport = httpx.ASGITransport(app=receiver.app)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def github(body: bytes, delivery="d-1", secret=SECRETS["github"], event="issues"):
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": hub_signature(secret, body),
        "Content-Type": "application/json",
    }


def slack(body: bytes, ts=NOW):
    stamp = str(int(ts))
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(SECRETS["slack"], stamp, body),
    }


BODY = json.dumps({"action": "labeled", "issue": {"number": 1}}).encode()


async def test_a_signed_delivery_is_queued_once_and_wakes_the_processor(receiver, store):
    async with client(receiver) as http:
        first = await http.post("/webhooks/github", content=BODY, headers=github(BODY))
        again = await http.post("/webhooks/github", content=BODY, headers=github(BODY))
    assert first.status_code == 202 and again.status_code == 200
    assert again.text == "duplicate"
    [row] = store.webhook_pending()
    assert (row.service, row.delivery_id, row.event, row.body) == ("github", "d-1", "issues", BODY)
    assert receiver.woken == ["github"]
    assert receiver.stats.accepted == {"github": 1}
    assert receiver.stats.duplicates == {"github": 1}
    assert receiver.stats.last_at["github"] == NOW


async def test_a_forged_signature_is_401_logged_once_and_nothing_is_stored(receiver, store, caplog):
    caplog.set_level(logging.WARNING, "zen_tui.sync.webhooks")
    forged = github(BODY, secret="guessed")
    async with client(receiver) as http:
        answer = await http.post("/webhooks/github", content=BODY, headers=forged)
        missing = await http.post("/webhooks/github", content=BODY, headers={"X-GitHub-Event": "x"})
    assert answer.status_code == missing.status_code == 401
    assert store.webhook_pending() == []
    assert receiver.stats.rejected == {"github: 401": 2}
    assert "github" not in receiver.stats.last_at  # a forged delivery does not count as live
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and all("\n" not in line for line in lines)
    assert "does not match" in lines[0]
    assert not any(SECRETS["github"] in line or '"labeled"' in line for line in lines)


async def test_oversize_bodies_are_413_by_header_and_while_streaming(receiver, store):
    sent = []

    async def chunks():
        for _ in range(100):
            sent.append(1)
            yield b"x" * 512

    big = b"{" + b" " * 4096 + b"}"
    async with client(receiver) as http:
        declared = await http.post("/webhooks/github", content=big, headers=github(big))
        streamed = await http.post("/webhooks/github", content=chunks(), headers=github(b""))
    assert declared.status_code == streamed.status_code == 413
    assert len(sent) < 100  # refused part-way, not after reading it all
    assert store.webhook_pending() == []


async def test_a_github_form_is_held_to_max_body_bytes_on_its_json(receiver, store, caplog):
    """GitHub caps the JSON; a form hook percent-encodes it into `payload=` (up to 3 bytes a
    byte). max_body_bytes (2048 here) applies to that JSON: its form may be 3 times larger."""

    def form(document: bytes) -> tuple[bytes, dict[str, str]]:
        body = urlencode({"payload": document.decode()}).encode()
        headers = github(body) | {"Content-Type": "application/x-www-form-urlencoded"}
        return body, headers

    fits = json.dumps({"action": "edited", "issue": {"number": 1, "body": "{}" * 960}})
    over = fits.replace('}"', "a" * 100 + '}"')  # 2,076 bytes of JSON in 5,968 of form
    caplog.set_level(logging.WARNING)
    async with client(receiver) as http:
        body, headers = form(fits.encode())
        assert 2048 < len(body) <= 3 * 2048 and len(fits) <= 2048
        answers = [(await http.post("/webhooks/github", content=body, headers=headers))]
        body, headers = form(over.encode())
        assert len(body) <= 3 * 2048 < len(over) * 3 and len(over) > 2048
        answers.append(
            await http.post(
                "/webhooks/github", content=body, headers=headers | {"X-GitHub-Delivery": "d-2"}
            )
        )
        body = b"payload=" + b"%7B" * 2048  # over 3 times max_body_bytes: refused unread
        headers = github(body) | {"Content-Type": "application/x-www-form-urlencoded"}
        answers.append(await http.post("/webhooks/github", content=body, headers=headers))
    assert [(a.status_code, a.text) for a in answers] == [
        (202, "queued"),
        (413, "the form's payload is over max_body_bytes (2048)"),
        (413, "form body over 3 times max_body_bytes (2048)"),
    ]
    [row] = store.webhook_pending()
    assert row.body == fits.encode()
    assert "a" * 100 not in caplog.text  # what a refused body said is not logged


async def test_malformed_json_is_400_and_not_stored(receiver, store):
    body = b'{"action": '
    async with client(receiver) as http:
        answer = await http.post("/webhooks/github", content=body, headers=github(body))
    assert answer.status_code == 400 and "not JSON" in answer.text
    assert store.webhook_pending() == []


# Slack's own example of a signed slash command (api.slack.com, verifying requests from Slack)
SLASH_SECRET, SLASH_TS = "8f742231b10e8888abcd99yyyzzz85a5", 1531420618
SLASH = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    b"collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700"
    b"885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2"
    b"c447fce8b6703c"
)


async def test_a_slack_slash_command_or_action_is_refused_saying_what_to_point_here(store, caplog):
    """Slack sends slash commands and interactive actions form-encoded, signed as its events
    (its docs' example, verbatim). zen-tui reads only the Events API: the answer said
    "body is not JSON (DecodeError)", which named neither the cause nor the fix."""
    caplog.set_level(logging.WARNING)
    config = WebhookConfig(enabled=True)
    r = WebhookReceiver(config, store, secrets={"slack": SLASH_SECRET}, clock=lambda: SLASH_TS)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(SLASH_TS),
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }
    async with client(r) as http:
        answer = await http.post("/webhooks/slack", content=SLASH, headers=headers)
        forged = await http.post(
            "/webhooks/slack", content=SLASH + b"x", headers=headers
        )  # signed first: an unsigned form is a 401 as any
    why = (
        "a Slack form body (a slash command or an interactive action): zen-tui reads only "
        "the Events API; give it only your app's Event Subscriptions Request URL"
    )
    assert (answer.status_code, answer.text) == (400, why)
    assert answer.headers["x-slack-no-retry"] == "1"  # the same body would fail again
    assert forged.status_code == 401 and "x-slack-no-retry" not in forged.headers
    assert store.webhook_pending() == []
    assert f"webhook slack rejected (400): {why}" in caplog.text
    assert "roadrunner" not in caplog.text  # nothing of the body


async def test_slack_url_verification_and_replay_window(receiver, store):
    challenge = json.dumps({"token": "t", "challenge": "c-42", "type": "url_verification"})
    body = challenge.encode()
    event = json.dumps(
        {"type": "event_callback", "event_id": "Ev9", "event": {"type": "message"}}
    ).encode()
    async with client(receiver) as http:
        hello = await http.post("/webhooks/slack", content=body, headers=slack(body))
        old = await http.post("/webhooks/slack", content=event, headers=slack(event, NOW - 301))
        fresh = await http.post("/webhooks/slack", content=event, headers=slack(event, NOW - 299))
    assert hello.status_code == 200 and hello.json() == {"challenge": "c-42"}
    assert old.status_code == 401 and "replay window" in old.text
    assert fresh.status_code == 202
    assert [r.delivery_id for r in store.webhook_pending()] == ["Ev9"]


async def test_a_slack_url_verification_without_a_challenge_is_400(receiver, store, caplog):
    """It was answered 200 {"challenge": ""}: Slack always sends one, so this is no handshake."""
    caplog.set_level(logging.WARNING, "zen_tui.sync.webhooks")
    body = json.dumps({"token": "t", "type": "url_verification"}).encode()
    async with client(receiver) as http:
        answer = await http.post("/webhooks/slack", content=body, headers=slack(body))
    assert (answer.status_code, answer.text) == (400, "url_verification without a challenge")
    assert [r.getMessage() for r in caplog.records] == [
        "webhook slack rejected (400): url_verification without a challenge"
    ]
    assert store.webhook_pending() == [] and receiver.woken == []


async def test_unconfigured_and_unknown_services_are_404(receiver, store):
    body = b'{"webhookEvent":"jira:issue_updated"}'
    async with client(receiver) as http:
        jira = await http.post("/webhooks/jira", content=body)
        other = await http.post("/webhooks/gitlab", content=body)
        wrong_method = await http.get("/webhooks/github")
    assert jira.status_code == 404 and "ZEN_JIRA_WEBHOOK_SECRET" in jira.text
    assert other.status_code == 404
    assert wrong_method.status_code == 405
    assert store.webhook_pending() == []


async def test_2000_made_up_service_names_are_404_and_counted_under_one_fixed_key(
    receiver, store, caplog
):
    caplog.set_level(logging.WARNING, "zen_tui.sync.webhooks")
    hostile = ["%1b]52;c;aGk=%07", "%1b[2J", "[bold]x[red]", "%e2%80%aeevil"]
    names = [*hostile, *(f"svc-{n}" for n in range(2000 - len(hostile)))]
    async with client(receiver) as http:
        for name in names:
            answer = await http.post(f"/webhooks/{name}", content=BODY, headers=github(BODY))
            assert answer.status_code == 404
    assert receiver.stats.rejected == {"unknown: 404": 2000}
    health = receiver.stats.as_dict()
    assert all(
        set(counts) <= {"github", "jira", "slack"}
        for k, counts in health.items()
        if k not in ("rejected", "started_at")
    )
    assert store.webhook_pending() == []
    text = caplog.text
    assert "svc-" not in text and "\x1b" not in text and "\x1b" not in repr(text)
    assert "unknown service: post to /webhooks/github, /webhooks/jira, /webhooks/slack" in text
    assert "('github'" not in text  # a clear line, not a Python tuple


async def test_a_captured_github_delivery_resent_with_a_fresh_delivery_id_is_a_duplicate(
    receiver, store
):
    async with client(receiver) as http:
        answers = [
            await http.post("/webhooks/github", content=BODY, headers=github(BODY, f"fresh-{n}"))
            for n in range(6)
        ]
        other = json.dumps({"action": "labeled", "issue": {"number": 2}}).encode()
        new = await http.post("/webhooks/github", content=other, headers=github(other, "d-2"))
    assert [a.status_code for a in answers] == [202] + [200] * 5
    assert all(a.text == "duplicate" for a in answers[1:])
    assert new.status_code == 202  # another body is another delivery
    assert [r.delivery_id for r in store.webhook_pending()] == ["fresh-0", "d-2"]
    assert receiver.stats.accepted == {"github": 2} and receiver.stats.duplicates == {"github": 5}


async def test_a_replayed_body_stays_a_duplicate_after_it_was_processed(receiver, store):
    async with client(receiver) as http:
        await http.post("/webhooks/github", content=BODY, headers=github(BODY, "a"))
        store.webhook_done(store.webhook_pending()[0].id)
        again = await http.post("/webhooks/github", content=BODY, headers=github(BODY, "b"))
    assert again.text == "duplicate" and store.webhook_pending() == []


async def test_an_internal_error_is_500_and_the_receiver_keeps_working(receiver, store):
    real = store.webhook_enqueue
    calls = []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    store.webhook_enqueue = flaky
    unsaved = []
    receiver.on_unsaved = unsaved.append
    async with client(receiver) as http:
        broken = await http.post("/webhooks/github", content=BODY, headers=github(BODY))
        retried = await http.post("/webhooks/github", content=BODY, headers=github(BODY))
    assert broken.status_code == 500  # Jira and Slack retry; a redelivery is kept
    assert unsaved == ["github"]  # and the sections ask the server (GitHub never resends)
    assert retried.status_code == 202
    assert len(store.webhook_pending()) == 1


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


async def test_a_busy_port_is_one_log_line_not_a_crash(store, caplog):
    busy = bind("127.0.0.1", 0)
    port = busy.getsockname()[1]
    config = WebhookConfig(enabled=True, port=port)
    server = WebhookServer(WebhookReceiver(config, store, secrets=SECRETS, clock=lambda: NOW))
    try:
        assert await server.start() is False
    finally:
        busy.close()
    assert f"cannot listen on 127.0.0.1:{port}" in caplog.text
    assert "set [webhooks] port" in caplog.text
    await server.stop()  # harmless when it never started


async def test_a_non_loopback_host_is_warned_about(store, caplog):
    # 192.0.2.1 (TEST-NET-1) is not on this machine: the warning comes first, then the bind
    # fails, so nothing ever listens beyond loopback in tests.
    config = WebhookConfig(enabled=True, host="192.0.2.1", port=0)
    server = WebhookServer(WebhookReceiver(config, store, secrets=SECRETS, clock=lambda: NOW))
    assert await server.start() is False
    assert "listening on 192.0.2.1, reachable from other machines" in caplog.text
    assert "cannot listen on 192.0.2.1:0" in caplog.text
    # the host is what to change, not the port (it said "set [webhooks] port")
    assert "not an address of this machine: set [webhooks] host" in caplog.text
    assert "set [webhooks] port" not in caplog.text


async def test_an_oversize_delivery_on_a_configured_path_refreshes_its_service_once_a_minute(
    store,
):
    """A body over max_body_bytes is refused unread (it cannot be verified), but it carried a
    change: the service's sections ask the server. A flood of big bodies (anyone can send
    them) makes at most one such refresh per service per `unread_refresh_seconds`."""
    now = [NOW]
    refreshed: list[str] = []
    config = WebhookConfig(enabled=True, max_body_bytes=2048)
    receiver = WebhookReceiver(
        config, store, secrets=SECRETS, clock=lambda: now[0], on_unsaved=refreshed.append
    )
    gap = receiver.limits.unread_refresh_seconds
    big = b"{" + b" " * 4096 + b"}"

    async def post(path: str) -> int:
        async with client(receiver) as http:
            answer = await http.post(path, content=big, headers=github(big))
        return answer.status_code

    assert [await post("/webhooks/github") for _ in range(50)] == [413] * 50
    assert refreshed == ["github"]  # once for the flood
    assert await post("/webhooks/slack") == 413
    assert refreshed == ["github", "slack"]  # per service
    now[0] += gap - 1
    assert await post("/webhooks/github") == 413
    assert refreshed == ["github", "slack"]
    now[0] += 1
    assert await post("/webhooks/github") == 413
    assert refreshed == ["github", "slack", "github"]
    now[0] -= 3600  # the wall clock set back: a refresh is not held off for an hour
    assert await post("/webhooks/github") == 413
    assert refreshed == ["github", "slack", "github", "github"]
    # No secret for Jira, an unknown path: nothing of ours to refresh.
    assert await post("/webhooks/jira") == 404
    assert await post("/webhooks/gitlab") == 404
    assert refreshed == ["github", "slack", "github", "github"]
    assert store.webhook_pending() == []


async def test_bodies_read_at_once_share_one_memory_budget(store):
    """Each body may be as big as max_body_bytes, but the bytes held across connections are
    capped too: a body that does not fit beside one being read is refused with 503 (Jira and
    Slack send it again) and refreshes its service; the one being read is unharmed, and
    what it held is given back."""
    from zen_tui.sync.webhook_limits import ReceiverLimits

    refreshed: list[str] = []
    config = WebhookConfig(enabled=True, max_body_bytes=2048)
    limits = ReceiverLimits(max_buffered_bytes=3000)
    receiver = WebhookReceiver(
        config,
        store,
        secrets=SECRETS,
        clock=lambda: NOW,
        limits=limits,
        on_unsaved=refreshed.append,
    )
    body = json.dumps({"action": "edited", "pad": "x" * 1800}).encode()
    halfway, go_on = asyncio.Event(), asyncio.Event()

    async def slow():
        yield body[:1500]
        halfway.set()  # asked for more: the receiver has taken in the first chunk
        await go_on.wait()
        yield body[1500:]

    async with client(receiver) as http:
        first = asyncio.create_task(
            http.post("/webhooks/github", content=slow(), headers=github(body, "a"))
        )
        await halfway.wait()
        crowded = await http.post("/webhooks/github", content=body, headers=github(body, "b"))
        go_on.set()
        assert (await first).status_code == 202
        other = body.replace(b"edited", b"labeled")
        after = await http.post("/webhooks/github", content=other, headers=github(other, "c"))
    assert crowded.status_code == 503
    assert refreshed == ["github"]
    assert after.status_code == 202
    assert receiver.bodies.held == 0


async def asgi_post(receiver, path: str, chunks: list[bytes], *, then: str) -> int:
    """POST `chunks` of a body promised longer (the signed headers of BODY) straight to the
    ASGI app; after them the sender goes quiet (`then="hang"`) or hangs up ("disconnect")."""
    headers = {k.lower(): v for k, v in github(BODY).items()}
    headers["content-length"] = str(len(BODY))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8790),
    }
    pending = list(chunks)
    quiet = asyncio.Event()  # never set: a sender that stopped sending

    async def receive():
        if pending:
            return {"type": "http.request", "body": pending.pop(0), "more_body": True}
        if then == "hang":
            await quiet.wait()
        return {"type": "http.disconnect"}

    sent = []

    async def send(message):
        sent.append(message)

    await receiver.app(scope, receive, send)
    return sent[0]["status"]


async def test_a_body_too_slow_or_cut_off_refreshes_its_service_throttled_like_an_oversize_one(
    store, caplog
):
    """A delivery whose headers came but whose body did not (408: too slow; the sender hung
    up mid-body) is lost like one too big to read: GitHub never sends it again. So it makes
    the service's sections ask the server too, sharing the big bodies' throttle: once per
    service per `unread_refresh_seconds`, however the bodies failed. One log line each."""
    from zen_tui.sync.webhook_limits import ReceiverLimits

    caplog.set_level(logging.INFO, "zen_tui.sync.webhooks")
    now = [NOW]
    refreshed: list[str] = []
    config = WebhookConfig(enabled=True, max_body_bytes=2048)
    receiver = WebhookReceiver(
        config,
        store,
        secrets=SECRETS,
        clock=lambda: now[0],
        on_unsaved=refreshed.append,
        limits=ReceiverLimits(body_seconds=0.01),
    )
    gap = receiver.limits.unread_refresh_seconds
    part = [BODY[:5]]
    assert await asgi_post(receiver, "/webhooks/github", part, then="hang") == 408
    assert refreshed == ["github"]
    assert await asgi_post(receiver, "/webhooks/github", part, then="disconnect") == 400
    assert await asgi_post(receiver, "/webhooks/github", [], then="disconnect") == 400
    assert refreshed == ["github"]  # within the gap: no second refresh
    assert await asgi_post(receiver, "/webhooks/slack", part, then="disconnect") == 400
    assert refreshed == ["github", "slack"]  # per service
    now[0] += gap
    assert await asgi_post(receiver, "/webhooks/github", part, then="disconnect") == 400
    assert refreshed == ["github", "slack", "github"]
    big = b"{" + b" " * 4096 + b"}"
    async with client(receiver) as http:  # an oversize one shares the throttle
        answer = await http.post("/webhooks/github", content=big, headers=github(big))
    assert answer.status_code == 413 and refreshed == ["github", "slack", "github"]
    now[0] += gap
    assert await asgi_post(receiver, "/webhooks/github", part, then="hang") == 408
    assert refreshed == ["github", "slack", "github", "github"]
    # Jira has no secret here: its path is refused before any body is read.
    assert await asgi_post(receiver, "/webhooks/jira", part, then="disconnect") == 404
    assert len(refreshed) == 4 and store.webhook_pending() == [] and receiver.bodies.held == 0
    lines = [r.getMessage() for r in caplog.records]
    assert "Traceback" not in caplog.text and all("\n" not in line for line in lines)
    assert lines[0] == (
        "webhook github rejected (408): body not received within 0.01 s;"
        " its sections refresh from the server"
    )
    assert lines[1] == "webhook github: sender disconnected before the body arrived"
    assert receiver.stats.rejected == {"github: 408": 2, "github: 413": 1, "jira: 404": 1}
