"""Logins the user already has: the tokens other tools read from the environment, and the
GitHub CLI's login. Checked after the account's own `token_env` and before the keyring, so a
user with `gh` logged in (or GH_TOKEN set) needs no OAuth app and no keyring.

Accounts that point at a loopback address (the bundled simulator) never get one: a real
GitHub token must not be sent to a local test server. Tokens never leave in a log or error.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from zen_tui.config import AccountConfig
from zen_tui.config_schema import is_loopback_url
from zen_tui.gateway.credentials import Credential, SecretRecord
from zen_tui.lazy_log import get_logger
from zen_tui.redaction import register_secret

log = get_logger(__name__)

GH_COMMAND = "gh"  # looked up on PATH; tests point PATH at a stub
GH_TIMEOUT = 3.0  # seconds: `gh auth token` reads a file or its keyring; never wait long


class Found(SecretRecord, frozen=True):
    _secret = ("credential",)

    source: str  # "env:GH_TOKEN" | "gh" | ...: what `auth status` shows
    credential: Credential


def github_host(base_url: str) -> str:
    """The host `gh` knows the login by: github.com for api.github.com, else the GHES host."""
    host = urlsplit(base_url).hostname or ""
    return "github.com" if host in ("api.github.com", "github.com") else host


def env_vars(account: AccountConfig) -> tuple[str, ...]:
    """The environment variables other tools use for this account's service, in order; none
    for an account on a loopback address (the simulator)."""
    if is_loopback_url(account.base_url):
        return ()
    if account.service == "github":
        if github_host(account.base_url) == "github.com":
            return ("GH_TOKEN", "GITHUB_TOKEN")
        return ("GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")
    if account.service == "jira":
        return ("JIRA_API_TOKEN",) if account.email else ()  # an API token needs the email
    if account.service == "slack":
        return ("SLACK_TOKEN",)
    return ()


def login_env_names(account: AccountConfig) -> tuple[str, ...]:
    """The environment variables that, set to anything but blanks, give the account a login
    of this process (env_credential is not None): its `token_env`, then env_vars'. None for
    an account with a token in its config."""
    if account.token:
        return ()
    return ((account.token_env,) if account.token_env else ()) + env_vars(account)


def from_env(account: AccountConfig) -> Found | None:
    if is_loopback_url(account.base_url):
        return None
    username = account.email if account.service == "jira" else None
    for var in env_vars(account):
        token = os.environ.get(var, "").strip()
        if token:
            register_secret(token)  # masked in every log line from now on
            # This process's environment alone (one terminal's export): Credential.local
            found = Credential(token=token, username=username, local=True, env=var)
            return Found(f"env:{var}", found)
    return None


def env_credential(account: AccountConfig) -> Credential | None:
    """The login this process's environment gives the account, as KeyringCredentialProvider
    .get finds it (its `token_env` variable, else GH_TOKEN and the like): one of this process
    alone (Credential.local). Cheap: no keyring, no `gh`, no network. None for an account
    with a token in its config (the demo: that one is used)."""
    if account.token:
        return None
    token = os.environ.get(account.token_env, "").strip() if account.token_env else ""
    if token:  # as EnvCredentialProvider hands it out
        register_secret(token)
        return Credential(token=token, username=account.email, local=True, env=account.token_env)
    found = from_env(account)
    return None if found is None else found.credential


async def from_gh_cli(account: AccountConfig) -> Found | None:
    """`gh auth token --hostname HOST`; None when gh is absent, logged out, slow or broken."""
    if account.service != "github" or is_loopback_url(account.base_url):
        return None
    # Here, not at the top: `zen-tui list` reads the environment's login (env_credential)
    # and loads no event loop.
    import asyncio
    import shutil

    gh = shutil.which(GH_COMMAND)
    if gh is None:
        return None
    host = github_host(account.base_url)
    try:
        proc = await asyncio.create_subprocess_exec(
            gh,
            "auth",
            "token",
            "--hostname",
            host,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError as exc:
        log.info("could not run gh: %s", exc.strerror or type(exc).__name__)
        return None
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), GH_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        log.info("gh auth token took over %gs; ignored", GH_TIMEOUT)
        return None
    token = out.decode(errors="replace").strip()
    if proc.returncode != 0 or not token or any(c.isspace() for c in token):
        return None
    register_secret(token)
    return Found("gh", Credential(token=token))


async def find(account: AccountConfig) -> Found | None:
    """The first existing login in the documented order: environment, then the gh CLI."""
    return from_env(account) or await from_gh_cli(account)
