"""Slack redelivers an event whose first delivery timed out or got a 5xx: same event_id,
`X-Slack-Retry-Num`, a fresh timestamp and signature. Between the simulator and the real
receiver sits a flaky loopback proxy that passes a first delivery on and then answers 503
(or too late), or refuses it unseen; the event must be applied exactly once, whatever the
interleaving of deliveries, retries and polls (seeded random rounds)."""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.helpers import eventually, seeds
from zen_tui.simulator.app import webhook_dispatcher

from .test_webhooks import SECRETS, hooked, started  # noqa: F401  (hooked: a fixture)

SIM_TIMEOUT = 0.25  # the simulator's wait for an answer (Slack's is 3 s)
FATES = ("ok", "ok", "lost_503", "late", "refused_503")


class FlakyProxy:
    """Forwards Slack deliveries to `target`. A first delivery's fate comes from `fate`:
    "ok" (passed on, answered as the receiver did), "lost_503" (passed on, then 503: the
    answer got lost), "late" (passed on, answered after the sender gave up), "refused_503"
    (not passed on). Retries are always passed on."""

    def __init__(self, target: str, fate: random.Random) -> None:
        self.target = urlsplit(target)
        self.fate = fate
        self.lock = threading.Lock()
        # (event_id, retry, fate, status the receiver gave), each attempt
        self.seen: list[tuple[str, int, str, int]] = []
        self.reasons: dict[str, set[str]] = {}  # event_id -> X-Slack-Retry-Reason of retries
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                proxy.handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{self.target.path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers["Content-Length"]))
        event_id = json.loads(body)["event_id"]
        retry = int(request.headers.get("X-Slack-Retry-Num", "0"))
        with self.lock:
            fate = "ok" if retry else self.fate.choice(FATES)
            if retry:
                reason = request.headers.get("X-Slack-Retry-Reason", "")
                self.reasons.setdefault(event_id, set()).add(reason)
        status, answer = 503, b"unavailable"
        if fate != "refused_503":
            status, answer = self.forward(request, body)
        with self.lock:  # what the receiver answered
            self.seen.append((event_id, retry, fate, status))
        if fate in ("lost_503", "refused_503"):
            status, answer = 503, b"unavailable"
        elif fate == "late":
            time.sleep(SIM_TIMEOUT * 2)  # the simulator has stopped listening
        try:
            request.send_response(status)
            request.send_header("Content-Length", str(len(answer)))
            request.end_headers()
            request.wfile.write(answer)
        except OSError:  # "late": the simulator hung up already
            pass

    def forward(self, request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.target.netloc, timeout=5)
        try:
            names = ("Content-Type", "User-Agent", "X-Slack-Request-Timestamp", "X-Slack-Signature")
            headers = {n: request.headers[n] for n in names if request.headers.get(n)}
            for name in ("X-Slack-Retry-Num", "X-Slack-Retry-Reason"):
                if request.headers.get(name):
                    headers[name] = request.headers[name]
            conn.request("POST", self.target.path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def slack_events(world) -> list[dict]:
    events: list[dict] = []
    world.on_change(lambda c: events.append(c.payload) if c.service == "slack" else None)
    return events


def queued_event_ids(engine) -> Counter[str]:
    db = engine.store._connection()
    rows = db.execute("SELECT body FROM webhook_queue WHERE service = 'slack'").fetchall()
    return Counter(json.loads(body)["event_id"] for (body,) in rows)


# Seed 3 in every suite, 17 with make soak (each seed is six rounds of every fate).
@pytest.mark.parametrize("seed", seeds(every_run=[3], soak=[17]))
async def test_slack_retries_are_applied_once_in_any_interleaving(sim, hooked, seed):  # noqa: F811
    engine = await started(hooked, sim)
    proxy: FlakyProxy | None = None
    try:
        rng = random.Random(seed)
        proxy = FlakyProxy(engine.webhooks.server.url("slack"), random.Random(seed + 1))
        dispatcher = webhook_dispatcher(sim.app)
        dispatcher.backoff = (0.0, 0.05, 0.1)
        dispatcher.timeouts = dict.fromkeys(dispatcher.timeouts, SIM_TIMEOUT)
        sim.set_webhooks({"slack": (proxy.url, SECRETS["slack"])})
        world = sim.app.state.world
        slack = world.services["slack"]
        events = slack_events(world)
        section = next(s for s in engine.sections if s.service == "slack" and s.query == "#dev")
        dev = next(c for c in slack.channels.values() if c.name == "dev")
        author = next(u for u in sorted(dev.members) if u not in (slack.me.id, slack.bot.id))
        posted: list[str] = []  # what #dev's history holds now, posted by this test
        for _ in range(6):  # rounds
            for step in range(rng.randint(4, 9)):
                roll = rng.random()
                if roll < 0.45 or not posted:
                    with world.lock:
                        posted.append(slack.post(dev, author, f"news {step}", None).ts)
                elif roll < 0.7:
                    loud = rng.random() < 0.3
                    with world.lock:
                        reply = slack.post(dev, author, "re", rng.choice(posted), broadcast=loud)
                    if loud:
                        posted.append(reply.ts)
                elif roll < 0.8:
                    await engine.pollers[section.id].poll_now(interactive=False)  # a delta
                elif roll < 0.88:  # a full listing: it counts replies whose events still come
                    await engine.refresh(section.id)
                else:
                    await asyncio.sleep(rng.random() * 0.05)  # let some deliveries through
            assert await asyncio.to_thread(dispatcher.wait_idle, 10)
            await eventually(lambda: engine.store.webhook_pending() == [])

            def shown() -> list:
                return list(engine.snapshot(section.id).items)

            await eventually(lambda: set(posted) <= {i.ts for i in shown()})  # none lost
            ids = [i.id for i in shown()]
            assert len(ids) == len(set(ids)), "a message shown twice"
            stored = [i.id for i in engine.store.load_section(section.id)[0]]
            assert len(stored) == len(set(stored))
            with world.lock:
                truth = {ts: len(m.replies) for ts, m in dev.messages.items() if not m.is_reply}
            for item in shown():  # a retried reply never counts twice
                if item.ts in truth:
                    assert item.reply_count <= truth[item.ts], (item.ts, item.reply_count)

        # every event reached the queue exactly once, however many times it was delivered
        queued = queued_event_ids(engine)
        assert sum(queued.values()) == len(events) and max(queued.values()) == 1
        fates = Counter(fate for _, retry, fate, _ in proxy.seen if not retry)
        retried = {eid for eid, retry, _, _ in proxy.seen if retry}
        assert fates["lost_503"] + fates["late"] > 0 and fates["refused_503"] > 0
        passed_on = {
            eid for eid, retry, fate, _ in proxy.seen if not retry and fate in ("lost_503", "late")
        }
        assert passed_on <= retried  # the simulator did retry them, saying why...
        for eid, _, fate, _ in proxy.seen:
            if fate == "late":
                assert "http_timeout" in proxy.reasons[eid]
            elif fate in ("lost_503", "refused_503"):
                assert "http_error" in proxy.reasons[eid]
        # ...and the receiver knew each attempt after one it had taken as a duplicate (on a
        # loaded machine an "ok" answer may come too late for the simulator as well)
        taken: set[str] = set()
        again = 0
        for eid, _, fate, status in sorted(proxy.seen, key=lambda seen: seen[1]):
            again += eid in taken and fate != "refused_503"
            if fate != "refused_503" and 200 <= status < 300:
                taken.add(eid)
        assert engine.webhooks.receiver.stats.duplicates.get("slack", 0) == again >= len(passed_on)
        assert engine.webhooks.processor.failed == 0
    finally:
        sim.set_webhooks({})
        if proxy is not None:
            proxy.close()
        await engine.stop()
