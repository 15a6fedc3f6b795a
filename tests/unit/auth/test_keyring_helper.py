"""The keyring calls in a helper process (keyring_helper.py runs keyring_call.py): real child
processes over the file-backed test keyring (tests/unit/auth/file_keyring.py), named by
PYTHON_KEYRING_BACKEND as a user's backend would be."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.auth.file_keyring import ENV
from tests.unit.auth.memory_keyring import MemoryKeyring
from tools.demo_stack import wait_until
from zen_tui.auth import keyring_helper
from zen_tui.auth.keyring_store import (
    HEADLESS_HELP,
    SERVICE_NAME,
    KeyringCredentialStore,
    KeyringUnavailable,
    StoredCredential,
)
from zen_tui.logs import setup_logging, shutdown_logging

ROOT = Path(__file__).resolve().parents[3]
SECRET = "fake-token-helper-0123456789"
BLOB = StoredCredential(token=SECRET, method="oauth", refresh_token="fake-refresh-9876543210")
Backend = Callable[[str], Path]


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Backend:
    """backend("FileKeyring") makes that file_keyring class the helper's keyring; the path
    of its file (its log, `.log` beside it, says which process served what)."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv(ENV, str(path))

    def use(name: str) -> Path:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", f"tests.unit.auth.file_keyring.{name}")
        return path

    return use


def helper_store(timeout: float = 20.0) -> KeyringCredentialStore:
    return KeyringCredentialStore(timeout=timeout, in_process=False)


def log_lines(path: Path) -> list[str]:
    log = Path(f"{path}.log")
    return log.read_text().splitlines() if log.exists() else []


async def test_round_trip_through_the_helper(
    backend: Backend, memory_keyring: MemoryKeyring
) -> None:
    path = backend("FileKeyring")
    store = helper_store()
    await store.save("jira", BLOB)
    entries = json.loads(path.read_text())  # the helper process wrote the backend's file
    assert json.loads(entries[f"{SERVICE_NAME}\0jira"])["refresh_token"] == BLOB.refresh_token
    assert await store.load("jira") == BLOB
    assert store.load_blocking("jira") == BLOB
    assert await store.load("github") is None
    assert await store.delete("jira") is True
    assert await store.delete("jira") is False
    assert await store.load("jira") is None
    assert memory_keyring.entries == {} and memory_keyring.writes == 0  # this process's unused


async def test_reads_started_together_share_one_helper(backend: Backend) -> None:
    path = backend("CountingFileKeyring")
    store = helper_store()
    await store.save("gh", BLOB)
    loads = asyncio.gather(store.load("gh"), store.load("work"), store.load("chat"))
    blocking = asyncio.to_thread(store.load_blocking, "gh")  # a Jira base URL read, in a thread
    loaded, blocked = await asyncio.gather(loads, blocking)
    assert list(loaded) == [BLOB, None, None] and blocked == BLOB
    readers = {line.split()[0] for line in log_lines(path)}
    assert len(readers) == 1 and os.getpid() not in {int(r) for r in readers}
    assert await store.load("gh") == BLOB  # a later read: a helper of its own
    assert len({line.split()[0] for line in log_lines(path)}) == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("BrokenKeyring", f"the OS keyring failed (RuntimeError); {HEADLESS_HELP}"),
        ("keyring.backends.fail.Keyring", HEADLESS_HELP),  # no usable backend at all
    ],
)
async def test_backend_errors_are_todays_one_line_messages(
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    name: str,
    message: str,
) -> None:
    backend("FileKeyring")
    await helper_store().save("gh", BLOB)  # something for the broken backend to quote
    if "." in name:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
    else:
        backend(name)
    caplog.set_level(logging.DEBUG)
    for attempt in (helper_store().load("gh"), helper_store().save("gh", BLOB)):
        with pytest.raises(KeyringUnavailable) as info:
            await attempt
        assert str(info.value) == message and "\n" not in message
        assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(KeyringUnavailable, match="gnome-keyring-daemon"):
        helper_store().load_blocking("gh")
    assert SECRET not in caplog.text


