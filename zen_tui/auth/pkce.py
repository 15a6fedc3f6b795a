"""PKCE (RFC 7636, S256 only) and the OAuth `state` value."""

from __future__ import annotations

import base64
import hashlib
import secrets

import msgspec

from zen_tui.gateway.credentials import SecretRecord

_VERIFIER_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def s256_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(ascii(verifier))) without padding (RFC 7636 section 4.2)."""
    if not 43 <= len(verifier) <= 128 or not set(verifier) <= _VERIFIER_CHARS:
        raise ValueError("a PKCE verifier is 43-128 characters of [A-Za-z0-9-._~]")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def new_verifier() -> str:
    """43 characters from 32 random bytes, as RFC 7636 section 4.1 recommends."""
    return secrets.token_urlsafe(32)


def new_state() -> str:
    return secrets.token_urlsafe(24)


class Pkce(SecretRecord, frozen=True):
    _secret = ("verifier",)  # until the code is exchanged

    verifier: str = msgspec.field(default_factory=new_verifier)

    @property
    def challenge(self) -> str:
        return s256_challenge(self.verifier)
