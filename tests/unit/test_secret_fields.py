"""Every record in zen_tui whose field holds a secret keeps it out of its printed forms.

A msgspec Struct's own repr and __rich_repr__ list every field (a dataclass field could say
repr=False), so a record with a token, secret, password, cookie or PKCE verifier must be a
SecretRecord naming that field in `_secret`. This walks every module, so a record added later
(or converted from a dataclass) cannot forget it.
"""

from __future__ import annotations

import re

import msgspec

from tests.helpers import zen_tui_structs
from zen_tui.gateway.credentials import SecretRecord

SECRET_NAME = re.compile(
    r"^(token|refresh_token|\w*secret|secrets|password|cookie|verifier|credential)$"
)

# Fields whose name matches but which hold no secret.
NOT_SECRET = {
    ("zen_tui.auth.endpoints.AtlassianEndpoints", "token"),  # the token endpoint's URL
}


def _records() -> list[type[msgspec.Struct]]:
    # The simulator holds its own fake secrets.
    return [cls for cls in zen_tui_structs() if ".simulator" not in cls.__module__]


def test_the_walk_finds_the_records() -> None:
    names = {cls.__name__ for cls in _records()}
    assert {"Credential", "AccountConfig", "StoredCredential", "PullRequest"} <= names


def test_every_secret_field_is_hidden() -> None:
    unhidden = []
    for cls in _records():
        name = f"{cls.__module__}.{cls.__qualname__}"
        for field in cls.__struct_fields__:
            if not SECRET_NAME.match(field) or (name, field) in NOT_SECRET:
                continue
            if not (issubclass(cls, SecretRecord) and field in cls._secret):
                unhidden.append(f"{name}.{field}")
    assert unhidden == []
