"""The gateway's trust store, against a real TLS server on 127.0.0.1 with a throwaway CA.

Which CAs are trusted (SSL_CERT_FILE, SSL_CERT_DIR, the system's hashed directory, certifi),
that they are read at the first handshake and not before, that verification still refuses a
certificate no trusted CA signed, and that the refusal is one clear line."""

from __future__ import annotations

import asyncio
import random
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import certifi
import httpx
import pytest
import trustme

from tests.hostile_server import Answer, HostileServer, hostile_server
from zen_tui.gateway import FakeClock, Gateway, Unavailable
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.events import EventBus
from zen_tui.gateway.tls import DeferredTrustContext, TrustStore, shared_ssl_context, trust_store

from .conftest import settings_for


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server(ca: trustme.CA) -> Iterator[HostileServer]:
    """https://127.0.0.1:PORT with a certificate `ca` signed for 127.0.0.1."""
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(tls)
    with hostile_server(lambda path, n: Answer(body=b'{"ok": true}'), tls=tls) as api:
        yield api


@pytest.fixture
def fresh_shared_context() -> Iterator[None]:
    """shared_ssl_context() is built once per process: each test chooses its own store."""
    shared_ssl_context.cache_clear()
    yield
    shared_ssl_context.cache_clear()


def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def hashed_dir(ca: trustme.CA, tmp_path: Path) -> str:
    """A directory laid out as `openssl rehash` does: the CA under its subject hash."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to name the CA by its subject hash")
    pem = ca_file(ca, tmp_path)
    digest = subprocess.run(
        [openssl, "x509", "-hash", "-noout", "-in", pem], capture_output=True, text=True, check=True
    ).stdout.strip()
    directory = tmp_path / "certs"
    directory.mkdir()
    (directory / f"{digest}.0").symlink_to(pem)
    return str(directory)


async def get(context: ssl.SSLContext, url: str) -> httpx.Response:
    async with httpx.AsyncClient(verify=context) as client:
        return await client.get(url)


def loaded(context: ssl.SSLContext) -> int:
    """CA certificates parsed into memory (a hashed directory's, once looked up)."""
    return context.cert_store_stats()["x509_ca"]


# --- which store ----------------------------------------------------------------------


def test_ssl_cert_file_wins_then_ssl_cert_dir_as_httpx_honours_them(tmp_path: Path) -> None:
    system = str(tmp_path)  # even a usable system directory comes after the variables
    (tmp_path / "0123abcd.0").touch()
    both = {"SSL_CERT_FILE": "/ca/bundle.pem", "SSL_CERT_DIR": "/ca/dir"}
    assert trust_store(both, system) == TrustStore("SSL_CERT_FILE", cafile="/ca/bundle.pem")
    only_dir = {"SSL_CERT_FILE": "", "SSL_CERT_DIR": "/ca/dir"}
    assert trust_store(only_dir, system) == TrustStore("SSL_CERT_DIR", capath="/ca/dir")


def test_a_hashed_system_directory_is_used_instead_of_certifi(tmp_path: Path) -> None:
    (tmp_path / "README").touch()
    (tmp_path / "5ad8a5d6.0").symlink_to(tmp_path / "README")
    assert trust_store({}, str(tmp_path)) == TrustStore("system", capath=str(tmp_path))


@pytest.mark.parametrize(
    "layout",
    [
        [],  # an empty directory (Homebrew's openssl@3/certs)
        ["cert.pem", "ca-bundle.crt", "README"],  # certificates, but no hash links
        ["5ad8a5d6.pem", "5AD8A5D6.0", "5ad8a5d.0"],  # almost hash links
    ],
)
def test_certifi_when_the_system_directory_has_no_hash_links(
    tmp_path: Path, layout: list[str]
) -> None:
    for name in layout:
        (tmp_path / name).touch()
    assert trust_store({}, str(tmp_path)) == TrustStore("certifi", cafile=certifi.where())


def test_certifi_when_the_system_directory_is_missing(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-dir")
    assert trust_store({}, missing) == TrustStore("certifi", cafile=certifi.where())
    assert trust_store({}, str(tmp_path)) == TrustStore("certifi", cafile=certifi.where())


# --- the context ----------------------------------------------------------------------


def test_the_context_has_create_default_context_settings_and_no_ca_yet() -> None:
    """Not weaker than httpx's default context in any setting, on the running Python."""
    ours = DeferredTrustContext(TrustStore("certifi", cafile=certifi.where()))
    default = ssl.create_default_context(cafile=certifi.where())
    for setting in (
        "protocol",
        "verify_mode",
        "check_hostname",
        "verify_flags",
        "options",
        "minimum_version",
        "maximum_version",
        "post_handshake_auth",
        "hostname_checks_common_name",
        "security_level",
        "keylog_filename",
    ):
        assert getattr(ours, setting) == getattr(default, setting), setting
    assert ours.get_ciphers() == default.get_ciphers()
    assert loaded(ours) == 0  # nothing parsed until a handshake needs it
    ours.load_trust()
    assert loaded(ours) == loaded(default) > 100


async def test_plain_http_never_loads_a_ca_and_the_first_https_does(
    ca: trustme.CA, server: HostileServer, tmp_path: Path
) -> None:
    context = DeferredTrustContext(TrustStore("SSL_CERT_FILE", cafile=ca_file(ca, tmp_path)))
    with hostile_server(lambda path, n: Answer(body=b"{}")) as plain:
        assert (await get(context, plain.url + "/x")).status_code == 200
    assert loaded(context) == 0
    assert (await get(context, server.url + "/x")).status_code == 200
    assert loaded(context) == 1


async def test_a_hashed_directory_verifies_and_reads_only_the_ca_it_needs(
    ca: trustme.CA, server: HostileServer, tmp_path: Path
) -> None:
    store = trust_store({}, hashed_dir(ca, tmp_path))
    assert store.source == "system"
    context = DeferredTrustContext(store)
    assert (await get(context, server.url + "/x")).status_code == 200
    assert loaded(context) == 1  # looked up by the chain's issuer, not all of them


async def test_a_certificate_no_trusted_ca_signed_is_refused(
    server: HostileServer, tmp_path: Path
) -> None:
    other = trustme.CA()  # the store trusts another CA than the one that signed the server
    for store in (
        TrustStore("SSL_CERT_FILE", cafile=ca_file(other, tmp_path)),
        trust_store({}, hashed_dir(other, tmp_path)),
    ):
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await get(DeferredTrustContext(store), server.url + "/x")
    assert server.requests == []  # nothing was sent over the refused connection


class CountingContext(DeferredTrustContext):
    loads = 0

    def load_verify_locations(self, *args: object, **kwargs: object) -> None:
        self.loads += 1
        super().load_verify_locations(*args, **kwargs)  # type: ignore[arg-type]


def test_concurrent_first_handshakes_load_the_store_once_and_all_see_it_whole(
    ca: trustme.CA, tmp_path: Path
) -> None:
    """anyio starts each handshake of a subclassed context in a worker thread: however the
    first ones interleave, the CAs are loaded once and no handshake starts before."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    store = TrustStore("SSL_CERT_FILE", cafile=ca_file(ca, tmp_path))
    rng = random.Random(1206)
    try:
        for _ in range(50):
            context = CountingContext(store)
            threads = rng.randint(2, 8)
            barrier = threading.Barrier(threads)
            seen: list[int] = []

            def handshake(
                context: CountingContext = context,
                barrier: threading.Barrier = barrier,
                seen: list[int] = seen,
            ) -> None:
                barrier.wait()
                context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="x.test")
                seen.append(loaded(context))

            workers = [threading.Thread(target=handshake) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            assert context.loads == 1
            assert seen == [1] * threads
    finally:
        sys.setswitchinterval(old)


async def test_concurrent_first_calls_over_https_all_verify(
    ca: trustme.CA, server: HostileServer, tmp_path: Path
) -> None:
    context = CountingContext(TrustStore("SSL_CERT_FILE", cafile=ca_file(ca, tmp_path)))
    limits = httpx.Limits(max_keepalive_connections=0)  # a handshake per call
    async with httpx.AsyncClient(verify=context, limits=limits) as client:
        answers = await asyncio.gather(*(client.get(f"{server.url}/{n}") for n in range(6)))
    assert [a.status_code for a in answers] == [200] * 6
    assert context.loads == 1


# --- through the gateway --------------------------------------------------------------


def gateway(base_url: str) -> Gateway:
    return Gateway(
        account="gh",
        service="github",
        base_url=base_url,
        settings=settings_for(max_attempts=1),
        credentials=StaticCredentialProvider({"gh": Credential("fake-token-tls")}),
        bus=EventBus(),
        clock=FakeClock(),
    )


@pytest.mark.usefixtures("fresh_shared_context")
async def test_the_gateway_honours_ssl_cert_file(
    ca: trustme.CA, server: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file(ca, tmp_path))
    gw = gateway(server.url)
    answer = await gw.request("GET", "/user")
    assert answer.status == 200 and answer.json() == {"ok": True}
    await gw.aclose()


@pytest.mark.usefixtures("fresh_shared_context")
async def test_the_gateway_honours_ssl_cert_dir(
    ca: trustme.CA, server: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", hashed_dir(ca, tmp_path))
    gw = gateway(server.url)
    assert (await gw.request("GET", "/user")).status == 200
    await gw.aclose()


@pytest.mark.usefixtures("fresh_shared_context")
async def test_the_gateway_refuses_an_untrusted_server_in_one_clear_line(
    server: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file(trustme.CA(), tmp_path))
    gw = gateway(server.url)
    with pytest.raises(Unavailable) as refused:
        await gw.request("GET", "/user")
    assert str(refused.value) == (
        "github: offline: TLS certificate not trusted (unable to get local issuer "
        "certificate); if a private CA signs it, point SSL_CERT_FILE or SSL_CERT_DIR at "
        "that CA (ConnectError)"
    )
    assert server.requests == []
    await gw.aclose()


@pytest.mark.usefixtures("fresh_shared_context")
async def test_a_missing_ssl_cert_file_is_one_clear_line_at_the_first_https_call(
    server: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "gone.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(missing))
    gw = gateway(server.url)
    with pytest.raises(Unavailable) as refused:
        await gw.request("GET", "/user")
    assert str(refused.value) == (
        f"github: offline: cannot load the CA certificates in {missing} (No such file or "
        "directory); fix or unset SSL_CERT_FILE (ConnectError)"
    )
    await gw.aclose()


# --- the login's token calls ------------------------------------------------------------


@pytest.mark.usefixtures("fresh_shared_context")
async def test_token_refreshes_verify_against_the_same_trust_store(
    ca: trustme.CA, server: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OAuth token calls share the gateway's context (one CA load, the same trusted CAs),
    and an untrusted token endpoint is refused in one line."""
    from zen_tui.auth import grants
    from zen_tui.auth.endpoints import OAuthApp

    app = OAuthApp("client-id")
    monkeypatch.setenv("SSL_CERT_FILE", ca_file(ca, tmp_path))
    async with grants.new_client() as http:
        assert await grants.github_refresh(http, server.url, app, "fake-refresh") == {"ok": True}
    shared_ssl_context.cache_clear()
    monkeypatch.setenv("SSL_CERT_FILE", ca_file(trustme.CA(), tmp_path))
    async with grants.new_client() as http:
        with pytest.raises(grants.GrantError) as refused:
            await grants.github_refresh(http, server.url, app, "fake-refresh")
    assert str(refused.value) == (
        f"GitHub token refresh: {server.url}/login/oauth/access_token: TLS certificate not "
        "trusted (unable to get local issuer certificate); if a private CA signs it, point "
        "SSL_CERT_FILE or SSL_CERT_DIR at that CA (ConnectError)"
    )
    assert [seen.path for seen in server.requests] == ["/login/oauth/access_token"]
