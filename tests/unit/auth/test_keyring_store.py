"""The real keyring API over a test backend; the fail backend for headless Linux."""

from __future__ import annotations

import json
import subprocess
import sys

import keyring
import keyring.backends.fail
import pytest

from tests.unit.auth.memory_keyring import HangingKeyring, MemoryKeyring
from zen_tui.auth.keyring_store import (
    SERVICE_NAME,
    KeyringCredentialStore,
    KeyringUnavailable,
    StoredCredential,
)
from zen_tui.auth.status import login_status
from zen_tui.config import AccountConfig
from zen_tui.logs import redact

BLOB = StoredCredential(
    token="sim-atl-access-0123456789",
    method="oauth",
    refresh_token="sim-atl-r-refresh-0123456789",
    expires_at=1_700_003_600.0,
    login="me@example.com",
    cloud_id="c-1",
    base_url="http://127.0.0.1:1/jira/ex/jira/c-1",
)


async def test_round_trip_is_one_json_entry_per_account(memory_keyring: MemoryKeyring) -> None:
    store = KeyringCredentialStore()
    await store.save("jira", BLOB)
    raw = keyring.get_password(SERVICE_NAME, "jira")  # the real API sees one JSON blob
    assert raw is not None and json.loads(raw)["refresh_token"] == BLOB.refresh_token
    assert await store.load("jira") == BLOB
    assert await store.load("github") is None
    assert memory_keyring.writes == 1


async def test_delete_reports_whether_there_was_an_entry(memory_keyring: MemoryKeyring) -> None:
    store = KeyringCredentialStore()
    await store.save("jira", BLOB)
    assert await store.delete("jira") is True
    assert await store.delete("jira") is False
    assert await store.load("jira") is None


async def test_loaded_tokens_are_masked_in_logs(memory_keyring: MemoryKeyring) -> None:
    keyring.set_password(SERVICE_NAME, "x", json.dumps({"token": "plainvalue-loaded-42"}))
    stored = await KeyringCredentialStore().load("x")
    assert stored is not None
    assert redact("sent plainvalue-loaded-42 ok") == "sent *** ok"
    assert "plainvalue-loaded-42" not in repr(stored)
    assert BLOB.refresh_token is not None and BLOB.refresh_token not in repr(BLOB)


async def test_no_keyring_gives_the_headless_advice_not_a_traceback() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        with pytest.raises(KeyringUnavailable) as info:
            await KeyringCredentialStore().load("github")
        with pytest.raises(KeyringUnavailable):
            await KeyringCredentialStore().save("github", BLOB)
    finally:
        keyring.set_keyring(previous)
    message = str(info.value)
    assert "\n" not in message
    assert "gnome-keyring-daemon --unlock" in message and "token_env" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


async def test_a_hanging_keyring_times_out_with_advice() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(HangingKeyring())
    try:
        with pytest.raises(KeyringUnavailable, match=r"did not answer within 0\.05 s"):
            await KeyringCredentialStore(timeout=0.05).load("github")
    finally:
        keyring.set_keyring(previous)


@pytest.mark.parametrize("entry", ["not json", "[" * 100_000 + "]" * 100_000], ids=["text", "deep"])
async def test_a_foreign_entry_is_reported_with_the_fix(
    memory_keyring: MemoryKeyring, entry: str
) -> None:
    keyring.set_password(SERVICE_NAME, "github", entry)
    with pytest.raises(KeyringUnavailable, match="zen-tui auth logout github"):
        await KeyringCredentialStore().load("github")


def test_blocking_load_for_start_up_code(memory_keyring: MemoryKeyring) -> None:
    keyring.set_password(SERVICE_NAME, "jira", BLOB.to_json())
    store = KeyringCredentialStore()
    assert store.load_blocking("jira") == BLOB
    assert store.load_blocking("other") is None
    keyring.set_keyring(HangingKeyring())
    with pytest.raises(KeyringUnavailable, match="did not answer"):
        KeyringCredentialStore(timeout=0.05).load_blocking("jira")
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(KeyringUnavailable, match="gnome-keyring-daemon"):
        store.load_blocking("jira")


async def test_status_shows_the_source_and_no_secret(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = AccountConfig("work", "jira", "https://acme.atlassian.net", token_env="ZEN_T_W")
    monkeypatch.delenv("ZEN_T_W", raising=False)
    assert await login_status(account) == {"service": "jira", "logged_in": False, "source": None}
    await KeyringCredentialStore().save("work", BLOB)
    status = await login_status(account)
    assert status["source"] == "keyring" and status["refreshable"] is True
    assert status["login"] == "me@example.com" and status["cloud_id"] == "c-1"
    monkeypatch.setenv("ZEN_T_W", "from-the-env-123")
    status = await login_status(account)
    assert status["source"] == "env:ZEN_T_W" and "overridden" in status["keyring_entry"]
    text = json.dumps(status)
    for secret in (BLOB.token, BLOB.refresh_token or "", "from-the-env-123"):
        assert secret not in text


def test_a_keyring_that_never_answers_does_not_block_exit() -> None:
    code = (
        "import asyncio, time, keyring, keyring.backend\n"
        "from zen_tui.auth.keyring_store import KeyringCredentialStore, KeyringUnavailable\n"
        "class Stuck(keyring.backend.KeyringBackend):\n"
        "    priority = 1\n"
        "    def get_password(self, s, u): time.sleep(60)\n"
        "    def set_password(self, s, u, p): pass\n"
        "    def delete_password(self, s, u): pass\n"
        "keyring.set_keyring(Stuck())\n"
        "try:\n"
        "    asyncio.run(KeyringCredentialStore(timeout=0.1).load('gh'))\n"
        "except KeyringUnavailable as exc:\n"
        "    print('unavailable:', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=20)
    assert done.returncode == 0, done.stderr.decode()
    assert b"unavailable: the OS keyring did not answer within 0.1 s" in done.stdout
