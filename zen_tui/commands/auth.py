"""`zen-tui auth login|logout|status`: log in inside the terminal, tokens in the OS keyring.

login: GitHub device flow, Slack/Jira OAuth in the browser, or a pasted token (read without
echo, checked with one call before it is saved). status never prints a token.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the keyring, the login flows (httpx) and the config load when a verb runs
    from zen_tui.auth.keyring_store import KeyringCredentialStore
    from zen_tui.auth.login import LoginFlow
    from zen_tui.auth.states import LoginState
    from zen_tui.config import AccountConfig, Settings

PROG = "zen-tui"
HELP = "log in, log out, or show the login state per account"


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="auth_command", metavar="ACTION", required=True)

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        return verbs.add_parser(name, parents=[common], help=help_text)

    login = verb("login", "log in to one account")
    login.add_argument("account", metavar="ACCOUNT", help="account name from the config")
    login.add_argument(
        "--method",
        choices=("device", "oauth", "token"),
        help="device flow (GitHub), OAuth in the browser, or paste a token",
    )
    verb("logout", "forget an account's token").add_argument("account", metavar="ACCOUNT")
    verb("status", "login state per account").add_argument(
        "--json", action="store_true", help="machine-readable output"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from zen_tui.auth.keyring_store import KeyringCredentialStore

    store = KeyringCredentialStore()
    if args.auth_command == "status":
        return asyncio.run(status(settings, store, as_json=bool(args.json)))
    account = _account(settings, args.account)
    if account is None:
        return 2
    changed = True  # a login: a new token even for the same user (store/logins.py)
    if args.auth_command == "logout":
        code, changed = asyncio.run(logout(account, store))
    else:
        code = login(account, args.method, store)
    if code == 0 and not _env_overrides(account):  # else the environment's token stays in use
        asyncio.run(_record_user(settings, account.name, store, changed=changed))
    return code


async def _record_user(
    settings: Settings, name: str, store: KeyringCredentialStore, *, changed: bool
) -> None:
    """Tell the store who the account is logged in as now (store/logins.py): another user's
    saved rows go at once, so `zen-tui list` never shows them as this login's, and what that
    user queued is held; when the keyring `changed` (a login, a logout that removed a token)
    the record's generation goes up once, so a running dashboard takes the new token even
    for the same user. The login it replaced loses its cached HTTP answers at once, so a
    temporary login (the environment's) started before any zen-tui reads the keyring does not
    keep them as the saved login's (store/records.py). Best effort: the login itself
    succeeded; the next build does it."""
    from pathlib import Path

    from zen_tui.auth.keyring_store import KeyringUnavailable
    from zen_tui.auth.provider import to_credential
    from zen_tui.gateway.cache import owner
    from zen_tui.gateway.identity import Fingerprinter
    from zen_tui.paths import cache_key_path
    from zen_tui.store import Store, StoreError

    data = Path(settings.data_dir)
    try:
        stored = await store.load(name)
        user = cached = None
        if stored is not None:
            fingerprinter = Fingerprinter.kept_at(cache_key_path(data))
            user = fingerprinter.of_user(to_credential(stored))
            cached = owner(name, fingerprinter.of(to_credential(stored)))
        with Store.open_in(data) as local:
            local.login_switch(name, user, new_login=changed)
            local.http_keep_only(name, cached, local=store.session_only(name))
    except (StoreError, OSError, KeyringUnavailable) as exc:
        import logging  # not at the top: `zen-tui --help` imports this module

        log = logging.getLogger("zen_tui.commands.auth")
        log.warning("%s: the local store was not told about the new login: %s", name, exc)


def _account(settings: Settings, name: str) -> AccountConfig | None:
    for account in settings.accounts:
        if account.name == name:
            return account
    known = ", ".join(a.name for a in settings.accounts) or "none configured"
    _error(f"no account named {name!r} in the config (accounts: {known})")
    return None


def login(account: AccountConfig, method: str | None, store: KeyringCredentialStore) -> int:
    import asyncio

    from zen_tui.auth import ambient
    from zen_tui.auth.keyring_store import keyring_problem
    from zen_tui.auth.login import LoginFlow, default_method

    problem = asyncio.run(keyring_problem(store, account.name))
    if problem is not None:  # said before any flow starts: an approved login would be lost
        _error(f"cannot log in here: {problem}")
        names = [f"${v}" for v in ambient.env_vars(account)]
        if names:
            print(f"Or export the token as {' or '.join(names)}: zen-tui reads it from there.")
        return 1
    method = method or default_method(account)
    token = None
    if method == "token":
        prompt = f"Paste the {account.service} token for {account.name} (input hidden): "
        import getpass

        try:
            token = getpass.getpass(prompt)
        except EOFError:
            token = ""
    flow = LoginFlow(account, method, token=token, store=store)
    status = asyncio.run(_drive(flow))
    if status == 0 and _env_overrides(account):
        print(f"Note: ${account.token_env} is set and takes precedence over this login.")
    return status


def _env_overrides(account: AccountConfig) -> bool:
    return bool(account.token_env and os.environ.get(account.token_env, "").strip())


async def _drive(flow: LoginFlow) -> int:
    from zen_tui.auth.states import LoggedIn, LoginFailed

    async for state in flow.run():
        show(state)
        if isinstance(state, LoggedIn):
            return 0
        if isinstance(state, LoginFailed):
            return 1
    return 1


def show(state: LoginState) -> None:
    from zen_tui.auth.states import DeviceCodeShown, LoggedIn, SlowedDown, WaitingForBrowser

    """One login state as terminal lines (never a token)."""
    if isinstance(state, DeviceCodeShown):
        minutes = max(1, int(state.expires_in // 60))
        print(f"Your one-time code: {state.user_code}")
        print(f"Enter it at {state.verification_uri} (valid {minutes} min). Waiting...")
    elif isinstance(state, WaitingForBrowser):
        lead = "Opened your browser" if state.browser_opened else "Open this URL in a browser"
        print(f"{lead} to approve the login; waiting for it to come back...")
        print(f"  {state.url}")
    elif isinstance(state, SlowedDown):
        print(f"(the server asked to poll less often: every {state.interval:g} s)")
    elif isinstance(state, LoggedIn):
        who = f" as {state.username}" if state.username else ""
        print(f"Logged in to {state.account}{who}; the token is saved in the OS keyring.")
    else:
        _error(f"login failed: {state.reason}")


async def logout(account: AccountConfig, store: KeyringCredentialStore) -> tuple[int, bool]:
    """(exit code, whether a token was removed)."""
    from zen_tui.auth.keyring_store import KeyringUnavailable

    try:
        removed = await store.delete(account.name)
    except KeyringUnavailable as exc:
        _error(str(exc))
        _note_env(account)  # a server without a keyring: the variable is what it uses
        return 1, False
    print(
        f"Logged out of {account.name}: token removed from the OS keyring."
        if removed
        else f"{account.name} had no token in the OS keyring."
    )
    _note_env(account)
    return 0, removed


def _note_env(account: AccountConfig) -> None:
    if _env_overrides(account):
        print(f"Note: ${account.token_env} is set and still provides a token; unset it too.")


async def status(settings: Settings, store: KeyringCredentialStore, *, as_json: bool) -> int:
    import asyncio

    from zen_tui.auth.status import login_status

    # All at once: the keyring reads started together share one keyring helper process.
    statuses = await asyncio.gather(*(login_status(a, store) for a in settings.accounts))
    report = {a.name: entry for a, entry in zip(settings.accounts, statuses, strict=True)}
    if as_json:
        import json

        print(json.dumps({"accounts": report}, indent=2))
        return 0
    if not report:
        print("no accounts in the config")
    for name, entry in report.items():
        print(f"{name} ({entry['service']}): {_describe(entry)}")
    problems = {e["keyring_error"] for e in report.values() if "keyring_error" in e}
    for problem in sorted(problems):  # the advice once, not once per account
        print(f"keyring: {problem}")
    return 0


def _describe(entry: dict[str, Any]) -> str:
    if "keyring_error" in entry and not entry["logged_in"]:
        return "not logged in (the OS keyring is unavailable, see below)"
    if not entry["logged_in"]:
        return f"not logged in; run `{PROG} auth login <account>`"
    if entry["source"] == "demo":
        return "demo token from the built-in simulator (in memory)"
    if str(entry["source"]).startswith("env:"):
        return f"token from ${entry['source'][4:]}"
    if entry["source"] == "gh":
        return "token from the GitHub CLI's login (`gh auth token`)"
    who = f" as {entry['login']}" if entry.get("login") else ""
    text = f"logged in{who} ({entry['method']}, OS keyring)"
    expires = entry.get("expires_at")
    if expires is not None:
        left = expires - time.time()
        refresh = ", refreshes automatically" if entry.get("refreshable") else ""
        text += (
            f"; token expires in {int(left // 60)} min{refresh}"
            if left > 0
            else (f"; token expired{refresh or ', log in again'}")
        )
    return text


def _error(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)
