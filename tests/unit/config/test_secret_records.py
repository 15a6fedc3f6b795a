"""The records that hold a secret (a Credential's token, a demo account's token, the webhook
signing secrets held in memory) never show it: not in repr, str, an f-string, a log line, rich's
pretty printer (what Textual's devtools and rich tracebacks with locals use), nor inside the
Settings that holds them. The secret still works: it is kept by replace and pickling, and
the settings that differ only in a secret held in memory compare equal, as they did."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import msgspec
import pytest
from rich.pretty import pretty_repr

from zen_tui.config_schema import (
    AccountConfig,
    PollingConfig,
    Settings,
    UiConfig,
    WebhookConfig,
)
from zen_tui.gateway.credentials import Credential

TOKEN = "ghp_" + "S3cr3t" * 6
SIGNING = "whsec-" + "k3y" * 8


def demo_account(token: str = TOKEN) -> AccountConfig:
    return AccountConfig("gh", "github", "http://127.0.0.1:1/github", token=token)


def hooks(secret: str = SIGNING) -> WebhookConfig:
    return WebhookConfig(enabled=True, port=0, secrets={"github": secret})


def settings() -> Settings:
    return Settings(
        accounts=[demo_account()],
        sections=[],
        gateway={},
        polling=PollingConfig(),
        ui=UiConfig(),
        webhooks=hooks(),
        config_path=None,
        data_dir=Path("/nowhere"),
    )


RECORDS = {
    "credential": lambda: Credential(TOKEN, username="me@example.com"),
    "account": demo_account,
    "webhooks": hooks,
    "settings": settings,
}


def renderings(record: object) -> list[str]:
    return [repr(record), str(record), f"{record}", f"{record!r}", pretty_repr(record)]


@pytest.mark.parametrize("make", RECORDS.values(), ids=RECORDS.keys())
def test_no_secret_in_any_rendering(make) -> None:
    record = make()
    for text in renderings(record):
        assert TOKEN not in text and SIGNING not in text, text
    assert type(record).__name__ + "(" in repr(record)  # still the Name(field=...) shape


@pytest.mark.parametrize("make", RECORDS.values(), ids=RECORDS.keys())
def test_no_secret_in_a_log_line(make, caplog: pytest.LogCaptureFixture) -> None:
    record = make()
    log = logging.getLogger("zen_tui.test_secret_records")
    with caplog.at_level(logging.DEBUG):
        log.info("loaded %s", record)
        log.info("loaded %r", record)
        log.info("loaded", extra={"record": record})
    assert len(caplog.records) == 3
    for line in caplog.records:
        assert TOKEN not in line.getMessage() and SIGNING not in line.getMessage()
    assert TOKEN not in caplog.text and SIGNING not in caplog.text


def test_the_repr_shows_the_other_fields() -> None:
    assert (
        repr(Credential(TOKEN, "me@x"))
        == "Credential(username='me@x', who=None, expires_at=None, local=False, base_url=None,"
        " env=None)"
    )
    text = repr(demo_account())
    assert text.startswith("AccountConfig(name='gh', service='github', base_url=")
    assert ", token=" not in text and "token_env=None" in text
    assert "secrets" not in repr(hooks()) and "secret_env=" in repr(hooks())


def test_the_secret_is_kept_by_replace_and_pickling() -> None:
    moved = msgspec.structs.replace(demo_account(), base_url="http://127.0.0.1:2/github")
    assert moved.token == TOKEN
    assert pickle.loads(pickle.dumps(demo_account())).token == TOKEN
    assert pickle.loads(pickle.dumps(hooks())).secret("github") == SIGNING
    assert pickle.loads(pickle.dumps(Credential(TOKEN))) == Credential(TOKEN)


def test_a_secret_held_in_memory_is_not_compared() -> None:
    """As the dataclass fields with compare=False: equal settings whatever the secret held."""
    assert demo_account("one") == demo_account("two")
    assert hash(demo_account("one")) == hash(demo_account("two"))
    assert demo_account() != msgspec.structs.replace(demo_account(), name="other")
    assert len({demo_account("one"), demo_account("two")}) == 1
    assert hooks("one") == hooks("two")
    assert hooks() != msgspec.structs.replace(hooks(), port=1)
    assert demo_account() != "AccountConfig" and hooks() != demo_account()


def test_a_credential_compares_its_token() -> None:
    """A refreshed credential is a different one even for the same user."""
    assert Credential("old", "me") != Credential("new", "me")
    assert Credential("same", "me") == Credential("same", "me")
    assert hash(Credential("same")) == hash(Credential("same"))
