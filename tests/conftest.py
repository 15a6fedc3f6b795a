"""Shared fixtures. The API contract data the tests read is vendored in tests/contracts/
(provenance and licences in tests/contracts/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

CONTRACTS = Path(__file__).resolve().parent / "contracts"


@pytest.fixture(scope="session")
def contracts() -> Path:
    return CONTRACTS


EXISTING_LOGIN_VARS = (
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "JIRA_API_TOKEN",
    "SLACK_TOKEN",
)


@pytest.fixture(autouse=True)
def _no_existing_logins(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test picks up the developer's own GH_TOKEN or `gh` login (see zen_tui.auth.ambient);
    the tests of that order set them explicitly."""
    for var in EXISTING_LOGIN_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("zen_tui.auth.ambient.GH_COMMAND", "zen-tui-test-no-gh")
    monkeypatch.setattr("zen_tui.auth.keyring_store._SESSION", {})  # session-only logins
