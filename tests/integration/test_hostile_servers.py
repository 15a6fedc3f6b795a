"""A malicious or broken API host, on real sockets (127.0.0.1), through the real gateway,
engine and SQLite store: links to other origins, huge answers, endless empty pages and
malformed items (issue 9, point 3 and "response limits")."""

from __future__ import annotations

import gzip
import json
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from msgspec.structs import replace

from tests.helpers import files_holding
from tests.hostile_server import Answer, HostileServer, hostile_server
from zen_tui.config import SectionConfig, Settings
from zen_tui.demo import demo_settings
from zen_tui.gateway.errors import OffOrigin
from zen_tui.logs import setup_logging, shutdown_logging
from zen_tui.models import FreshnessState, Snapshot
from zen_tui.services.base import MAX_EMPTY_PAGES
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

from .conftest import fast

SEARCH = "/api/search/issues"
MB = 1_000_000


@dataclass(frozen=True)
class _Account:  # what demo_settings reads from a simulator account
    service: str
    name: str
    base_url: str
    token: str
    username: str


def issue(n: int, title: object = None) -> dict[str, object]:
    return {
        "number": n,
        "title": f"issue {n}" if title is None else title,
        "html_url": f"https://github.com/o/r/issues/{n}",
        "repository_url": "https://api.github.com/repos/o/r",
        "updated_at": f"2024-01-{n:02d}T00:00:00Z",
        "state": "open",
        "user": {"login": "bob"},
        "labels": [],
    }


def page(items: list[dict[str, object]], next_url: str | None = None) -> Answer:
    headers = {"Content-Type": "application/json"}
    if next_url:
        headers["Link"] = f'<{next_url}>; rel="next"'
    return Answer(200, headers, json.dumps({"items": items}).encode())


@pytest.fixture
def token() -> str:
    return "ghp_" + secrets.token_hex(18)  # built at run time: no literal looks like a token


@pytest.fixture
def other() -> Iterator[HostileServer]:
    """The other host a link points to: it must never see a request."""
    with hostile_server(lambda path, n: page([issue(99)])) as server:
        yield server


def settings_for(api: HostileServer, token: str, data: Path) -> Settings:
    account = _Account("github", "gh", f"{api.url}/api", token, "me")
    settings = fast(demo_settings([account], data))
    section = SectionConfig("issues", "Assigned", "gh", query="is:issue assignee:@me")
    return replace(settings, sections=[section])


async def sync(settings: Settings) -> tuple[SyncEngine, Snapshot]:
    engine = SyncEngine(build(settings))
    [snapshot] = (await engine.sync_once()).values()
    return engine, snapshot


def scripted(answers: dict[str, Callable[[int], Answer]]) -> Callable[[str, int], Answer]:
    """Route by path prefix; `answers[prefix](n)` with n = requests so far."""

    def script(path: str, n: int) -> Answer:
        for prefix, answer in answers.items():
            if path.startswith(prefix):
                return answer(n)
        return Answer(404, {}, b'{"message": "Not Found"}')

    return script


# ---- point 3: the token never follows a link to another origin ------------------------------


