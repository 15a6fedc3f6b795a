"""Whose answers a cached entry holds: a keyed, non-secret fingerprint of the credential.

The persistent HTTP cache outlives a login. After an account logs in as someone else, the
previous user's answers must never be served to the new one, nor its ETags sent for them. So
every cache key names the credential's identity: an HMAC-SHA256 of the token under a random
key kept once per install (a 0600 file in the data folder). The cache file alone leads back to
no token: a plain hash of it could be checked offline against guesses, this one cannot without
the key. Every process sharing the data folder (the dashboard, `zen-tui sync --once`) reads
the same key, so they share entries for the same login and never for two different ones.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from .credentials import Credential

_KEY_BYTES = 32
log = logging.getLogger("zen_tui.gateway.identity")


class Fingerprinter:
    """HMAC-SHA256(per-install key, username + token), shortened: a name for one login."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("an identity key needs at least 16 random bytes")
        self._key = key

    def __repr__(self) -> str:  # the key is a secret too: never in a log line
        return "Fingerprinter(<key hidden>)"

    def of(self, credential: Credential) -> str:
        material = f"{credential.username or ''}\0{credential.token}".encode()
        return hmac.new(self._key, material, hashlib.sha256).hexdigest()[:32]

    def of_user(self, credential: Credential) -> str:
        """The user a login named (a refreshed or re-issued token of the same user keeps it);
        a credential naming no user (an environment token) is known by its token alone."""
        if not credential.who:
            return self.of(credential)
        material = f"user\0{credential.who}".encode()
        return hmac.new(self._key, material, hashlib.sha256).hexdigest()[:32]

    @classmethod
    def kept_at(cls, path: Path) -> Fingerprinter:
        """The install's key in file `path` (paths.cache_key_path), made on first use; where
        it cannot be kept, a key for this run only (a correct cache, not reused next run)."""
        try:
            return cls(_load_or_create(path))
        except OSError as exc:
            log.warning("cache identity key unavailable (%s); this run's cache is its own", exc)
            return PROCESS


def _load_or_create(path: Path) -> bytes:
    key = _read(path)
    if key is not None:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(_KEY_BYTES))
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)  # atomic create-if-absent: a racing process's key wins whole
        except FileExistsError:
            if _read(path) is None:  # a damaged key: replace it (old entries just miss)
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    key = _read(path)
    if key is None:
        raise OSError(f"could not write {path}")
    return key


def _read(path: Path) -> bytes | None:
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return None
    return key if len(key) == _KEY_BYTES else None


# For gateways given no install key (tests, the demo): per process, never written anywhere.
PROCESS = Fingerprinter(secrets.token_bytes(_KEY_BYTES))
