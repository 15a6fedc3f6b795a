"""The login records holding secrets (tokens, client secrets, PKCE verifiers) are SecretRecord
Structs: the secret fields reach no repr, str or format, and no Rich/Textual pretty print either
(a plain Struct's `__rich_repr__` lists every field, which `repr=False` on a dataclass never
did). Every such record in zen_tui.auth is checked, with a value in each of its fields."""

from __future__ import annotations

import pickle

import msgspec
import pytest
from rich.pretty import pretty_repr

from tests.helpers import zen_tui_structs
from zen_tui.gateway.credentials import SecretRecord


def login_records() -> list[type[SecretRecord]]:
    mine = (
        c
        for c in zen_tui_structs()
        if issubclass(c, SecretRecord) and c.__module__.startswith("zen_tui.auth.")
    )
    return sorted(mine, key=lambda c: c.__qualname__)


RECORDS = login_records()


def test_the_login_records_holding_secrets_are_all_secret_records() -> None:
    names = {c.__qualname__ for c in RECORDS}
    assert {"Found", "DeviceToken", "OAuthApp", "StoredCredential", "Pkce"} <= names


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__qualname__)
def test_secret_fields_reach_no_printed_form(cls: type[SecretRecord]) -> None:
    assert cls._secret and set(cls._secret) <= set(cls.__struct_fields__)
    values = {name: f"{name}-value-{n}" for n, name in enumerate(cls.__struct_fields__)}
    record = cls(**values)
    printed = [repr(record), str(record), f"{record}", pretty_repr(record), pretty_repr([record])]
    for text in printed:
        for name, value in values.items():
            assert (value in text) == (name not in cls._secret), (name, text)
    assert repr(record).startswith(f"{cls.__qualname__}(")


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__qualname__)
def test_the_secret_still_counts_in_equality_and_survives_a_copy(cls: type[SecretRecord]) -> None:
    values = {name: f"{name}-value" for name in cls.__struct_fields__}
    record = cls(**values)
    other = msgspec.structs.replace(record, **{cls._secret[0]: "another"})
    assert record != other and repr(record) == repr(other)  # compared, though never shown
    assert pickle.loads(pickle.dumps(record)) == record
