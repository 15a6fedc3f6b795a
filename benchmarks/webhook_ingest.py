"""Webhook receiver CPU per delivery: zen-tui's receiver against a minimal Starlette receiver
doing the same work on the same stack (uvicorn + h11 + Starlette, one process each).

Both verify the GitHub HMAC over the raw body, parse the JSON, and insert the delivery (with
its body digest) into the same SQLite schema with the same pragmas, one committed transaction
each. The figure is the server process's own CPU (user + system from /proc/PID/stat) over a
batch of deliveries, divided by the batch: the client (raw keep-alive sockets with requests
built beforehand, in this parent process) is not measured, so it cannot be the bottleneck.
Batches alternate between the two servers so load from other processes hits both.

Run: .venv/bin/python benchmarks/webhook_ingest.py [rounds]   (about half a minute)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SECRET = "bench-webhook-secret-not-real"
BATCH = 2000  # ~0.5 s of server CPU: /proc counts in 10 ms ticks
WARMUP = 100
READY = "port"


# -- the servers (children) -------------------------------------------------------------------
def serve_ours(db: Path) -> None:
    import asyncio
    import time

    from zen_tui.config import WebhookConfig
    from zen_tui.store import Store
    from zen_tui.sync.webhooks import WebhookReceiver, WebhookServer

    async def main() -> None:
        store = Store.open_in(db)
        config = WebhookConfig(enabled=True, port=0)
        receiver = WebhookReceiver(config, store, secrets={"github": SECRET}, clock=time.time)
        server = WebhookServer(receiver)
        assert await server.start()
        await _announce_and_wait(server.port or 0)
        await server.stop()
        store.close()

    asyncio.run(main())


def serve_minimal(db: Path) -> None:
    """What the receiver does, written as briefly as Starlette allows."""
    import asyncio
    import sqlite3
    import time

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from zen_tui.store import Store

    Store.open_in(db).close()  # the same schema and indexes as ours
    conn = sqlite3.connect(db / "zen-tui.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")

    async def receive(request: Request) -> PlainTextResponse:
        body = await request.body()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("x-hub-signature-256", "")):
            return PlainTextResponse("bad signature", status_code=401)
        json.loads(body)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT OR IGNORE INTO webhook_queue"
            " (service, delivery_id, event, body, received_at, digest) VALUES (?, ?, ?, ?, ?, ?)",
            (
                request.path_params["service"],
                request.headers["x-github-delivery"],
                request.headers["x-github-event"],
                body,
                time.time(),
                hashlib.sha256(body).hexdigest(),
            ),
        )
        conn.execute("COMMIT")
        return PlainTextResponse("queued", status_code=202)

    async def main() -> None:
        app = Starlette(routes=[Route("/webhooks/{service}", receive, methods=["POST"])])
        # proto=IPPROTO_TCP, as ours: asyncio then sets TCP_NODELAY on accepted sockets;
        # without it Nagle and delayed ACKs add ~40 ms per answer
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", http="h11")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        await _announce_and_wait(sock.getsockname()[1])
        server.should_exit = True
        await task

    asyncio.run(main())


async def _announce_and_wait(port: int) -> None:
    """Say the port, then serve until the parent closes our stdin."""
    import asyncio

    os.write(1, f"{READY} {port}\n".encode())
    await asyncio.to_thread(sys.stdin.read)


# -- the parent -------------------------------------------------------------------------------
def delivery(n: int, tag: str) -> bytes:
    """One signed GitHub delivery (an HTTP/1.1 keep-alive request), unique body and id."""
    payload = {
        "action": "opened",
        "number": n,
        "pull_request": {"number": n, "title": f"change {n}", "user": {"login": "octo"}},
        "repository": {"full_name": "acme/web"},
        "tag": tag,
    }
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    head = (
        "POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nX-GitHub-Event: pull_request\r\n"
        f"X-GitHub-Delivery: {tag}-{n}\r\nX-Hub-Signature-256: {signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def send_all(port: int, requests: list[bytes]) -> None:
    """One request at a time on one connection, each answered before the next."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")
        for request in requests:
            sock.sendall(request)
            status = reader.readline()
            if b" 202 " not in status:
                raise RuntimeError(f"delivery not queued: {status!r}")
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            reader.read(length)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class Server:
    def __init__(self, kind: str, db: Path) -> None:
        db.mkdir()
        self.kind = kind
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--child", kind, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith(READY):
            raise RuntimeError(f"{kind} server did not start")
        self.port = int(line.split()[1])
        self.sent = 0

    def batch(self, size: int) -> float:
        """CPU seconds per delivery over `size` deliveries."""
        requests = [delivery(self.sent + n, self.kind) for n in range(size)]
        self.sent += size
        before = cpu_seconds(self.proc.pid)
        send_all(self.port, requests)
        return (cpu_seconds(self.proc.pid) - before) / size

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        kind, db = sys.argv[2], Path(sys.argv[3])
        serve_ours(db) if kind == "ours" else serve_minimal(db)
        return 0
    from results import count_arg, figure, record

    rounds = count_arg(sys.argv, 7)
    with tempfile.TemporaryDirectory(prefix="zen-webhook-bench-") as tmp:
        ours, base = Server("ours", Path(tmp) / "ours"), Server("minimal", Path(tmp) / "minimal")
        try:
            ours.batch(WARMUP), base.batch(WARMUP)
            mine, theirs = [], []
            for _ in range(rounds):
                mine.append(ours.batch(BATCH) * 1000)
                theirs.append(base.batch(BATCH) * 1000)
        finally:
            ours.close()
            base.close()
    minimal = "a minimal Starlette receiver: same HMAC + parse + SQLite insert"
    cpu = figure("webhook receiver CPU per delivery", "ms", mine, theirs, minimal, 1.15)
    record("webhook_ingest", [cpu])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
