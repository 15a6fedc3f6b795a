"""Records holding secrets (tokens, client secrets, PKCE verifiers) are `Redacted` Structs: the
secret fields reach no repr, str or format, and no Rich/Textual pretty print either (a plain
Struct's `__rich_repr__` lists every field, which `repr=False` on a dataclass never did)."""

from __future__ import annotations

import pickle

import msgspec
import pytest
from rich.pretty import pretty_repr

import zen_tui.auth.ambient
import zen_tui.auth.device_flow
import zen_tui.auth.endpoints
import zen_tui.auth.keyring_store
import zen_tui.auth.pkce  # noqa: F401  (the modules defining the secret-holding records)
from zen_tui.redacted import Redacted


def every_redacted() -> list[type[Redacted]]:
    found, todo = [], [Redacted]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return sorted(found, key=lambda c: c.__qualname__)


REDACTED = every_redacted()


def test_the_secret_holding_records_are_all_redacted() -> None:
    names = {c.__qualname__ for c in REDACTED}
    assert {"Found", "DeviceToken", "OAuthApp", "StoredCredential", "Pkce"} <= names


@pytest.mark.parametrize("cls", REDACTED, ids=lambda c: c.__qualname__)
def test_secret_fields_reach_no_printed_form(cls: type[Redacted]) -> None:
    assert cls.secret and set(cls.secret) <= set(cls.__struct_fields__)
    values = {name: f"{name}-value-{n}" for n, name in enumerate(cls.__struct_fields__)}
    record = cls(**values)
    printed = [repr(record), str(record), f"{record}", pretty_repr(record), pretty_repr([record])]
    for text in printed:
        for name, value in values.items():
            assert (value in text) == (name not in cls.secret), (name, text)
    assert repr(record).startswith(f"{cls.__qualname__}(")


@pytest.mark.parametrize("cls", REDACTED, ids=lambda c: c.__qualname__)
def test_the_secret_still_counts_in_equality_and_survives_a_copy(cls: type[Redacted]) -> None:
    values = {name: f"{name}-value" for name in cls.__struct_fields__}
    record = cls(**values)
    other = msgspec.structs.replace(record, **{cls.secret[0]: "another"})
    assert record != other and repr(record) == repr(other)  # compared, though never shown
    assert pickle.loads(pickle.dumps(record)) == record
