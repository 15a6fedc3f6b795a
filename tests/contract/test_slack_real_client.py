"""A real Slack client on the simulator: the official `slack_sdk` (the `contract` extra) does
its everyday work over a loopback socket, and every write is read back from the simulator's
state.

slack_sdk's sync WebClient POSTs every method form-encoded (chat.postMessage and chat.update as
JSON), follows `response_metadata.next_cursor` itself when a response is iterated, raises
SlackApiError for any answer that is not HTTP 200 with `ok: true`, and retries a 429 after its
Retry-After (read as whole seconds) with RateLimitErrorRetryHandler. Its SignatureVerifier is
Slack's own reading of the Events API's request signing."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation import TokenRotator
from slack_sdk.signature import Clock, SignatureVerifier

from tests.helpers import ManualClock, loopback_http
from zen_tui.config import WebhookConfig
from zen_tui.simulator.app import webhook_dispatcher
from zen_tui.simulator.server import SimulatorServer
from zen_tui.simulator.slack.model import Channel, ts_us, us_ts
from zen_tui.simulator.slack.service import SlackSim, TokenInfo
from zen_tui.store import Store
from zen_tui.sync.webhooks import WebhookReceiver

SIM_SEED = 11  # the simulator's seed (the server fixture, conftest.py)
SECRET = "slack-signing-secret-for-the-contract-test"


@pytest.fixture(scope="module")
def slack(server: SimulatorServer) -> SlackSim:
    sim = server.world.services["slack"]
    assert isinstance(sim, SlackSim)
    return sim


@pytest.fixture(scope="module")
def api_url(server: SimulatorServer) -> str:
    return server.account("slack").base_url + "/"  # slack_sdk joins base_url + method


@pytest.fixture(scope="module")
def client(server: SimulatorServer, api_url: str) -> WebClient:
    return WebClient(token=server.account("slack").token, base_url=api_url)


@pytest.fixture(autouse=True)
def fresh_minute(slack: SlackSim, server: SimulatorServer) -> Iterator[None]:
    """Each test starts a minute after the last: its method tiers' windows are fresh."""
    with server.world.lock:
        slack._budgets.clear()
    yield
    server.clear_faults()


def channel(slack: SlackSim, name: str) -> Channel:
    return next(c for c in slack.channels.values() if c.name == name)


def mutations(server: SimulatorServer, kind: str) -> list[dict[str, Any]]:
    log = server.world.counters.mutation_log
    return [m for m in log if m["service"] == "slack" and m["kind"] == kind]