def dead(pid: int) -> bool:
    """No such process, or only a zombie (a container's init may never reap an orphan)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def group_gone(pid: int) -> bool:
    """The helper's child dies of the SIGKILL sent to the group; nobody waits for it, so it
    may still be on its way out when the caller hears of the timeout: give it a moment."""
    deadline = time.monotonic() + 5
    while not dead(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return dead(pid)


def stuck_pids(path: Path) -> list[tuple[int, int]]:
    """(helper, the process it started) for each StuckKeyring call noted in the log."""
    notes = [line.split() for line in log_lines(path) if line.startswith("stuck ")]
    return [(int(helper), int(started)) for _, helper, started in notes]


def proc_text(pid: int, name: str) -> str:
    return Path(f"/proc/{pid}/{name}").read_bytes().decode(errors="replace")


def reaped(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


async def test_a_hanging_backend_is_killed_at_the_timeout_with_its_secret_unseen(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    path = backend("StuckKeyring")
    caplog.set_level(logging.DEBUG)
    timeout = 4.0  # room for the helper's start on a busy machine; its wait is 120 s
    saving = asyncio.create_task(helper_store(timeout).save("gh", BLOB))
    await wait_until(lambda: bool(stuck_pids(path)), "the helper reaching the backend")
    [(pid, grandchild)] = stuck_pids(path)
    # While the secret is in flight: not in the helper's argv, nor in its environment.
    assert SECRET not in proc_text(pid, "cmdline") and SECRET not in proc_text(pid, "environ")
    with pytest.raises(KeyringUnavailable) as info:
        await saving
    assert str(info.value).startswith(f"the OS keyring did not answer within {timeout:g} s")
    assert reaped(pid)  # killed and reaped: no process left
    assert group_gone(grandchild)  # what it started went with it (its process group)
    assert SECRET not in str(info.value) and SECRET not in caplog.text


def test_a_blocking_read_that_hangs_leaves_no_process(backend: Backend) -> None:
    path = backend("StuckKeyring")
    with pytest.raises(KeyringUnavailable, match=r"did not answer within 3 s"):
        helper_store(3.0).load_blocking("gh")
    for helper, started in stuck_pids(path):  # none: the helper was killed still starting
        assert reaped(helper) and group_gone(started)


QUIT_WHILE_READING = """
import os, sys, threading, time
sys.path.insert(0, {root!r})
from zen_tui.auth.keyring_store import KeyringCredentialStore
store = KeyringCredentialStore(timeout=100)
threading.Thread(target=store.load_blocking, args=("gh",), daemon=True).start()
log, deadline = os.environ[{env!r}] + ".log", time.monotonic() + 60
while not (os.path.exists(log) and "stuck" in open(log).read()):  # the read is under way
    if time.monotonic() > deadline:
        sys.exit("the helper never reached the backend")
    time.sleep(0.02)
