"""The simulator over real loopback sockets: start/stop, pagination, 304s, faults, control."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import httpx
import pytest

from zen_tui.simulator import SimulatorServer


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(seed=11, size=600) as srv:
        yield srv


@pytest.fixture
def gh(server: SimulatorServer) -> Iterator[httpx.Client]:
    server.clear_faults()
    server.reset_counters()
    account = server.account("github")
    headers = {"Authorization": f"Bearer {account.token}"}
    with httpx.Client(base_url=account.base_url, headers=headers, timeout=5) as client:
        yield client
    server.clear_faults()


def test_listens_on_an_ephemeral_loopback_port(server: SimulatorServer) -> None:
    assert server.root_url.startswith("http://127.0.0.1:")
    assert server.port > 0
    github = server.account("github")
    assert github.base_url == f"{server.root_url}/github"
    assert github.token.startswith("ghp_")


def test_accounts_one_per_mounted_service(server: SimulatorServer) -> None:
    names = [a.service for a in server.accounts]
    assert names == list(server.world.services)
    assert len(set(a.token for a in server.accounts)) == len(names)


def test_search_link_pagination_over_socket(gh: httpx.Client) -> None:
    r = gh.get("/search/issues", params={"q": "is:open", "per_page": 50})
    total = r.json()["total_count"]
    ids = [i["id"] for i in r.json()["items"]]
    while "next" in r.links:
        r = gh.get(r.links["next"]["url"])
        ids += [i["id"] for i in r.json()["items"]]
    assert len(ids) == len(set(ids)) == min(total, 1000)


def test_repository_id_links_work_over_socket(gh: httpx.Client) -> None:
    r = gh.get("/repos/acme/web/pulls", params={"state": "all", "per_page": 10})
    last = r.links["last"]["url"]
    assert "/github/repositories/" in last
    tail = gh.get(last)
    assert tail.status_code == 200 and "next" not in tail.links


def test_conditional_get_304_over_socket_spends_nothing(
    gh: httpx.Client, server: SimulatorServer
) -> None:
    r = gh.get("/repos/acme/api/issues/3")
    again = gh.get("/repos/acme/api/issues/3", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    counters = server.counters()
    assert counters["not_modified"] == {"github": 1}
    assert counters["quota_spent"] == {"github:core": 1}


def test_reset_fault_drops_the_connection(gh: httpx.Client, server: SimulatorServer) -> None:
    server.set_faults([{"service": "github", "endpoint": "/user", "reset_rate": 1.0}])
    with pytest.raises(httpx.ReadError, match="reset"):  # a real TCP RST, no bytes
        gh.get("/user")
    rows = [r for r in server.counters()["requests"] if r["endpoint"] == "/user"]
    assert rows == [{"service": "github", "endpoint": "/user", "status": 599, "count": 1}]
    server.clear_faults()
    assert gh.get("/user").status_code == 200


def test_hang_outlasts_client_timeout(gh: httpx.Client, server: SimulatorServer) -> None:
    server.set_faults([{"service": "github", "hang_rate": 1.0, "hang_seconds": 2}])
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        gh.get("/user", timeout=0.3)
    assert time.monotonic() - started < 1.5


def test_latency_is_applied(gh: httpx.Client, server: SimulatorServer) -> None:
    server.set_faults([{"service": "github", "latency_ms": 250}])
    started = time.monotonic()
    assert gh.get("/user").status_code == 200
    assert time.monotonic() - started >= 0.25


def test_control_api_over_socket(gh: httpx.Client, server: SimulatorServer) -> None:
    ctl = httpx.Client(base_url=server.root_url + "/_sim")
    assert ctl.put("/faults", json={"service": "github", "outage": True}).status_code == 200
    assert gh.get("/user").status_code == 503
    ctl.delete("/faults")
    assert gh.get("/user").status_code == 200
    info = ctl.get("/info").json()
    assert info["seed"] == 11 and info["services"]["github"]["base_url"].endswith("/github")
    assert ctl.post("/scenario", json={"name": "steady"}).json()["name"] == "steady"
    assert ctl.delete("/scenario").json()["name"] is None
    assert ctl.post("/scenario", json={"name": "nope"}).status_code == 400


def test_activity_switch(server: SimulatorServer) -> None:
    ctl = httpx.Client(base_url=server.root_url + "/_sim")
    before = len(server.world.services["github"].state.items)  # type: ignore[attr-defined]
    assert ctl.post("/activity", json={"on": True, "interval": 0.05}).json()["on"] is True
    deadline = time.monotonic() + 3
    while ctl.get("/activity").json()["changes"] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ctl.post("/activity", json={"on": False}).json()["on"] is False
    assert ctl.get("/activity").json()["changes"] >= 3
    assert len(server.world.services["github"].state.items) >= before  # type: ignore[attr-defined]


def test_stop_releases_the_port() -> None:
    srv = SimulatorServer(size=30).start()
    port = srv.port
    assert httpx.get(f"{srv.root_url}/_sim/info").status_code == 200
    srv.stop()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_webhook_targets_set_over_control_api_receive_signed_events(
    gh: httpx.Client, server: SimulatorServer
) -> None:
    receiver = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_port}/hook"
    ctl = httpx.Client(base_url=server.root_url + "/_sim")
    try:
        bad = ctl.put("/webhooks", json={"github": {"url": "ftp://x"}})
        assert bad.status_code == 400 and "http(s)" in bad.json()["error"]
        xml = ctl.put("/webhooks", json={"github": {"url": url, "content_type": "xml"}})
        assert xml.status_code == 400 and "json or form" in xml.json()["error"]
        r = ctl.put("/webhooks", json={"github": {"url": url, "secret": "s3cret"}})
        assert r.json()["targets"] == {"github": url}
        assert "s3cret" not in r.text
        assert (
            gh.post("/repos/acme/api/issues/2/comments", json={"body": "hook me"}).status_code
            == 201
        )
        deadline = time.monotonic() + 5
        while len(_Hook.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        ping, (headers, body) = _Hook.received[:2]  # registering the hook pings it first
        assert ping[0]["X-GitHub-Event"] == "ping" and json.loads(ping[1])["hook_id"] > 0
        assert headers["X-GitHub-Event"] == "issue_comment"
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Hub-Signature-256"], expected)
        assert json.loads(body)["comment"]["body"] == "hook me"
    finally:
        ctl.delete("/webhooks")
        receiver.shutdown()


def test_starting_the_simulator_leaves_logging_as_it_was() -> None:
    """In a `--demo` run the simulator shares the process with the dashboard and the webhook
    receiver: its uvicorn adds no stderr handler (it would draw over the screen), keeps the
    `uvicorn` loggers reaching the root's log file, and sets no level for the process. (Its
    `access_log=False` stops `uvicorn.access` for the process, as the receiver's own does.)"""
    import logging

    names = ("uvicorn", "uvicorn.error", "uvicorn.asgi")

    def state() -> list[tuple[object, ...]]:
        loggers = [logging.getLogger(n) for n in names]
        return [(lg.level, lg.propagate, tuple(lg.handlers), lg.disabled) for lg in loggers]

    before = state()
    with SimulatorServer(size=5):
        assert state() == before
