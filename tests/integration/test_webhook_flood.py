"""1,100 idle connections against a receiver with the usual 1,024 open-file limit (its own
process, real sockets on 127.0.0.1): a real signed delivery is still accepted, the idle
connections are closed oldest first, and the log stays a few lines instead of rotating its
history away (before: deliveries stopped and ~14,000 error lines were written in 3 s)."""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from zen_tui.sync.webhook_verify import hub_signature

from .conftest import REPO_ROOT

SECRET = "flood-test-secret"
IDLE = 1_100


@pytest.fixture
def more_open_files():
    """This test process holds the 1,100 sockets itself."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 3 * IDLE
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"needs {wanted} open files (hard limit {hard})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def signed(delivery: str, body: bytes) -> dict[str, str]:
    return {
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": hub_signature(SECRET, body),
    }


def test_idle_connections_do_not_stop_deliveries_or_flood_the_log(tmp_path: Path, more_open_files):
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.webhook_worker", str(tmp_path), SECRET],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    idle: list[socket.socket] = []
    try:
        assert worker.stdout is not None
        port = int(worker.stdout.readline())
        url = f"http://127.0.0.1:{port}/webhooks/github"
        idle += [socket.create_connection(("127.0.0.1", port)) for _ in range(IDLE)]
        body = json.dumps({"action": "labeled", "issue": {"number": 1}}).encode()
        answer = httpx.post(url, content=body, headers=signed("d-1", body), timeout=20)
        assert answer.status_code == 202, answer.text
        idle[0].settimeout(5)
        assert idle[0].recv(1) == b""  # the oldest idle connection was closed by the receiver
    finally:
        for sock in idle:
            sock.close()
        assert worker.stdin is not None
        worker.stdin.close()
        worker.wait(30)
    logs = sorted((tmp_path / "logs").glob("zen-tui.log*"))
    assert [p.name for p in logs] == ["zen-tui.log"]  # nothing rotated away
    lines = logs[0].read_text().splitlines()
    assert len(lines) < 60, lines[:5]
    assert not any('"logger": "asyncio"' in line for line in lines)  # accept() never failed
