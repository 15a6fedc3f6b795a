"""Scenario timelines driven by a controllable clock; bundled scenarios; load errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import httpx
import pytest

from tests.helpers import ManualClock
from zen_tui.simulator.app import build_app
from zen_tui.simulator.core.faults import FaultEngine
from zen_tui.simulator.core.scenario import ScenarioError, ScenarioRunner, load_path, parse
from zen_tui.simulator.core.world import World
from zen_tui.simulator.github.service import GitHubSim

SCRIPT = """
name = "test"
loop = true
period = 100
[[faults]]
service = "*"
latency_ms = 5
[[phase]]
name = "outage"
at = 10
duration = 20
[[phase.faults]]
service = "github"
outage = true
[[phase]]
name = "blips"
at = 50
duration = 2
repeat = 10
[[phase.faults]]
service = "github"
error_rate = 1.0
statuses = [500]
"""


def test_phases_follow_the_timeline_and_loop() -> None:
    scenario = parse(tomllib.loads(SCRIPT))
    names = {t: [p.name for p in scenario.active_phases(t)] for t in (0, 10, 29.9, 30, 51, 63, 110)}
    assert names == {
        0: [],
        10: ["outage"],
        29.9: ["outage"],
        30: [],
        51: ["blips"],
        63: [],
        110: ["outage"],
    }
    assert len(scenario.rules_at(0)) == 1  # the always-on baseline


def test_runner_applies_rules_to_engine_as_clock_moves() -> None:
    clock, engine = ManualClock(), FaultEngine(1)
    runner = ScenarioRunner(engine, World(), clock=clock)
    runner.load(parse(tomllib.loads(SCRIPT)))
    assert engine.decide("github", "GET", "/user").kind is None
    clock.now = 15
    runner.tick()
    assert engine.decide("github", "GET", "/user").kind == "outage"
    assert engine.decide("jira", "GET", "/x").kind is None
    clock.now = 31
    assert runner.status()["active"] == []
    assert engine.decide("github", "GET", "/user").kind is None
    runner.stop()
    assert engine.rules()["scenario"] == []


async def test_scenario_drives_requests_through_the_app() -> None:
    clock = ManualClock()
    world = World(seed=1, size=30)
    world.add(GitHubSim(world, "tok"))
    app = build_app(world, clock=clock)
    app.state.scenario.load(parse(tomllib.loads(SCRIPT)))
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer tok"}
    async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=headers) as c:
        assert (await c.get("/github/user")).status_code == 200
        clock.now = 12
        assert (await c.get("/github/user")).status_code == 503
        status = (await c.get("/_sim/scenario")).json()
        assert status["name"] == "test" and status["active"] == ["outage"]
        clock.now = 40
        assert (await c.get("/github/user")).status_code == 200


async def test_scenario_loaded_from_toml_over_control_api() -> None:
    world = World(seed=1, size=30)
    world.add(GitHubSim(world, "tok"))
    transport = httpx.ASGITransport(app=build_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://s") as c:
        r = await c.post("/_sim/scenario", json={"toml": 'name = "x"\n[[faults]]\noutage = true'})
        assert r.json()["name"] == "x"
        assert (
            await c.get("/github/user", headers={"Authorization": "Bearer tok"})
        ).status_code == 503
        bad = await c.post("/_sim/scenario", json={"toml": "[[phase]]\nat = 1"})
        assert bad.status_code == 400 and "duration" in bad.json()["error"]


@pytest.mark.parametrize("name", ["tour", "steady"])
def test_bundled_scenarios_load(name: str) -> None:
    scenario = load_path(name)
    assert scenario.name == name


def test_tour_shows_each_failure_and_recovery_in_turn() -> None:
    tour = load_path("tour")
    assert tour.loop and tour.period <= 200
    for phase in tour.phases:  # long enough for a 10-30 s poller to see it, short enough to wait
        assert 30 <= phase.duration <= 60
    seen = {p.name for t in range(int(tour.period)) for p in tour.active_phases(t)}
    assert seen == {"GitHub outage", "Jira 429 storm", "slow Slack"}
    assert tour.active_phases(tour.period - 1) == []  # ends in recovery


def test_missing_and_invalid_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not found"):
        load_path(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_path(broken)
    broken.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")  # past tomllib's recursion
    with pytest.raises(ScenarioError, match=r"not valid TOML.*nested too deeply"):
        load_path(broken)
    broken.write_text("seed = " + "1" * 5000 + "\n")  # past int()'s digit limit
    with pytest.raises(ScenarioError, match=r"not valid TOML.*integer longer than Python reads"):
        load_path(broken)
    bad_rule = tmp_path / "bad.toml"
    bad_rule.write_text("[[faults]]\nerror_rate = 3\n")
    with pytest.raises(ScenarioError, match=r"bad\.toml: fault rule #0"):
        load_path(bad_rule)


def test_scenario_rate_scale_applies_to_the_world() -> None:
    world = World()
    runner = ScenarioRunner(FaultEngine(1), world, clock=ManualClock())
    runner.load(parse({"name": "tight", "rate_scale": 0.01}))
    assert world.rate_scale == 0.01
    with pytest.raises(ScenarioError, match="rate_scale"):
        parse({"rate_scale": 0})


async def test_tour_drives_github_outage_and_jira_storm_on_a_fake_clock() -> None:
    from zen_tui.simulator.app import create_world

    clock = ManualClock()
    world = create_world(seed=1, size=60)
    if "jira" not in world.services:
        pytest.skip("Jira simulator not in this build")
    app = build_app(world, clock=clock)
    app.state.scenario.load_path("tour")
    github, jira = world.services["github"], world.services["jira"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://s") as c:

        async def statuses(at: float) -> tuple[int, int]:
            clock.now = at
            g = await c.get("/github/user", headers={"Authorization": f"Bearer {github.token}"})
            j = await c.get(
                "/jira/rest/api/3/myself",
                auth=(jira.email, jira.token),  # type: ignore[attr-defined]
            )
            return g.status_code, j.status_code

        timeline = [await statuses(t) for t in (5, 30, 70, 100, 125, 190 + 30, 190 + 100)]
    assert timeline == [
        (200, 200),
        (503, 200),
        (200, 200),
        (200, 429),
        (200, 200),
        (503, 200),  # the loop repeats
        (200, 429),
    ]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("perod = 90", r"scenario: unknown key\(s\) \['perod'\]; use only: name, loop"),
        (
            "[[phase]]\nat = 0\nduration = 5\nrepeats = 3",
            r"phase #0: unknown key\(s\) \['repeats'\]",
        ),
        ("phase = [1]", "phase #0: must be a table"),
    ],
)
def test_unknown_scenario_and_phase_keys_are_refused(script: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse(tomllib.loads(script), source="typo.toml")


def test_the_documented_example_scenario_loads() -> None:
    page = Path(__file__).parents[2] / "docs" / "simulator.md"
    blocks = [b.split("```", 1)[0] for b in page.read_text(encoding="utf-8").split("```toml\n")]
    [example] = [b for b in blocks[1:] if 'name = "lunch-time"' in b]
    scenario = parse(tomllib.loads(example))
    assert scenario.name == "lunch-time" and scenario.period == 90
    assert scenario.settings == {"slack": {"non_marketplace": True}}
    assert [p.name for p in scenario.active_phases(15)] == ["Jira throttled"]
