"""`zen-tui simulate` argument handling and `--demo` wiring against the real simulator."""

from __future__ import annotations

import argparse
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from zen_tui.cli import main
from zen_tui.config import Settings, section_infos
from zen_tui.logs import redact

from .conftest import stand_in


def test_simulate_passes_its_options_to_serve(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("zen_tui.simulator.server.serve", lambda **kw: seen.update(kw))
    scenario = tmp_path / "s.toml"
    scenario.write_text("")
    argv = [
        "--data-dir",
        str(tmp_path),
        "simulate",
        "--port",
        "0",
        "--seed",
        "7",
        "--size",
        "20",
        "--scenario",
        str(scenario),
        "--activity",
    ]
    assert main(argv) == 0
    assert seen == {
        "host": "127.0.0.1",
        "port": 0,
        "seed": 7,
        "size": 20,
        "scenario": scenario,
        "activity": True,
    }


def test_simulate_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("zen_tui.simulator.server.serve", lambda **kw: seen.update(kw))
    assert main(["--data-dir", str(tmp_path), "simulate"]) == 0
    assert seen == {
        "host": "127.0.0.1",
        "port": 8765,
        "seed": 1,
        "size": 300,
        "scenario": None,
        "activity": False,
    }


def test_simulate_missing_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.toml"
    assert main(["--data-dir", str(tmp_path), "simulate", "--scenario", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"zen-tui: scenario {str(missing)!r} not found: give a TOML file or one of steady, tour\n"
    )


@pytest.mark.parametrize("name", ["tour", "steady"])
def test_simulate_accepts_a_bundled_scenario_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    from zen_tui.simulator.core.scenario import load_path

    seen: dict[str, Any] = {}
    monkeypatch.setattr("zen_tui.simulator.server.serve", lambda **kw: seen.update(kw))
    assert main(["--data-dir", str(tmp_path), "simulate", "--scenario", name]) == 0
    assert seen["scenario"].is_file() and seen["scenario"].stem == name
    assert load_path(seen["scenario"]).phases or name == "steady"


def test_simulate_port_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        rc = main(["--data-dir", str(tmp_path), "simulate", "--port", str(port), "--size", "5"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith(f"zen-tui: cannot listen on 127.0.0.1:{port}: ")
    assert "pick another --port" in err and "Traceback" not in err


def test_simulate_on_an_address_not_of_this_machine_names_the_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """192.0.2.1 (TEST-NET-1) is no address here: it said "pick another --port"."""
    rc = main(["--data-dir", str(tmp_path), "simulate", "--host", "192.0.2.1", "--size", "5"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert "not an address of this machine: set --host to one of its own" in err
    assert "pick another --port" not in err


def test_simulate_bad_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text("this is = = not toml")
    argv = [
        "--data-dir",
        str(tmp_path),
        "simulate",
        "--port",
        "0",
        "--size",
        "5",
        "--scenario",
        str(scenario),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("zen-tui: bad scenario: ") and "Traceback" not in err


def test_demo_runs_the_command_against_a_live_simulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results: dict[str, Any] = {}

    def run(args: argparse.Namespace, settings: Settings) -> int:
        gh = settings.account("github")
        assert gh.token is not None
        response = httpx.get(f"{gh.base_url}/user", headers={"Authorization": f"Bearer {gh.token}"})
        results.update(
            status=response.status_code,
            services=[a.service for a in settings.accounts],
            panes={i.pane for i in section_infos(settings)},
            data_dir=settings.data_dir,
            masked=redact(f"token {gh.token}"),
        )
        return 0

    stand_in(monkeypatch, "health", run)
    # A broken config must not matter: the demo does not read it.
    bad = tmp_path / "bad.toml"
    bad.write_text("nonsense = = 1")
    assert main(["--demo", "--config", str(bad), "--data-dir", str(tmp_path), "health"]) == 0
    assert results["status"] == 200
    assert results["services"] == ["github", "jira", "slack"]
    assert results["panes"] == {"prs", "issues", "messages"}
    assert results["data_dir"].parent == tmp_path / "demo"  # this run's own folder
    assert results["data_dir"].name.startswith("run-") and not results["data_dir"].exists()
    assert results["masked"] == "token ***"


@pytest.mark.parametrize("scenario", ["tour", "no-such-scenario", None])
def test_demo_session_serves_every_service(tmp_path: Path, scenario: str | None) -> None:
    from zen_tui.demo import demo_session

    with demo_session(tmp_path, scenario) as settings:
        slack = settings.account("slack")
        response = httpx.post(
            f"{slack.base_url}/auth.test", headers={"Authorization": f"Bearer {slack.token}"}
        )
        assert response.json()["ok"] is True
    assert settings.data_dir.parent == tmp_path / "demo" and not settings.data_dir.exists()
    with pytest.raises(httpx.ConnectError):  # stopped when the block ends
        httpx.post(f"{slack.base_url}/auth.test", timeout=2)


def test_demo_server_logs_go_to_the_file_not_the_terminal(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import logging

    from zen_tui.demo import demo_session
    from zen_tui.logs import setup_logging

    log_path = setup_logging(tmp_path)
    with demo_session(tmp_path) as _settings:
        logging.getLogger("uvicorn.error").warning("sim says hello")
        logging.getLogger("uvicorn").warning("uvicorn says hello")
    out, err = capfd.readouterr()
    assert "hello" not in out + err
    text = log_path.read_text(encoding="utf-8")
    assert "sim says hello" in text and "uvicorn says hello" in text


def _record_demo_sessions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """demo.demo_session replaced by a recorder that yields the real demo settings shape."""
    import contextlib

    import zen_tui.demo as demo
    from zen_tui.demo import demo_settings

    calls: list[tuple[Any, ...]] = []

    @contextlib.contextmanager
    def fake(data_dir: Path, scenario: str | None = None, *, webhooks: bool = False) -> Any:
        calls.append((data_dir, scenario, webhooks))
        yield demo_settings([], data_dir / "demo")

    monkeypatch.setattr(demo, "demo_session", fake)
    return calls


def test_the_welcome_screen_demo_starts_through_demo_session_with_webhooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zen_tui.commands import dashboard
    from zen_tui.demo import DEMO_SCENARIO

    calls = _record_demo_sessions(monkeypatch)
    opened: list[bool] = []
    monkeypatch.setattr(dashboard, "_open", lambda settings, demo: opened.append(demo) or 0)
    assert dashboard.run_demo(tmp_path) == 0
    assert calls == [(tmp_path, DEMO_SCENARIO, True)] and opened == [True]


@pytest.mark.parametrize(("command", "webhooks"), [("dashboard", True), ("health", False)])
def test_only_the_dashboard_demo_turns_webhooks_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, webhooks: bool
) -> None:
    calls = _record_demo_sessions(monkeypatch)
    stand_in(monkeypatch, command, lambda args, settings: 0)
    assert main(["--demo", "--data-dir", str(tmp_path), command]) == 0
    assert [c[2] for c in calls] == [webhooks]
