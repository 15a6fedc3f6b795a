"""`zen-tui auth login/status/logout` end to end against the simulator; no token ever shows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from tests.helpers import github_config
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from zen_tui.cli import main
from zen_tui.logs import shutdown_logging
from zen_tui.simulator.server import SimulatorServer
from zen_tui.store import Store

__all__ = ["memory_keyring"]


@pytest.fixture
def cli(sim: SimulatorServer, tmp_path: Path, capsys, monkeypatch) -> Iterator[object]:
    jira = sim.account("jira")
    others = f"""
[[accounts]]
name = "work"
service = "jira"
base_url = "{jira.base_url}"
email = "{jira.username}"

[[accounts]]
name = "team"
service = "slack"
base_url = "{sim.account("slack").base_url}"
"""
    config = github_config(sim, tmp_path, token_env="ZEN_T_GH", then=others)
    monkeypatch.delenv("ZEN_T_GH", raising=False)
    pasted: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: pasted.pop(0))

    def run(*argv: str, paste: str | None = None) -> tuple[int, str, str]:
        if paste is not None:
            pasted.append(paste)
        code = main(["--config", str(config), "--data-dir", str(tmp_path), "auth", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    shutdown_logging()


def log_text(tmp_path: Path) -> str:
    return "".join(p.read_text() for p in (tmp_path / "logs").glob("zen-tui.log*"))


def test_token_login_status_logout(
    cli, sim: SimulatorServer, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    token = sim.account("github").token
    code, out, err = cli("login", "gh", "--method", "token", paste=token)
    assert (code, err) == (0, "")
    assert "Logged in to gh as me" in out

    code, out, _ = cli("status", "--json")
    report = json.loads(out)["accounts"]
    assert report["gh"]["logged_in"] and report["gh"]["source"] == "keyring"
    assert report["gh"]["method"] == "token" and report["gh"]["login"] == "me"
    assert report["team"] == {"service": "slack", "logged_in": False, "source": None}
    code, listing, _ = cli("status")
    assert "gh (github): logged in as me (token, OS keyring)" in listing
    assert "team (slack): not logged in" in listing
    shown = out + listing

    with Store.open_in(tmp_path) as store:
        login = store.login_state("gh")
        assert login is not None and login[1] == 1  # a login: its generation went up once
        code, out, _ = cli("logout", "gh")
        assert code == 0 and "token removed" in out
        assert store.login_state("gh") == ("", 2)  # a logout too (on main: 1)
        code, out, _ = cli("logout", "gh")
        assert code == 0 and "had no token" in out
        assert store.login_state("gh") == ("", 2)  # nothing removed: nothing to take
    assert memory_keyring.entries == {}
    logged = log_text(tmp_path)
    assert "auth" in logged  # the log was written, and holds no token
    for text in (logged, shown, out):
        assert token not in text


def test_jira_api_token_uses_the_configured_email(
    cli, sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    jira = sim.account("jira")
    code, out, _ = cli("login", "work", "--method", "token", paste=jira.token)
    assert code == 0 and f"as {jira.username}" in out
    assert "takes precedence" not in out
    blob = json.loads(memory_keyring.entries[("zen-tui", "work")])
    assert blob["basic_username"] == jira.username


def test_a_wrong_token_is_refused_and_not_stored(
    cli, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    wrong = "ghp_" + "wrong" * 4 + "123"  # fake, built at run time
    code, out, err = cli("login", "gh", "--method", "token", paste=wrong)
    assert code == 1 and "did not accept the token" in err
    assert memory_keyring.entries == {}
    for text in (out, err, log_text(tmp_path)):
        assert wrong not in text


def test_bad_input_gets_one_line_errors(cli, memory_keyring: MemoryKeyring) -> None:
    code, _, err = cli("login", "nope")
    assert code == 2 and "no account named 'nope'" in err and "gh, work, team" in err
    code, _, err = cli("login", "team", "--method", "device")
    assert code == 1 and "slack accounts log in with --method oauth or token" in err
    code, _, err = cli("login", "gh", "--method", "token", paste="")
    assert code == 1 and "no token given" in err
    assert "Traceback" not in err


def test_no_keyring_explains_the_headless_options(cli, sim: SimulatorServer) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        code, out, _ = cli("status")
        assert code == 0 and "gnome-keyring-daemon --unlock" in out
        token = sim.account("github").token
        code, out, err = cli("login", "gh", "--method", "token", paste=token)
    finally:
        keyring.set_keyring(previous)
    # said before the token is even asked for (issue 14: the login was lost after approval)
    assert code == 1 and "cannot log in here: no usable OS keyring" in err and "token_env" in err
    assert "Logged in" not in out and token not in out + err and "Traceback" not in err


def test_an_exported_token_env_is_pointed_out(
    cli, sim: SimulatorServer, memory_keyring: MemoryKeyring, monkeypatch
) -> None:
    monkeypatch.setenv("ZEN_T_GH", sim.account("github").token)
    code, out, _ = cli("login", "gh", "--method", "token", paste=sim.account("github").token)
    assert code == 0 and "$ZEN_T_GH is set and takes precedence" in out
    code, out, _ = cli("status")
    assert "gh (github): token from $ZEN_T_GH" in out
    code, out, _ = cli("logout", "gh")
    assert "still provides a token" in out


def test_logout_without_a_keyring_still_names_the_variable_in_use(
    cli, sim: SimulatorServer, monkeypatch
) -> None:
    """A server without a keyring, the token in `token_env` (docs/login.md: "This suits CI
    and servers without a keyring"): `auth logout` could only say "set token_env", which is
    set, and never that the account goes on using it."""
    monkeypatch.setenv("ZEN_T_GH", sim.account("github").token)
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        code, out, err = cli("logout", "gh")
    finally:
        keyring.set_keyring(previous)
    assert code == 1 and "no usable OS keyring" in err  # nothing could be checked or deleted
    assert "$ZEN_T_GH is set and still provides a token; unset it too." in out
    assert sim.account("github").token not in out + err and "Traceback" not in err
