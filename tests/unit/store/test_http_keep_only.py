"""http_keep_only: after a login, the account's cached answers but the current login's go,
and nothing of any other account (whose name may share a prefix) is touched."""

from __future__ import annotations

import random

import pytest

from zen_tui.store import HttpCacheRow, Store

ALPHABET = "ab1._-"  # account names: [A-Za-z0-9][A-Za-z0-9_.-]* (config._NAME_RE)


def _name(rng: random.Random) -> str:
    return rng.choice("ab1") + "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 3)))


def _key(rng: random.Random, account: str, logins: list[str]) -> str:
    url = f"https://h/{rng.randint(0, 9)}"
    if rng.random() < 0.2:
        return f"{account} GET {url}"  # a key from before logins were named
    return f"{account}@{rng.choice(logins)} GET {url}"


@pytest.mark.parametrize("seed", range(25))
def test_only_the_accounts_other_logins_go(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    accounts = sorted({_name(rng) for _ in range(5)})
    logins = [f"{i:032x}" for i in range(3)]
    keys = {_key(rng, rng.choice(accounts), logins) for _ in range(60)}
    for key in keys:
        store.http_put(HttpCacheRow(key, 200, {}, b"{}", None, None, 0.0))
    account = rng.choice(accounts)
    owner = None if rng.random() < 0.3 else f"{account}@{rng.choice(logins)}"

    store.http_keep_only(account, owner)

    def mine(key: str) -> bool:
        return key.startswith((f"{account}@", f"{account} "))

    kept = {k for k in keys if not mine(k) or (owner and k.startswith(f"{owner} "))}
    assert {k for k in keys if store.http_get(k) is not None} == kept
