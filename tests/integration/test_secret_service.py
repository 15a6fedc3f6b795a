"""The keyring path on a real Secret Service: GNOME Keyring in a private D-Bus session
(dbus-run-session), through the `keyring` library's SecretService backend, as on a Linux
desktop. Opt-in: `make keyring-test` installs gnome-keyring and runs it; skipped otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.secret_service,
    pytest.mark.skipif(
        not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
        reason="needs dbus-run-session and gnome-keyring-daemon: run `make keyring-test`",
    ),
]

# Runs inside the D-Bus session: log in (a pasted token, checked by a mock server), read it
# back through the gateway's credential provider, then log out, all on the real keyring.
SCRIPT = textwrap.dedent(
    """
    import asyncio, secrets, sys
    import httpx, keyring
    from keyring.backends.SecretService import Keyring as SecretService
    from zen_tui.gateway.credentials import Credential
    from zen_tui.auth.keyring_store import KeyringCredentialStore, keyring_problem
    from zen_tui.auth.login import LoginFlow
    from zen_tui.auth.provider import KeyringCredentialProvider
    from zen_tui.auth.states import LoggedIn
    from zen_tui.config import AccountConfig

    keyring.set_keyring(SecretService())
    account = AccountConfig("ss-test", "github", "https://api.github.com")
    token = "test-" + secrets.token_hex(8)

    def user(request):
        return httpx.Response(200, json={"login": "octo"})

    async def main():
        store = KeyringCredentialStore(service="zen-tui-test")
        assert await keyring_problem(store, account.name) is None
        flow = LoginFlow(account, "token", token=token, store=store,
                         transport=httpx.MockTransport(user), open_browser=None)
        states = [s async for s in flow.run()]
        assert isinstance(states[-1], LoggedIn), states
        stored = await store.load(account.name)
        assert stored is not None and stored.token == token and stored.login == "octo"
        provider = KeyringCredentialProvider([account], store=store)
        assert await provider.get(account.name) == Credential(token)
        assert await store.delete(account.name) is True
        assert await store.load(account.name) is None
        print("secret-service-ok")

    asyncio.run(main())
    """
)


def test_login_saves_reads_and_deletes_on_gnome_keyring(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HOME": str(tmp_path),  # a fresh keyring directory, never the user's own
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    (tmp_path / "run").mkdir(mode=0o700)
    script = tmp_path / "check.py"
    script.write_text(SCRIPT)
    shell = (
        "echo -n test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
        f" && {sys.executable} {script}"
    )
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", shell],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "secret-service-ok" in done.stdout
