"""Render the README screenshots from the real demo, headless: `python -m tools.screenshots
DIR`.

The simulator runs in this process (seeded, fixed size), the real SyncEngine syncs from it, and
ZenApp runs under `run_test` at a fixed terminal size. Scenes, in order: `live` (and
`live-80x24`, `light`), then faults injected through the simulator (GitHub outage -> breaker
open; a Jira 429 storm) for `degraded`, the `health` screen, and the `login` screen.
Writes SVGs always, PNGs when cairosvg and the system libcairo are installed.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
import time
from pathlib import Path

from textual.pilot import Pilot

from tools.demo_stack import (
    GITHUB_OUTAGE,
    JIRA_429_STORM,
    DemoStack,
    all_live,
    breaker_lamps,
    demo_stack,
    pane_titles,
    wait_until,
)
from zen_tui.ui.app import ZenApp
from zen_tui.ui.screens.health import HealthScreen
from zen_tui.ui.screens.login import LoginScreen

PNG_FONT = "DejaVu Sans Mono"  # a monospace font most Linux boxes have (SVGs ask Fira Code)
WIDE = (140, 40)
NARROW = (80, 24)
SEED = 1


class Shooter:
    """Saves the current screen as `name`.svg (and .png)."""

    def __init__(self, app: ZenApp, out: Path) -> None:
        self.app, self.out = app, out
        self.png_ok = True

    async def save(self, pilot: Pilot, name: str) -> None:
        await pilot.pause(0.3)  # let the last messages paint
        svg = self.app.export_screenshot(title=f"zen-tui · {name}")
        (self.out / f"{name}.svg").write_text(svg, encoding="utf-8")
        self.png_ok = self.png_ok and to_png(svg, self.out / f"{name}.png")
        print(f"wrote {self.out / name}.svg" + (" and .png" if self.png_ok else ""), flush=True)


async def shoot(stack: DemoStack, out: Path) -> bool:
    """Every scene in one run of the demo. True when PNGs were written too."""
    engine = stack.engine()
    app = stack.app(engine)
    shooter = Shooter(app, out)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        await pilot.press("j", "space", "j", "space", "j")
        await shooter.save(pilot, "live")
        await pilot.resize_terminal(*NARROW)
        await shooter.save(pilot, "live-80x24")
        await pilot.resize_terminal(*WIDE)
        app.theme = "zen-light"
        await shooter.save(pilot, "light")
        app.theme = "zen-dark"
        await pilot.press("escape")
        await degrade(stack, app, pilot)
        await shooter.save(pilot, "degraded")
        await pilot.press("h")
        await wait_until(lambda: isinstance(app.screen, HealthScreen), "the health screen")
        await shooter.save(pilot, "health")
        await pilot.press("escape")
        app.action_login()
        await wait_until(lambda: isinstance(app.screen, LoginScreen), "the login screen")
        await pilot.press("enter")  # the first account: its methods
        await shooter.save(pilot, "login")
    return shooter.png_ok


async def degrade(stack: DemoStack, app: ZenApp, pilot: Pilot) -> None:
    """GitHub down and a Jira 429 storm, then poll until the UI shows it."""
    stack.sim.set_faults([GITHUB_OUTAGE, JIRA_429_STORM])
    await pilot.press("tab", "right_square_bracket")  # the issues pane, on its Jira tab
    for _ in range(6):  # each poll of a GitHub section fails: enough failures open the breaker
        await app.backend.refresh(None)
        if breaker_lamps(app).get("github") == "open":
            break
    await wait_until(lambda: breaker_lamps(app).get("github") == "open", "the GitHub breaker")
    await wait_until(
        lambda: all("live" not in t for k, t in pane_titles(app).items() if k != "messages"),
        "stale badges on the GitHub and Jira panes",
    )


def to_png(svg: str, path: Path) -> bool:
    try:
        import cairosvg  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except (ImportError, OSError):
        return False
    svg = re.sub(r"font-family:\s*[^;\"]*", f"font-family: {PNG_FONT}", svg)
    cairosvg.svg2png(bytestring=svg.encode(), write_to=str(path), output_width=1600)
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.screenshots DIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="zen-shots-") as data,
        demo_stack(Path(data), seed=SEED) as stack,
    ):
        png_ok = asyncio.run(shoot(stack, out))
    if not png_ok:
        print("PNGs skipped: `pip install cairosvg` (needs the system libcairo2)")
    print(f"done in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