"""


def test_quitting_during_a_read_kills_the_helper(backend: Backend) -> None:
    """The app quits while a daemon thread waits for a helper stuck in the backend (its
    timeout far away): the exit does not wait for it, and the helper goes with the process
    instead of living on as an orphan."""
    path = backend("StuckKeyring")
    probe = QUIT_WHILE_READING.format(root=str(ROOT), env=ENV)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    assert time.monotonic() - started < 80  # not the helper's 100 s, nor the backend's 120
    [(helper, its_child)] = stuck_pids(path)
    assert group_gone(helper) and group_gone(its_child)


async def test_a_helper_that_dies_says_so_and_its_last_words_reach_only_the_masked_log(
    backend: Backend, tmp_path: Path
) -> None:
    backend("CrashingKeyring")
    log_file = setup_logging(tmp_path / "data")
    try:
        with pytest.raises(KeyringUnavailable) as info:
            await helper_store().save("gh", BLOB)
    finally:
        shutdown_logging()
    message = str(info.value)
    assert message == (
        "the keyring helper process exited with status 3 and no answer; see the log file"
    )
    text = log_file.read_text()
    assert "the keyring helper said: fatal: lost" in text and SECRET not in text


async def test_a_last_line_nested_too_deeply_is_no_answer_and_no_traceback(
    backend: Backend,
) -> None:
    """The answer is the helper's last stdout line: one json.loads cannot read (RecursionError,
    no ValueError) is no answer, as any other unreadable line."""
    backend("DeepLineKeyring")
    with pytest.raises(KeyringUnavailable) as info:
        await helper_store().save("gh", BLOB)
    assert str(info.value) == (
        "the keyring helper process exited with status 3 and no answer; see the log file"
    )


def test_the_helper_runs_with_the_callers_environment_and_not_the_current_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The backend needs the caller's D-Bus and XDG variables; `-P` keeps a `keyring.py` in
    the current folder from running in the process that handles the tokens; this source
    tree (not an installed zen_tui) is put first on PYTHONPATH so `-m` finds this copy."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1/bus")
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1")
    env = keyring_helper.environment()
    assert env["DBUS_SESSION_BUS_ADDRESS"] == "unix:path=/run/user/1/bus"
    assert env["XDG_RUNTIME_DIR"] == "/run/user/1"
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)
    assert keyring_helper.command() == [sys.executable, "-P", "-m", "zen_tui.auth.keyring_call"]


BUILD = """
import asyncio, json, sys
from pathlib import Path
sys.path.insert(0, {root!r})  # the checkout, found at run time (as a script's own path)
from zen_tui.config import load_settings
from zen_tui.wiring import build
data = Path({data!r})
settings = load_settings(data / "config.toml", data, must_exist=True)
wired = build(settings)  # the Jira account's 3LO base URL: read at build
async def tokens():
    return {{a: (await wired.credentials.get(a)).token for a in sorted(wired.gateways)}}
print(json.dumps({{
    "tokens": asyncio.run(tokens()),
    "jira_base": wired.gateways["work"].base_url,
    "keyring_loaded": sorted(m for m in sys.modules if m.split(".")[0] == "keyring"),
}}))
"""

CONFIG = """
[[accounts]]
name = "gh"
service = "github"
base_url = "http://127.0.0.1:9"

[[accounts]]
name = "work"
service = "jira"
base_url = "http://127.0.0.1:9"
email = "me@example.com"

[[accounts]]
name = "chat"
service = "slack"
base_url = "http://127.0.0.1:9"
"""


def test_the_dashboards_accounts_are_built_and_read_without_loading_keyring(
    tmp_path: Path,
) -> None:
    """A fresh process (not pytest's, which has keyring loaded) builds every account and
    reads each one's token, a Jira 3LO base URL included, all from the file keyring, through
    the helper: keyring itself is never imported there."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(CONFIG)
    jira_base = "http://127.0.0.1:9/ex/jira/c-1"
    logins = {
        "gh": StoredCredential(token="fake-token-gh"),
        "work": StoredCredential(token="fake-token-work", cloud_id="c-1", base_url=jira_base),
        "chat": StoredCredential(token="fake-token-chat"),
    }
    keyring_file = tmp_path / "keyring.json"
    keyring_file.write_text(
        json.dumps({f"{SERVICE_NAME}\0{a}": s.to_json() for a, s in logins.items()})
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZEN_TUI_", "PYTHON"))}
    env |= {
        ENV: str(keyring_file),
        "PYTHON_KEYRING_BACKEND": "tests.unit.auth.file_keyring.FileKeyring",
    }
    done = subprocess.run(
        [sys.executable, "-c", BUILD.format(root=str(ROOT), data=str(data))],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # not the checkout: the helper must find zen_tui and the backend anyway
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["tokens"] == {a: s.token for a, s in logins.items()}
    assert report["jira_base"] == jira_base
    assert report["keyring_loaded"] == []