def error_of(call: Any, **kwargs: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as err:
        call(**kwargs)
    return err.value


# ---- reading ------------------------------------------------------------------------------


def test_auth_test_for_the_user_and_the_bot(client: WebClient, slack: SlackSim, api_url: str):
    me = client.auth_test()
    assert (me["user_id"], me["team_id"], me["user"]) == (slack.me.id, slack.team_id, "me")
    assert me["url"].startswith("https://") and me["url"].endswith(".slack.com/")
    assert "bot_id" not in me.data
    bot = WebClient(token=slack.bot_token, base_url=api_url).auth_test()
    assert (bot["user_id"], bot["bot_id"]) == (slack.bot.id, slack.bot_id)


def test_conversations_list_iterates_to_the_empty_cursor(
    client: WebClient, slack: SlackSim, server: SimulatorServer
) -> None:
    """slack_sdk follows next_cursor until it is "", through short pages mid-list (Slack's
    pagination guide: a page may bring fewer than `limit` while the cursor still points on)."""
    with server.world.lock:
        server.world.rng.seed(SIM_SEED)  # which pages come short, whatever ran before
    slack.short_page_rate = 0.5
    try:
        listing = client.conversations_list(types="public_channel,private_channel,im", limit=3)
        pages = [page.data for page in listing]  # one response, its data replaced per page
    finally:
        slack.short_page_rate = 0.0
    seen = [c["id"] for page in pages for c in page["channels"]]
    assert seen == list(slack.channels)
    assert any(len(page["channels"]) < 3 for page in pages[:-1])  # short, yet not the end
    assert all(page["response_metadata"]["next_cursor"] for page in pages[:-1])
    assert pages[-1]["response_metadata"]["next_cursor"] == ""
    named = {c["name"] for page in pages for c in page["channels"] if not c["is_im"]}
    assert {"general", "dev", "secret-project"} <= named


def test_an_archived_channel_reads_but_takes_no_post(client: WebClient, slack: SlackSim) -> None:
    """slack_sdk sends booleans as "1"/"0" (exclude_archived=True); an archived channel is
    listed `is_archived` unless excluded, its history is readable, a post is `is_archived`."""
    design = channel(slack, "design")
    slack.archived_channels = "design"
    try:
        every = [c["id"] for page in client.conversations_list(limit=100) for c in page["channels"]]
        listed = client.conversations_list(exclude_archived=True, limit=100)["channels"]
        history = client.conversations_history(channel=design.id)["messages"]
        refused = error_of(client.chat_postMessage, channel=design.id, text="too late")
    finally:
        slack.archived_channels = ""
    assert design.id in every and design.id not in [c["id"] for c in listed]
    assert len(history) == len(design.timeline)
    assert refused.response["error"] == "is_archived"


def test_history_pages_newest_first_to_the_end(client: WebClient, slack: SlackSim) -> None:
    ops = channel(slack, "ops")
    pages = [page.data for page in client.conversations_history(channel=ops.id, limit=2)]
    got = [m["ts"] for page in pages for m in page["messages"]]
    assert got == [us_ts(u) for u in reversed(ops.timeline)] and len(pages) > 2
    assert [page["has_more"] for page in pages] == [True] * (len(pages) - 1) + [False]
    assert pages[-1]["response_metadata"]["next_cursor"] == ""
    # A delta read: what came after a ts, exclusive of it, as zen-tui polls
    newer = client.conversations_history(channel=ops.id, oldest=got[2], inclusive=False)
    assert [m["ts"] for m in newer["messages"]] == got[:2]


def test_thread_replies_page_through_a_long_thread(
    client: WebClient, slack: SlackSim, server: SimulatorServer
) -> None:
    dev = channel(slack, "dev")
    parent = client.chat_postMessage(channel=dev.id, text="a thread to page through")["ts"]
    posted = [
        client.chat_postMessage(channel=dev.id, text=f"reply {n}", thread_ts=parent)["ts"]
        for n in range(5)
    ]
    assert dev.messages[parent].replies == posted
    pages = [p.data for p in client.conversations_replies(channel=dev.id, ts=parent, limit=2)]
    got = [m["ts"] for page in pages for m in page["messages"]]
    assert got == [parent, *posted] and len(pages) == 3
    first = pages[0]["messages"][0]
    assert (first["reply_count"], first["latest_reply"]) == (5, posted[-1])
    assert all(m["thread_ts"] == parent for page in pages for m in page["messages"])
    threaded = [m for m in mutations(server, "message") if m["thread_ts"] == parent]
    assert [m["ts"] for m in threaded] == posted
    # reply_broadcast=True goes as a JSON true: the reply is also sent to the channel
    shared = client.chat_postMessage(
        channel=dev.id, text="also to the channel", thread_ts=parent, reply_broadcast=True
    )["ts"]
    [top] = client.conversations_history(channel=dev.id, limit=1)["messages"]
    assert (top["ts"], top["subtype"], top["thread_ts"]) == (shared, "thread_broadcast", parent)


def test_users_info_and_users_list(client: WebClient, slack: SlackSim) -> None:
    me = client.users_info(user=slack.me.id)["user"]
    assert (me["id"], me["name"], me["is_bot"]) == (slack.me.id, slack.me.name, False)
    assert me["profile"]["real_name"] == slack.me.real_name
    members = [u["id"] for page in client.users_list(limit=2) for u in page["members"]]
    assert members == list(slack.users)
    assert error_of(client.users_info, user="UNOBODY00").response["error"] == "user_not_found"


def test_search_messages_pages_by_number_and_needs_a_user_token(
    client: WebClient, slack: SlackSim, api_url: str
) -> None:
    """Without `cursor`, search.messages pages by `page` (its `paging.pages` says how many);
    with one it pages by cursor (the next test)."""
    first = client.search_messages(query="deploy green", count=2, sort="timestamp")
    paging = first["messages"]["paging"]
    assert (paging["count"], paging["page"]) == (2, 1) and paging["pages"] >= 2
    matches = []
    for page in range(1, paging["pages"] + 1):
        found = client.search_messages(query="deploy green", count=2, page=page, sort="timestamp")
        matches += found["messages"]["matches"]
    expected = {
        (c.id, m.ts)
        for c in slack.channels.values()
        if slack.me.id in c.members
        for m in c.messages.values()
        if "deploy is green" in m.text.lower()
    }
    assert [(m["channel"]["id"], m["ts"]) for m in matches] == sorted(
        expected, key=lambda hit: float(hit[1]), reverse=True
    )
    assert paging["total"] == len(expected)
    bot = WebClient(token=slack.bot_token, base_url=api_url)
    assert error_of(bot.search_messages, query="x").response["error"] == "not_allowed_token_type"


def test_search_messages_by_cursor_as_slack_sdk_iterates_it(
    client: WebClient, slack: SlackSim
) -> None:
    """With `cursor=*` search.messages pages by cursor: slack_sdk's iteration follows each
    `response_metadata.next_cursor` and stops at the empty one, through the same matches
    as numbered pages give."""
    first = client.search_messages(query="deploy green", count=2, sort="timestamp", cursor="*")
    pages = [page.data for page in first]
    assert len(pages) >= 2 and pages[-1]["response_metadata"]["next_cursor"] == ""
    assert all(page["response_metadata"]["next_cursor"] for page in pages[:-1])
    by_cursor = [(m["channel"]["id"], m["ts"]) for p in pages for m in p["messages"]["matches"]]
    every = client.search_messages(query="deploy green", count=100, sort="timestamp")
    assert by_cursor == [(m["channel"]["id"], m["ts"]) for m in every["messages"]["matches"]]


# ---- writing, read back from the simulator --------------------------------------------------


def test_post_update_delete_read_back(
    client: WebClient, slack: SlackSim, server: SimulatorServer
) -> None:
    dev = channel(slack, "dev")
    posted = client.chat_postMessage(channel=dev.id, text="from slack_sdk")
    ts = posted["ts"]
    assert (posted["channel"], posted["message"]["text"]) == (dev.id, "from slack_sdk")
    assert dev.messages[ts].text == "from slack_sdk" and dev.messages[ts].user == slack.me.id
    assert client.conversations_history(channel=dev.id, limit=1)["messages"][0]["ts"] == ts

    updated = client.chat_update(channel=dev.id, ts=ts, text="edited by slack_sdk")
    assert (updated["ts"], updated["text"]) == (ts, "edited by slack_sdk")
    assert dev.messages[ts].text == "edited by slack_sdk" and dev.messages[ts].edited
    [read] = client.conversations_history(channel=dev.id, limit=1)["messages"]
    assert (read["text"], read["edited"]["user"]) == ("edited by slack_sdk", slack.me.id)

    link = client.chat_getPermalink(channel=dev.id, message_ts=ts)["permalink"]
    assert link.endswith(f"/archives/{dev.id}/p{ts.replace('.', '')}")

    deleted = client.chat_delete(channel=dev.id, ts=ts)
    assert (deleted["channel"], deleted["ts"]) == (dev.id, ts)
    assert ts not in dev.messages and ts_us(ts) not in dev.timeline
    again = error_of(client.chat_update, channel=dev.id, ts=ts, text="too late")
    assert again.response["error"] == "message_not_found"
    assert [m["ts"] for m in mutations(server, "update")][-1:] == [ts]
    assert [m["ts"] for m in mutations(server, "delete")][-1:] == [ts]


def test_a_channel_name_is_taken_by_chat_post_message_only(
    client: WebClient, slack: SlackSim
) -> None:
    """chat.postMessage's `channel` is "an encoded ID, or a name"; the other methods take a
    conversation ID, and a name is `channel_not_found` there (Slack's method references)."""
    dev = channel(slack, "dev")
    for name in ("#dev", "dev"):
        posted = client.chat_postMessage(channel=name, text=f"to {name}")
        assert posted["channel"] == dev.id and dev.messages[posted["ts"]].text == f"to {name}"
    ts = posted["ts"]
    by_id_only = [
        (client.conversations_history, {}),
        (client.conversations_replies, {"ts": ts}),
        (client.reactions_add, {"timestamp": ts, "name": "eyes"}),
        (client.reactions_remove, {"timestamp": ts, "name": "eyes"}),
        (client.chat_getPermalink, {"message_ts": ts}),
        (client.chat_update, {"ts": ts, "text": "renamed"}),
        (client.chat_delete, {"ts": ts}),
    ]
    for call, kwargs in by_id_only:
        refused = error_of(call, channel="#dev", **kwargs)
        assert refused.response["error"] == "channel_not_found", call.__name__
    assert dev.messages[ts].text == "to dev" and not dev.messages[ts].reactions


def test_someone_elses_message_cannot_be_changed(client: WebClient, slack: SlackSim) -> None:
    ops = channel(slack, "ops")
    theirs = next(us_ts(u) for u in ops.timeline if ops.messages[us_ts(u)].user != slack.me.id)
    before = ops.messages[theirs].text
    update = error_of(client.chat_update, channel=ops.id, ts=theirs, text="not mine")
    delete = error_of(client.chat_delete, channel=ops.id, ts=theirs)
    assert update.response["error"] == "cant_update_message"
    assert delete.response["error"] == "cant_delete_message"
    assert ops.messages[theirs].text == before


def test_reaction_added_once_and_read_back(
    client: WebClient, slack: SlackSim, server: SimulatorServer
) -> None:
    ops = channel(slack, "ops")
    ts = us_ts(ops.timeline[0])
    assert client.reactions_add(channel=ops.id, timestamp=ts, name="eyes")["ok"]
    assert slack.me.id in ops.messages[ts].reactions["eyes"]
    [read] = client.conversations_replies(channel=ops.id, ts=ts, limit=1)["messages"]
    assert {"name": "eyes", "users": ops.messages[ts].reactions["eyes"]}.items() <= next(
        r for r in read["reactions"] if r["name"] == "eyes"
    ).items()
    twice = error_of(client.reactions_add, channel=ops.id, timestamp=ts, name="eyes")
    assert twice.response["error"] == "already_reacted"
    assert mutations(server, "reaction")[-1] == {
        "service": "slack",
        "kind": "reaction",
        "channel": ops.id,
        "ts": ts,
        "name": "eyes",
    }


def test_reaction_removed_once_and_read_back(
    client: WebClient, slack: SlackSim, server: SimulatorServer
) -> None:
    """reactions.remove through slack_sdk: my reaction is gone from the message (read back
    with conversations.replies too); a second remove is Slack's `no_reaction`."""
    ops = channel(slack, "ops")
    ts = us_ts(ops.timeline[1])
    assert client.reactions_add(channel=ops.id, timestamp=ts, name="tada")["ok"]
    assert client.reactions_remove(channel=ops.id, timestamp=ts, name="tada")["ok"]
    assert slack.me.id not in ops.messages[ts].reactions.get("tada", [])
    [read] = client.conversations_replies(channel=ops.id, ts=ts, limit=1)["messages"]
    assert all(
        slack.me.id not in r["users"] for r in read.get("reactions", []) if r["name"] == "tada"
    )
    twice = error_of(client.reactions_remove, channel=ops.id, timestamp=ts, name="tada")
    assert twice.response["error"] == "no_reaction"
    assert mutations(server, "unreaction")[-1] == {
        "service": "slack",
        "kind": "unreaction",
        "channel": ops.id,
        "ts": ts,
        "name": "tada",
    }


# ---- errors: HTTP 200 with ok:false, and the 429 --------------------------------------------


def test_ok_false_is_http_200_with_slacks_error_code(
    client: WebClient, slack: SlackSim, server: SimulatorServer, api_url: str
) -> None:
    missing = error_of(client.conversations_history, channel="C0NOSUCH0")
    assert (missing.response.status_code, missing.response["error"]) == (200, "channel_not_found")
    assert missing.response["ok"] is False
    anonymous = WebClient(base_url=api_url)  # no token at all
    assert error_of(anonymous.auth_test).response["error"] == "not_authed"
    forged = WebClient(token="fake-token-not-issued", base_url=api_url)
    assert error_of(forged.auth_test).response["error"] == "invalid_auth"
    dev = channel(slack, "dev")
    private = next(c for c in slack.channels.values() if c.kind == "private")
    slack.left_channels = f"dev,{private.id}"
    try:
        # A public channel one is not in is there, not readable (not_in_channel); a private
        # one is not there at all for a non-member (channel_not_found), as a wrong id is;
        # conversations.replies answers each as conversations.history does.
        said = [
            (method.__name__, ref, error_of(method, channel=ref, ts="1.000001").response)
            for method in (client.conversations_history, client.conversations_replies)
            for ref in (dev.id, private.id, "C0NOSUCH0")
        ]
    finally:
        slack.left_channels = ""
    for method_name, ref, answer in said:
        assert (answer.status_code, answer["ok"]) == (200, False), method_name
        code = "not_in_channel" if ref == dev.id else "channel_not_found"
        assert answer["error"] == code, (method_name, ref)


def test_missing_scope_names_needed_and_provided(
    server: SimulatorServer, slack: SlackSim, api_url: str
) -> None:
    token = "fake-read-only-token-for-tests"
    scopes = frozenset({"channels:read", "channels:history"})
    slack.tokens[token] = TokenInfo("user", slack.me.id, scopes)
    reader = WebClient(token=token, base_url=api_url)
    dev = channel(slack, "dev")
    assert reader.conversations_history(channel=dev.id, limit=1)["ok"]
    refused = error_of(reader.chat_postMessage, channel=dev.id, text="no scope for this")
    body = refused.response.data
    assert (refused.response.status_code, body["error"]) == (200, "missing_scope")
    assert body["needed"] == "chat:write"
    assert set(body["provided"].split(",")) == scopes


def test_a_429_without_a_retry_handler_says_retry_after_in_seconds(
    client: WebClient, server: SimulatorServer
) -> None:
    server.set_faults([{"service": "slack", "endpoint": "/api/users.info", "rate_limit_rate": 1.0}])
    limited = error_of(client.users_info, user="U0")
    assert limited.response.status_code == 429
    assert limited.response["error"] == "ratelimited"
    assert limited.response.headers["retry-after"] == "5"  # the fault rule's default, seconds


class VirtualSleep:
    """What slack_sdk's retry handler sleeps, on a virtual clock the simulator's tier windows
    read too: each sleep is recorded, the clock moves on at once, then `then()` runs."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.slept: list[float] = []
        self.then = lambda: None

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.now += seconds
        self.then()


@pytest.fixture
def virtual_sleep(
    monkeypatch: pytest.MonkeyPatch, server: SimulatorServer
) -> Iterator[VirtualSleep]:
    clock = ManualClock(time.time())
    real = server.world.clock
    with server.world.lock:
        server.world.clock = clock
        server.world.services["slack"]._budgets.clear()  # windows on the virtual clock
    sleeper = VirtualSleep(clock)
    monkeypatch.setattr(builtin_handlers, "time", sleeper)  # the module's `time.sleep`
    yield sleeper
    with server.world.lock:
        server.world.clock = real
        server.world.services["slack"]._budgets.clear()


def retrying_client(server: SimulatorServer, api_url: str) -> WebClient:
    return WebClient(
        token=server.account("slack").token,
        base_url=api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )


def test_a_tier_limit_is_waited_out_by_the_rate_limit_retry_handler(
    server: SimulatorServer, slack: SlackSim, api_url: str, virtual_sleep: VirtualSleep
) -> None:
    """Outside the Marketplace, conversations.history is 1 a minute: the second read within
    the minute gets a 429 whose Retry-After counts the seconds left of it, and slack_sdk
    sleeps that long (plus its jitter under a second) and gets the page."""
    retrying = retrying_client(server, api_url)
    ops = channel(slack, "ops")
    slack.non_marketplace = True
    try:
        first = retrying.conversations_history(channel=ops.id)
        second = retrying.conversations_history(channel=ops.id)
    finally:
        slack.non_marketplace = False
    assert first["messages"] == second["messages"] and len(first["messages"]) <= 15
    [slept] = virtual_sleep.slept
    assert 60 <= slept < 61  # Retry-After: 60 (the whole tier-1 minute), not 60000 ms


def test_a_fault_429_is_retried_after_its_retry_after(
    server: SimulatorServer, slack: SlackSim, api_url: str, virtual_sleep: VirtualSleep
) -> None:
    """A storm of 429s (a fault rule) that ends while slack_sdk waits: one retry, after the
    Retry-After the simulator sent."""
    rule = {"service": "slack", "endpoint": "/api/users.info", "rate_limit_rate": 1.0}
    server.set_faults([{**rule, "retry_after": 3}])
    virtual_sleep.then = server.clear_faults
    retrying = retrying_client(server, api_url)
    assert retrying.users_info(user=slack.me.id)["user"]["id"] == slack.me.id
    [slept] = virtual_sleep.slept
    assert 3 <= slept < 4


# ---- OAuth v2 with PKCE, and token rotation as slack_sdk does it ------------------------------

REDIRECT = "http://127.0.0.1:40123/slack/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B


def consent_code(server: SimulatorServer) -> str:
    """The user allows a PKCE install (user scopes only, as a desktop app gets) on the
    simulator's consent page; the code its redirect carries."""
    digest = hashlib.sha256(VERIFIER.encode()).digest()
    params = {
        "client_id": "123.456",
        "user_scope": "channels:read,channels:history,search:read",
        "redirect_uri": REDIRECT,
        "state": "st",
        "code_challenge": base64.urlsafe_b64encode(digest).decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    with httpx.Client(base_url=server.root_url + "/slack") as http:
        assert http.get("/oauth/v2/authorize", params=params).status_code == 200
        allowed = http.post("/oauth/v2/authorize", data={**params, "decision": "allow"})
    [code] = parse_qs(urlsplit(allowed.headers["location"]).query)["code"]
    return code


def test_a_pkce_install_and_its_rotation_through_slack_sdk(
    server: SimulatorServer, slack: SlackSim, api_url: str
) -> None:
    """oauth.v2.access (slack_sdk sends client_id and secret as HTTP Basic: a public client
    has none) gives the user token with its rotation fields in `authed_user`, where
    slack_sdk's Installation and TokenRotator read them; the rotated token works, and the
    refresh token it replaced is spent."""
    anonymous = WebClient(base_url=api_url)
    installed = anonymous.oauth_v2_access(
        client_id="123.456",
        client_secret="",
        code=consent_code(server),
        redirect_uri=REDIRECT,
        code_verifier=VERIFIER,
    )
    user = installed["authed_user"]
    installation = Installation(
        user_id=user["id"],
        team_id=installed["team"]["id"],
        user_token=user["access_token"],
        user_scopes=user["scope"],
        user_refresh_token=user["refresh_token"],
        user_token_expires_in=user["expires_in"],
    )
    assert (user["id"], user["token_type"], user["expires_in"]) == (slack.me.id, "user", 43200)
    rotator = TokenRotator(client_id="123.456", client_secret="", client=anonymous)
    due = 24 * 60  # rotate what expires within a day: the 12-hour token now
    rotated = rotator.perform_token_rotation(
        installation=installation, minutes_before_expiration=due
    )
    assert rotated is not None and rotated.user_token != installation.user_token
    assert rotated.user_refresh_token != installation.user_refresh_token
    # Slack's shapes for rotating tokens, before and after: slack_sdk keeps them as given.
    for token, refresh in (
        (installation.user_token, installation.user_refresh_token),
        (rotated.user_token, rotated.user_refresh_token),
    ):
        assert token and token.startswith("xoxe.xoxp-1-")
        assert refresh and refresh.startswith("xoxe-1-")
    me = WebClient(token=rotated.user_token, base_url=api_url).auth_test()
    assert me["user_id"] == slack.me.id
    again = error_of(
        anonymous.oauth_v2_access,
        client_id="123.456",
        client_secret="",
        grant_type="refresh_token",
        refresh_token=installation.user_refresh_token,
    )
    assert again.response["error"] == "invalid_refresh_token"


# ---- Events API signing ----------------------------------------------------------------------


class Captured(BaseHTTPRequestHandler):
    """A small receiver of the simulator's deliveries: answers 200, keeps headers and body."""

    got: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Captured.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def delivery(server: SimulatorServer, client: WebClient, slack: SlackSim) -> Iterator[Any]:
    """One Events API delivery the simulator signed: a message posted through slack_sdk."""
    Captured.got = []
    with loopback_http(Captured) as url:
        server.set_webhooks({"slack": (url + "/slack/events", SECRET)})
        try:
            posted = client.chat_postMessage(channel=channel(slack, "dev").id, text="hooked")
            dispatcher = webhook_dispatcher(server.app)
            assert dispatcher is not None and dispatcher.wait_idle(10)
        finally:
            server.set_webhooks({})
    [(headers, body)] = [(h, b) for h, b in Captured.got if posted["ts"].encode() in b]
    yield headers, body, posted


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store.open(":memory:")
    yield store
    store.close()


def receiver(store: Store, now: float) -> WebhookReceiver:
    """zen-tui's webhook receiver (its ASGI app) at `now`, with the test's signing secret."""
    config = WebhookConfig(enabled=True)
    return WebhookReceiver(config, store, secrets={"slack": SECRET}, clock=lambda: now)


async def post(r: WebhookReceiver, body: bytes, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=r.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://zen") as http:
        return await http.post("/webhooks/slack", content=body, headers=headers)


async def test_a_simulator_delivery_is_valid_for_slack_sdk_and_for_zen_tui(
    delivery: Any, store: Store
) -> None:
    headers, body, posted = delivery
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    envelope = json.loads(body)
    assert envelope["type"] == "event_callback" and envelope["event"]["ts"] == posted["ts"]
    answer = await post(receiver(store, time.time()), body, headers)
    assert answer.status_code == 202
    [row] = store.webhook_pending()
    assert row.delivery_id == envelope["event_id"] and row.event == "message"


class FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


NOW = 1_767_225_600


@pytest.mark.parametrize(
    ("age", "secret", "accepted"),
    [
        (0, SECRET, True),
        (300, SECRET, True),  # the edge of the five minutes: still fresh for both
        (301, SECRET, False),  # stale: a replay
        (-301, SECRET, False),  # from the future, as far
        (0, "a-guessed-secret", False),
    ],
)
async def test_zen_tui_accepts_what_signature_verifier_accepts(
    age: int, secret: str, accepted: bool, store: Store
) -> None:
    body = json.dumps(
        {"type": "event_callback", "event_id": f"Ev{age}{len(secret)}", "event": {"type": "x"}}
    ).encode()
    stamp = str(NOW - age)
    signed = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signed is not None
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signed}
    ours = SignatureVerifier(SECRET, clock=FixedClock(NOW))
    assert ours.is_valid(body, stamp, signed) is accepted
    answer = await post(receiver(store, NOW), body, headers)
    assert (answer.status_code == 202) is accepted
    if not accepted:
        assert answer.status_code == 401
