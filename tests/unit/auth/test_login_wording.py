"""Issue 14 part 5, wording: a login whose token could not be saved does not read
`login failed: logged in, but …`; an account with no token is "not logged in", not expired."""

from __future__ import annotations

import pytest

from zen_tui.auth import login as login_module
from zen_tui.auth.keyring_store import KeyringUnavailable
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.states import LoginFailed
from zen_tui.config import AccountConfig
from zen_tui.gateway.errors import AuthExpired
from zen_tui.wiring import credentials_for

GH = AccountConfig(name="gh", service="github", base_url="https://api.github.com")


class UnsavableStore:
    async def save(self, name: str, stored: object) -> None:
        raise KeyringUnavailable("no Secret Service on this machine")


async def test_an_approved_token_that_cannot_be_saved_does_not_say_logged_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def whoami(*_args: object) -> str:
        return "octocat"

    monkeypatch.setattr(login_module, "whoami", whoami)
    flow = LoginFlow(GH, "token", token="ghp_" + "x" * 36, store=UnsavableStore())  # type: ignore[arg-type]
    states = [state async for state in flow.run()]
    failed = states[-1]
    assert isinstance(failed, LoginFailed)
    assert "logged in" not in failed.reason  # beside "login failed:" it contradicted itself
    assert failed.reason.startswith("the token was approved but cannot be saved")


async def test_an_account_without_a_token_is_not_logged_in_rather_than_expired(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.unit.auth.memory_keyring import MemoryKeyring, use_keyring

    for name in ("GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with use_keyring(MemoryKeyring()), pytest.raises(AuthExpired) as missing:
        await credentials_for([GH]).get("gh")
    assert missing.value.message.startswith("not logged in: run `zen-tui auth login gh`")
    assert "expired" not in missing.value.message
