"""One verifying SSL context for every gateway of the process.

Loading the CA bundle takes ~25 ms and each httpx.AsyncClient would load its own: three
accounts paid it three times before the dashboard's first paint. Same settings as httpx's
default (SSL_CERT_FILE / SSL_CERT_DIR honoured).
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=True)
