"""`serve()` (what `zen-tui simulate` runs), the no-real-looking-tokens rule and the import
boundary."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import httpx
import pytest

from zen_tui.simulator import server as server_module
from zen_tui.simulator.server import SimulatorServer, serve

SIM_DIR = Path(server_module.__file__).parent
TOKEN_PATTERNS = re.compile(
    r"(ghp_|gho_|github_pat_)[A-Za-z0-9_]{20,}|xox[abpe]-[0-9A-Za-z-]{10,}|ATATT[A-Za-z0-9_-]{20,}"
)


def test_serve_prints_one_line_per_service_and_stops_on_ctrl_c(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, int] = {}

    def interrupt(self: SimulatorServer) -> None:
        seen["status"] = httpx.get(f"{self.root_url}/_sim/info").status_code
        raise KeyboardInterrupt

    monkeypatch.setattr(SimulatorServer, "wait", interrupt)
    serve(host="127.0.0.1", port=0, seed=3, size=30, scenario="steady")
    lines = capsys.readouterr().out.splitlines()
    assert seen["status"] == 200
    github = next(line for line in lines if line.startswith("github"))
    assert re.search(r"http://127\.0\.0\.1:\d+/github\s+token ghp_\w+", github)
    assert lines[-1].startswith("control ")


def test_the_banner_and_sim_info_give_the_same_base_urls_and_a_client_can_use_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One truth for each base URL: the start-up banner, `/_sim/info` and the demo accounts
    agree, and each is what the client's base_url must be (Slack's like https://slack.com/api,
    with the methods right under it)."""
    from zen_tui.config import DEFAULT_BASE_URLS

    seen: dict[str, object] = {}

    def interrupt(self: SimulatorServer) -> None:
        info = httpx.get(f"{self.root_url}/_sim/info").json()["services"]
        seen["info"] = {name: s["base_url"] for name, s in info.items()}
        seen["accounts"] = {a.service: a.base_url for a in self.accounts}
        slack = info["slack"]
        auth = httpx.post(
            f"{slack['base_url']}/auth.test", headers={"Authorization": f"Bearer {slack['token']}"}
        )
        seen["slack_ok"] = auth.json().get("ok")
        raise KeyboardInterrupt

    monkeypatch.setattr(SimulatorServer, "wait", interrupt)
    serve(host="127.0.0.1", port=0, seed=3, size=30)
    banner = {
        line.split()[0]: line.split()[1]
        for line in capsys.readouterr().out.splitlines()
        if not line.startswith("control")
    }
    assert banner == seen["info"] == seen["accounts"], (banner, seen)
    assert set(banner) == {"github", "jira", "slack"}
    assert banner["slack"].endswith("/slack/api")
    assert banner["slack"].endswith(httpx.URL(DEFAULT_BASE_URLS["slack"]).path)
    assert seen["slack_ok"] is True


def test_bad_scenario_name_is_a_clear_error() -> None:
    from zen_tui.simulator.core.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="not found: give a TOML file or one of steady, tour"):
        SimulatorServer(scenario="no-such-scenario")


def test_no_real_looking_token_literals_in_simulator_source() -> None:
    for path in [*SIM_DIR.glob("*.py"), *SIM_DIR.glob("scenarios/*.toml")]:
        assert not TOKEN_PATTERNS.search(path.read_text()), path.name


def test_simulator_imports_nothing_from_the_client_side() -> None:
    """Only its own modules, starlette, uvicorn, graphql-core (the GraphQL API; the client
    sends query text and never imports it) and the standard library: a client bug can never
    hide behind shared code."""
    allowed = {"starlette", "uvicorn", "graphql", "zen_tui"} | set(sys.stdlib_module_names)
    for path in SIM_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in allowed, f"{path.name} imports {name}"
                if top == "zen_tui":
                    assert name.startswith("zen_tui.simulator"), f"{path.name} imports {name}"
