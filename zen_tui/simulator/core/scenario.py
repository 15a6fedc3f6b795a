"""Scenario files: fault phases on a timeline, applied lazily whenever a request arrives.

Format (TOML):

    name = "tour"
    loop = true            # restart the timeline after `period` seconds
    period = 120           # default: the end of the last phase
    rate_scale = 1.0       # optional: scales every rate-limit budget (0.01 -> GitHub core 50/h)
    faults = [ ... ]       # optional always-on rules

    [settings.slack]       # optional per-service switches (see settings.py), set on load
    non_marketplace = true

    [[phase]]
    name = "GitHub outage"
    at = 20                # seconds after the scenario starts
    duration = 25
    repeat = 0             # > 0: the phase recurs every `repeat` seconds
    [[phase.faults]]
    service = "github"
    outage = true
"""

from __future__ import annotations

import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zen_tui.simulator.core import settings
from zen_tui.simulator.core.faults import FaultEngine, FaultRule, FaultRuleError, parse_rules
from zen_tui.simulator.core.world import World

SCENARIO_DIR = Path(__file__).parent.parent / "scenarios"  # zen_tui/simulator/scenarios


TOP_KEYS = ("name", "loop", "period", "rate_scale", "faults", "settings", "phase")
PHASE_KEYS = ("name", "at", "duration", "repeat", "faults")


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message names the file, key and fix."""


@dataclass(frozen=True)
class Phase:
    name: str
    at: float
    duration: float
    faults: list[FaultRule]
    repeat: float = 0.0

    def active(self, t: float) -> bool:
        if t < self.at:
            return False
        offset = t - self.at
        if self.repeat > 0:
            offset %= self.repeat
        return offset < self.duration


@dataclass(frozen=True)
class Scenario:
    name: str
    phases: list[Phase]
    baseline: list[FaultRule] = field(default_factory=list)
    loop: bool = False
    period: float = 0.0
    rate_scale: float | None = None  # scales every rate-limit budget while loaded
    settings: dict[str, Any] = field(default_factory=dict)  # {"slack": {"non_marketplace": ...}}

    def active_phases(self, t: float) -> list[Phase]:
        if self.loop and self.period > 0:
            t %= self.period
        return [p for p in self.phases if p.active(t)]

    def rules_at(self, t: float) -> list[FaultRule]:
        rules = list(self.baseline)
        for phase in self.active_phases(t):
            rules.extend(phase.faults)
        return rules


def resolve(name_or_path: str | Path) -> Path:
    """A scenario file path, or the name of a bundled one ("tour", "steady")."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    bundled = SCENARIO_DIR / f"{name_or_path}.toml"
    if bundled.is_file():
        return bundled
    names = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")))
    raise ScenarioError(
        f"scenario {str(name_or_path)!r} not found: give a TOML file or one of {names}"
    )


def loads_toml(text: str) -> dict[str, Any]:
    """tomllib.loads; nesting past its stack (`x = [[[[…`) is a TOMLDecodeError, not a
    RecursionError. The simulator's own (it shares no code with the client it checks)."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError("nested too deeply (arrays or inline tables)") from None
    except tomllib.TOMLDecodeError:
        raise
    except ValueError:  # int()'s digit limit, which tomllib lets out as a plain ValueError
        raise tomllib.TOMLDecodeError("an integer longer than Python reads") from None


def load_path(name_or_path: str | Path) -> Scenario:
    path = resolve(name_or_path)
    try:
        return parse(loads_toml(path.read_text(encoding="utf-8")), source=str(path))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc}); fix the syntax") from None


def parse(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    try:
        _known_keys(data, TOP_KEYS, "scenario")
        phases = [_phase(p, i) for i, p in enumerate(data.get("phase", []))]
        baseline = parse_rules(data.get("faults", []))
        end = max((p.at + p.duration for p in phases), default=0.0)
        period = float(data.get("period", end))
        rate_scale = data.get("rate_scale")
        if rate_scale is not None and float(rate_scale) <= 0:
            raise ScenarioError(f"{source}: rate_scale must be a number > 0")
        return Scenario(
            name=str(data.get("name", Path(source).stem)),
            phases=phases,
            baseline=baseline,
            loop=bool(data.get("loop", False)),
            period=period,
            rate_scale=None if rate_scale is None else float(rate_scale),
            settings=_settings(data.get("settings", {})),
        )
    except (FaultRuleError, TypeError, ValueError) as exc:
        raise ScenarioError(f"{source}: {exc}") from None


def _settings(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ScenarioError("[settings.<service>] must be tables, e.g. [settings.slack]")
    return data


def _known_keys(data: Any, known: tuple[str, ...], where: str) -> None:
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: must be a table")
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {unknown}; use only: {', '.join(known)}")


def _phase(data: dict[str, Any], index: int) -> Phase:
    _known_keys(data, PHASE_KEYS, f"phase #{index}")
    if "at" not in data or "duration" not in data:
        raise ScenarioError(f"phase #{index}: needs `at` and `duration` (seconds)")
    return Phase(
        name=str(data.get("name", f"phase {index}")),
        at=float(data["at"]),
        duration=float(data["duration"]),
        repeat=float(data.get("repeat", 0)),
        faults=parse_rules(data.get("faults", [])),
    )


class ScenarioRunner:
    """Applies a scenario's rules to the fault engine for the current point on its timeline.

    `tick()` runs on every request (cheap), so no background thread is needed and a fake
    clock drives the timeline in tests.
    """

    def __init__(
        self, engine: FaultEngine, world: World, clock: Callable[[], float] | None = None
    ) -> None:
        self.engine = engine
        self.world = world
        self.clock = clock or time.monotonic
        self.scenario: Scenario | None = None
        self.started_at = 0.0
        self._active: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def load(self, scenario: Scenario) -> None:
        try:  # first, so a bad setting leaves the running scenario as it was
            settings.apply(self.world, scenario.settings)
        except settings.SettingsError as exc:
            raise ScenarioError(f"scenario {scenario.name!r}: {exc}") from None
        with self._lock:
            self.scenario = scenario
            self.started_at = self.clock()
            self._active = ("<none>",)  # force the next tick to apply
        if scenario.rate_scale is not None:
            self.world.rate_scale = scenario.rate_scale
        self.tick()

    def load_path(self, name_or_path: str | Path) -> None:
        self.load(load_path(name_or_path))

    def stop(self) -> None:
        with self._lock:
            self.scenario = None
            self._active = ()
        self.engine.set_scenario_rules([])

    def elapsed(self) -> float:
        return self.clock() - self.started_at

    def tick(self) -> None:
        with self._lock:
            if self.scenario is None:
                return
            t = self.elapsed()
            names = tuple(p.name for p in self.scenario.active_phases(t))
            if names == self._active:
                return
            self._active = names
            self.engine.set_scenario_rules(self.scenario.rules_at(t))

    def status(self) -> dict[str, Any]:
        self.tick()
        with self._lock:
            if self.scenario is None:
                return {"name": None, "elapsed": 0.0, "active": []}
            return {
                "name": self.scenario.name,
                "elapsed": round(self.elapsed(), 3),
                "active": list(self._active),
                "loop": self.scenario.loop,
                "period": self.scenario.period,
            }
