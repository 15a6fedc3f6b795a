"""What `auth status` and the UI show per account: is there a usable login, from where, until
when. No secret is ever part of the answer."""

from __future__ import annotations

import os
from typing import Any

from zen_tui.auth import ambient
from zen_tui.auth.keyring_store import KeyringCredentialStore, KeyringUnavailable, StoredCredential
from zen_tui.config import AccountConfig


async def login_status(
    account: AccountConfig, store: KeyringCredentialStore | None = None
) -> dict[str, Any]:
    """service, logged_in, source ("demo" | "env:VAR" | "gh" | "keyring" | None, in the order
    the dashboard uses them) and, when a login
    is stored: method, login, expires_at, refreshable, cloud_id, saved_at; keyring_error when
    the keyring cannot be read. JSON-ready; never a token."""
    entry: dict[str, Any] = {"service": account.service, "logged_in": False, "source": None}
    if account.token:
        entry.update(logged_in=True, source="demo")  # the simulator's token, in memory
    elif account.token_env and os.environ.get(account.token_env, "").strip():
        entry.update(logged_in=True, source=f"env:{account.token_env}")
    else:
        existing = await ambient.find(account)  # GH_TOKEN..., then `gh auth token`
        if existing is not None:
            entry.update(logged_in=True, source=existing.source)
    try:
        stored = await (store or KeyringCredentialStore()).load(account.name)
    except KeyringUnavailable as exc:
        entry["keyring_error"] = str(exc)
        return entry
    if stored is not None:
        entry.update(_public(stored))
        if entry["source"] is None:
            entry.update(logged_in=True, source="keyring")
        else:
            entry["keyring_entry"] = f"stored, overridden by {entry['source']}"
    return entry


def _public(stored: StoredCredential) -> dict[str, Any]:
    """The stored login without any secret."""
    return {
        "method": stored.method,
        "login": stored.login,
        "expires_at": stored.expires_at,
        "refreshable": stored.refresh_token is not None,
        "cloud_id": stored.cloud_id,
        "saved_at": stored.saved_at,
    }
