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


def test_bad_scenario_name_is_a_clear_error() -> None:
    from zen_tui.simulator.scenario import ScenarioError

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
