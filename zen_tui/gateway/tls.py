"""One verifying SSL context for the process (every gateway, the logins' token calls), its
CAs read only when a handshake needs them.

Which CAs are trusted (`trust_store`), first match wins:

1. `SSL_CERT_FILE`, else `SSL_CERT_DIR`: exactly as httpx's default context honours them.
2. The system's OpenSSL hashed certificate directory (`ssl.get_default_verify_paths()`'s
   `openssl_capath`: /usr/lib/ssl/certs -> /etc/ssl/certs on Debian and Ubuntu) when it
   holds hash links (`5ad8a5d6.0`). OpenSSL then reads from disk only the CA a chain names,
   instead of ~140 parsed certificates held for the whole run (~1.3 MiB of RSS and ~18 ms
   of CPU to parse certifi's bundle).
3. certifi's bundle (macOS, Windows, Fedora whose system store is one bundle file, minimal
   containers, Pythons built with their own OpenSSL directory): httpx's default store.

Loading a bundle (certifi's, or the file `SSL_CERT_FILE` names) is deferred to the
context's first TLS handshake (`wrap_bio` / `wrap_socket`): accounts that talk plain http
(the simulator, the demo, the benchmarks) never pay for it. The load runs before that
handshake, under a lock, so no handshake is ever verified against a partial store; until
then the context trusts no CA at all. Otherwise the context is the one
`ssl.create_default_context()` makes (CERT_REQUIRED, host names checked): a test compares
every setting on the running Python.

Not avoided: the SSL context object itself (~0.45 MiB the first time, OpenSSL's TLS code and
tables), built with the first HTTP client even for http:// accounts, as httpx's transport
takes a context whatever the scheme.
"""

from __future__ import annotations

import functools
import os
import re
import ssl
import sys
import threading
from collections.abc import Mapping
from typing import Any

import msgspec

# OpenSSL's `c_rehash` / `openssl rehash` names: subject hash, dot, collision counter.
_HASH_LINK = re.compile(r"[0-9a-f]{8}\.[0-9]+")


class TrustStore(msgspec.Struct, frozen=True):
    """Where the CAs come from: one file (a PEM bundle) or one hashed directory."""

    source: str  # "SSL_CERT_FILE", "SSL_CERT_DIR", "system" or "certifi": for the docs and logs
    cafile: str | None = None
    capath: str | None = None


def is_hashed_dir(path: str | None) -> bool:
    """A directory OpenSSL can look CAs up in by subject hash (at least one hash link)."""
    if not path:
        return False
    try:
        with os.scandir(path) as entries:
            return any(_HASH_LINK.fullmatch(entry.name) for entry in entries)
    except OSError:  # missing, not a directory, unreadable: not a trust store we can use
        return False


def trust_store(
    environ: Mapping[str, str] = os.environ, system_capath: str | None = None
) -> TrustStore:
    """The CAs to trust; `system_capath` defaults to the OpenSSL build's own directory."""
    if environ.get("SSL_CERT_FILE"):
        return TrustStore("SSL_CERT_FILE", cafile=environ["SSL_CERT_FILE"])
    if environ.get("SSL_CERT_DIR"):
        return TrustStore("SSL_CERT_DIR", capath=environ["SSL_CERT_DIR"])
    if system_capath is None:
        system_capath = ssl.get_default_verify_paths().openssl_capath
    if is_hashed_dir(system_capath):
        return TrustStore("system", capath=system_capath)
    import certifi

    return TrustStore("certifi", cafile=certifi.where())


class TrustStoreError(ssl.SSLError):
    """The chosen CAs could not be loaded. An ssl.SSLError, so httpx reports it as the
    connect error of the handshake that needed them (the gateway's "offline" with this
    text), not as a traceback."""

    def __str__(self) -> str:  # ssl.SSLError would show the args tuple
        return str(self.args[0])


def _load_failure(store: TrustStore, exc: Exception) -> TrustStoreError:
    path = store.cafile or store.capath
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    fix = f"; fix or unset {store.source}" if store.source.startswith("SSL_") else ""
    return TrustStoreError(f"cannot load the CA certificates in {path} ({reason}){fix}")


class DeferredTrustContext(ssl.SSLContext):
    """`ssl.create_default_context()`'s client settings; the CAs of `store` are loaded at
    the first handshake. anyio calls `wrap_bio` of an SSLContext subclass in a worker
    thread, so that one-time load does not block the event loop."""

    store: TrustStore
    _loaded: bool
    _lock: threading.Lock

    def __new__(cls, store: TrustStore) -> DeferredTrustContext:
        return super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)

    def __init__(self, store: TrustStore) -> None:
        self.store = store
        self._loaded = False
        self._lock = threading.Lock()
        # What create_default_context(Purpose.SERVER_AUTH) sets beyond PROTOCOL_TLS_CLIENT's
        # defaults; tests/unit/gateway/test_tls.py compares the two on the running Python.
        self.verify_mode = ssl.CERT_REQUIRED
        self.check_hostname = True
        if sys.version_info >= (3, 13):
            self.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | ssl.VERIFY_X509_STRICT
        keylog = os.environ.get("SSLKEYLOGFILE")
        if keylog and not sys.flags.ignore_environment:
            self.keylog_filename = keylog

    def load_trust(self) -> None:
        """Load the store's CAs, once (thread-safe: handshakes may start in threads)."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            store = self.store
            try:
                self.load_verify_locations(cafile=store.cafile, capath=store.capath)
            except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
                raise _load_failure(store, exc) from None
            self._loaded = True

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self.load_trust()
        return super().wrap_bio(*args, **kwargs)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self.load_trust()
        return super().wrap_socket(*args, **kwargs)


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """Building it reads nothing but the environment and one directory listing."""
    return DeferredTrustContext(trust_store())
