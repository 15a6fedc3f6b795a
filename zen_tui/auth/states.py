"""What a login flow reports while it runs; the CLI prints these, the UI shows a modal."""

from __future__ import annotations

import msgspec


class DeviceCodeShown(msgspec.Struct, frozen=True):
    """GitHub device flow: ask the user to enter `user_code` at `verification_uri`."""

    user_code: str
    verification_uri: str
    expires_in: float


class WaitingForBrowser(msgspec.Struct, frozen=True):
    """OAuth: the browser was (or should be) opened on `url`; waiting for the redirect."""

    url: str
    browser_opened: bool


class SlowedDown(msgspec.Struct, frozen=True):
    """The server asked us to poll less often; informational."""

    interval: float


class LoggedIn(msgspec.Struct, frozen=True):
    account: str
    username: str | None


class LoginFailed(msgspec.Struct, frozen=True):
    """One-line, secret-free reason, with what to do next."""

    reason: str


LoginState = DeviceCodeShown | WaitingForBrowser | SlowedDown | LoggedIn | LoginFailed
