"""Shared fixtures. The API contract data the tests read is vendored in tests/contracts/
(provenance and licences in tests/contracts/SOURCES.md)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
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


@pytest.fixture(autouse=True)
def _own_cache_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each test keeps the config's parse (zen_tui/config_cache.py) in a folder of its own,
    never in the developer's cache folder, nor one another test left a parse in: through
    $ZEN_TUI_CACHE_DIR, and $XDG_CACHE_HOME for the commands run in a child process with
    the ZEN_TUI_* variables taken out (tests/unit/cli/conftest.py: headless_env)."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    monkeypatch.setenv("ZEN_TUI_CACHE_DIR", str(folder / "zen-tui"))


@pytest.fixture(autouse=True)
def _no_store_notices_between_tests() -> Iterator[None]:
    """The store's notices are process-wide (zen_tui/store/notices.py). A "disk full" one a
    test left pending was printed on stderr by the next CLI command run in that worker, in
    another test (test_auth_cli's login, which wants a silent stderr, flaked so under
    xdist), and a disk-full state left set makes a later engine keep its rows whole. Each
    test starts and ends with no notice pending and that state forgotten."""
    _forget_store_notices()
    yield
    _forget_store_notices()


def _forget_store_notices() -> None:
    notices = sys.modules.get("zen_tui.store.notices")
    if notices is not None:  # not loaded: nothing can be pending
        notices.take_recovery_messages()
        notices.reset_disk_full()
