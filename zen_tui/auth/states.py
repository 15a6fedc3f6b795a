"""What a login flow reports while it runs; the CLI prints these, the UI shows a modal."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceCodeShown:
    """GitHub device flow: ask the user to enter `user_code` at `verification_uri`."""

    user_code: str
    verification_uri: str
    expires_in: float


@dataclass(frozen=True)
class WaitingForBrowser:
    """OAuth: the browser was (or should be) opened on `url`; waiting for the redirect."""

    url: str
    browser_opened: bool


@dataclass(frozen=True)
class SlowedDown:
    """The server asked us to poll less often; informational."""

    interval: float


@dataclass(frozen=True)
class LoggedIn:
    account: str
    username: str | None


@dataclass(frozen=True)
class LoginFailed:
    """One-line, secret-free reason, with what to do next."""

    reason: str


LoginState = DeviceCodeShown | WaitingForBrowser | SlowedDown | LoggedIn | LoginFailed
