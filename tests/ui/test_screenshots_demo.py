"""`make screenshots` end to end: the real demo (simulator + SyncEngine) renders every scene,
and each shows what its name claims. PNG conversion is skipped here (it only re-encodes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import screenshots
from tools.demo_stack import demo_stack

pytestmark = pytest.mark.timeout(90)


def text(svg: str) -> str:
    return svg.replace("&#160;", " ")


async def test_every_scene_renders_from_the_live_demo(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(screenshots, "to_png", lambda svg, path: False)
    out = tmp_path / "shots"
    out.mkdir()
    with demo_stack(tmp_path / "data", seed=screenshots.SEED) as stack:
        await screenshots.shoot(stack, out)
        tokens = [a.token for a in stack.sim.accounts]
    shots = {p.stem: text(p.read_text()) for p in out.glob("*.svg")}
    assert set(shots) == {"live", "live-80x24", "light", "degraded", "health", "login"}
    # 19: the seed includes a PR where only my team (backend) is asked to review
    assert "Pull requests 19 · live" in shots["live"] and "2 selected" in shots["live"]
    assert "Messages 6 · live" in shots["live-80x24"]
    assert "s left" in shots["degraded"] and "cached" in shots["degraded"]
    assert "rate limited" in shots["degraded"]  # the Jira 429 storm, in the status line
    assert "Breaker transitions" in shots["health"] and "closed → " in shots["health"]
    assert "Log in" in shots["login"] and "device flow" in shots["login"]
    assert "<@U" not in shots["live"]  # Slack mentions are shown by name
    for name, svg in shots.items():
        assert not any(t in svg for t in tokens), f"a simulator token is on the {name} screen"