async def test_a_next_link_to_another_host_is_not_followed(
    tmp_path: Path, token: str, other: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    off_site = f"{other.url}/api/search/issues?page=2"
    script = scripted({SEARCH: lambda n: page([issue(1), issue(2)], off_site)})
    caplog.set_level(logging.DEBUG)
    with hostile_server(script) as api:
        engine, snapshot = await sync(settings_for(api, token, tmp_path))
        await engine.wired.aclose()

    assert other.requests == []  # not one request, so no Authorization either
    assert [r.headers.get("Authorization") for r in api.requests] == [f"Bearer {token}"]
    # what came is kept (newest first, as a partial answer is merged like a delta)
    assert sorted(i.key for i in snapshot.items) == ["o/r#1", "o/r#2"]
    assert snapshot.freshness.state is FreshnessState.CACHED
    assert (snapshot.freshness.reason or "").startswith("partial: stopped paging")
    port = other.url.rsplit(":", 1)[1]
    assert f"127.0.0.1:{port}" in (snapshot.freshness.reason or "")
    assert "stopped paging" in caplog.text and token not in caplog.text


@pytest.mark.parametrize(
    "make_link",
    [
        lambda api: f"{api.url}/elsewhere/search?page=2",  # same origin, outside the base path
        lambda api: f"{api.url}/api/../elsewhere?page=2",  # escapes the prefix with dot segments
        lambda api: api.url.replace("http://", "https://") + "/api/search/issues?page=2",
    ],
)
async def test_a_next_link_outside_the_base_url_is_not_followed(
    tmp_path: Path, token: str, make_link: Callable[[HostileServer], str]
) -> None:
    holder: dict[str, str] = {}
    script = scripted({SEARCH: lambda n: page([issue(1)], holder["link"])})
    with hostile_server(script) as api:
        holder["link"] = make_link(api)
        engine, snapshot = await sync(settings_for(api, token, tmp_path))
        await engine.wired.aclose()
    assert [r.path.split("?")[0] for r in api.requests] == [SEARCH]
    assert [i.key for i in snapshot.items] == ["o/r#1"]
    assert "stopped paging" in (snapshot.freshness.reason or "")


async def test_the_gateway_refuses_any_url_off_its_base(
    tmp_path: Path, token: str, other: HostileServer
) -> None:
    # The backstop under every client: whatever code path takes a URL from an answer.
    with hostile_server(scripted({})) as api:
        wired = build(settings_for(api, token, tmp_path))
        gateway = wired.gateways["gh"]
        for url in (f"{other.url}/api/x", f"//127.0.0.1:{other.url.rsplit(':', 1)[1]}/api/x"):
            with pytest.raises(OffOrigin) as info:
                await gateway.request("GET", url)
            assert token not in str(info.value) and "/api/x" not in str(info.value)
        await wired.aclose()
    assert other.requests == [] and api.requests == []


# ---- response limits -------------------------------------------------------------------------


def huge(total: int, piece: int = 256 * 1024) -> Iterator[bytes]:
    """A valid-looking JSON list that goes on for `total` bytes, sent chunked (no length)."""
    yield b'{"items": ['
    filler = (json.dumps(issue(1)) + ",").encode()
    chunk = filler * (piece // len(filler))
    for _ in range(total // len(chunk)):
        yield chunk
    yield json.dumps(issue(2)).encode() + b"]}"


async def test_a_60_mb_answer_is_refused_and_the_next_good_one_restores_the_section(
    tmp_path: Path, token: str
) -> None:
    mode = {"now": "good"}

    def answer(n: int) -> Answer:
        if mode["now"] == "huge":
            return Answer(200, {"Content-Type": "application/json"}, huge(60 * MB))
        if mode["now"] == "huge-declared":
            return Answer(200, {"Content-Type": "application/json"}, b" " * (9 * MB))
        return page([issue(n)])

    with hostile_server(scripted({SEARCH: answer})) as api:
        settings = settings_for(api, token, tmp_path)
        engine, first = await sync(settings)
        assert [i.key for i in first.items] == ["o/r#1"]

        mode["now"] = "huge"
        before = api.sent_bytes
        [refused] = (await engine.sync_once()).values()
        sent = api.sent_bytes - before
        assert sent < 20 * MB, f"the client read {sent / MB:.0f} MB before stopping"
        reason = refused.freshness.reason or ""
        assert "larger than 8 MB" in reason and "max_response_mb" in reason
        assert [i.key for i in refused.items] == ["o/r#1"]  # the last good answer stays
        stored, _ = engine.wired.store.load_section(engine.wired.sections[0].id)
        assert [i.key for i in stored] == ["o/r#1"]  # nothing stored from the refused one

        mode["now"] = "huge-declared"  # a Content-Length past the cap: refused before reading
        [declared] = (await engine.sync_once()).values()
        assert "declared 9.0 MB" in (declared.freshness.reason or "")

        mode["now"] = "good"
        [restored] = (await engine.sync_once()).values()
        assert restored.freshness.state is FreshnessState.LIVE
        assert [i.key for i in restored.items] == [f"o/r#{len(api.requests)}"]
        biggest = engine.wired.store._connection().execute(
            "SELECT max(length(body)) FROM http_cache"
        )
        assert (biggest.fetchone()[0] or 0) < MB
        await engine.wired.aclose()


async def test_endless_empty_pages_end_the_sync(tmp_path: Path, token: str) -> None:
    def answer(n: int) -> Answer:  # every page empty, each with a new next link
        return page([], f"{api.url}{SEARCH}?page={n + 1}")

    with hostile_server(scripted({SEARCH: answer})) as api:
        engine, snapshot = await sync(settings_for(api, token, tmp_path))
        await engine.wired.aclose()
    assert len(api.requests) == MAX_EMPTY_PAGES
    assert "empty pages in a row" in (snapshot.freshness.reason or "")


async def test_an_item_with_a_null_title_is_skipped_not_its_page(
    tmp_path: Path, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = [issue(1), {**issue(2), "title": None}, issue(3)]
    with hostile_server(scripted({SEARCH: lambda n: page(body)})) as api:
        engine, snapshot = await sync(settings_for(api, token, tmp_path))
        await engine.wired.aclose()
    assert [i.key for i in snapshot.items] == ["o/r#1", "o/r#3"]
    assert snapshot.freshness.state is FreshnessState.LIVE
    assert "skipped a malformed item: bad response: missing field 'title'" in caplog.text


async def test_an_answer_of_only_malformed_items_keeps_the_rows_and_is_not_live(
    tmp_path: Path, token: str
) -> None:
    """Every item unreadable (an API change the parser does not know, a garbling proxy) is
    no listing: the section was emptied and said `live`, as if nothing were assigned."""
    good = [issue(1), issue(2), issue(3)]
    garbled = [{**i, "title": None} for i in good]
    answers = {SEARCH: lambda n: page(good if n == 1 else garbled)}
    with hostile_server(scripted(answers)) as api:
        engine, first = await sync(settings_for(api, token, tmp_path))
        [second] = (await engine.sync_once()).values()
        await engine.wired.aclose()
    assert first.freshness.state is FreshnessState.LIVE
    assert sorted(i.key for i in second.items) == ["o/r#1", "o/r#2", "o/r#3"]
    assert second.freshness.state is not FreshnessState.LIVE
    assert "all 3 items the server sent were malformed" in (second.freshness.reason or "")


# ---- point 9: cookies are secrets too ---------------------------------------------------------


async def test_cookies_from_answers_reach_no_file(tmp_path: Path, token: str) -> None:
    cookie = "sess-" + secrets.token_hex(16)

    def answer(n: int) -> Answer:
        good = page([issue(1)])
        good.headers["Set-Cookie"] = f"session={cookie}; Path=/; HttpOnly"
        return good

    data = tmp_path / "data"
    log_file = setup_logging(data, "DEBUG")  # httpcore logs every header pair at DEBUG
    try:
        with hostile_server(scripted({SEARCH: answer})) as api:
            engine, snapshot = await sync(settings_for(api, token, data))
            await engine.wired.aclose()
    finally:
        shutdown_logging()
    assert [i.key for i in snapshot.items] == ["o/r#1"]
    assert "Set-Cookie" in log_file.read_text(encoding="utf-8")  # it was logged, masked
    assert files_holding(data, [cookie, token]) == []


async def test_a_gzip_bomb_is_capped_on_its_decoded_size(tmp_path: Path, token: str) -> None:
    bomb = gzip.compress(b" " * (50 * MB), compresslevel=9)  # ~50 KB on the wire
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    with hostile_server(scripted({SEARCH: lambda n: Answer(200, headers, bomb)})) as api:
        engine, snapshot = await sync(settings_for(api, token, tmp_path))
        await engine.wired.aclose()
    assert len(bomb) < MB
    assert "larger than 8 MB" in (snapshot.freshness.reason or "")
    assert snapshot.items == ()


# ---- a body nested too deeply for any JSON decoder ----------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (200, "bad response: malformed JSON from /search/issues (nested too deeply)"),
        (403, "403 Forbidden"),  # the server's own message is unreadable: the HTTP reason
        (410, "410 Gone"),  # not taken for a retired API (which says so in readable JSON)
    ],
)
async def test_an_answer_nested_too_deeply_is_a_bad_response_and_the_items_stay(
    tmp_path: Path, token: str, status: int, reason: str
) -> None:
    """json.loads raises RecursionError, no ValueError, on it: it got past every parse."""
    mode = {"deep": False}

    def answer(n: int) -> Answer:
        if mode["deep"]:
            return Answer(status, {"Content-Type": "application/json"}, DEEP)
        return page([issue(1)])

    data = tmp_path / "data"
    log_file = setup_logging(data, "DEBUG")
    try:
        with hostile_server(scripted({SEARCH: answer})) as api:
            engine, first = await sync(settings_for(api, token, data))
            assert [i.key for i in first.items] == ["o/r#1"]
            mode["deep"] = True
            [refused] = (await engine.sync_once()).values()
            await engine.wired.aclose()
    finally:
        shutdown_logging()
    assert refused.freshness.state is not FreshnessState.LIVE
    assert reason in (refused.freshness.reason or "")
    assert [i.key for i in refused.items] == ["o/r#1"]  # the last good answer stays shown
    stored, _ = engine.wired.store.load_section(engine.wired.sections[0].id)
    assert [i.key for i in stored] == ["o/r#1"]
    logged = log_file.read_text(encoding="utf-8")
    assert "Traceback" not in logged and "RecursionError" not in logged


async def test_a_web_page_instead_of_json_says_so(tmp_path: Path, token: str) -> None:
    """A proxy's or a sign-in page's HTML (a hotel wifi, an expired VPN, a base_url naming
    the website) read `malformed JSON from /search/issues (Expecting value: line 1 column 1
    (char 0))`: true, but no hint of what is in the way."""
    page_html = Answer(200, {"Content-Type": "text/html; charset=utf-8"}, b"<html>Sign in</html>")
    with hostile_server(scripted({SEARCH: lambda n: page_html})) as api:
        engine, snapshot = await sync(settings_for(api, token, tmp_path))
        await engine.wired.aclose()
    reason = snapshot.freshness.reason or ""
    assert "/search/issues answered a web page (text/html), not JSON" in reason, reason
    assert "base_url" in reason and "Expecting value" not in reason
