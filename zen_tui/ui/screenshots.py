"""Render the README screenshots headless: `python -m zen_tui.ui.screenshots DIR`.

Writes SVGs (always) and PNGs (when cairosvg and the system libcairo are installed:
`pip install cairosvg`; otherwise PNGs are skipped with a note). Scenes come from the
FakeBackend scripts with a frozen clock, so the images only change when the UI does.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from textual.pilot import Pilot

from zen_tui.ui.app import ZenApp
from zen_tui.ui.fake_backend import FROZEN_NOW, FakeBackend

PNG_FONT = "DejaVu Sans Mono"  # a monospace font most Linux boxes have (SVGs ask Fira Code)


@dataclass(frozen=True)
class Scene:
    name: str
    size: tuple[int, int]
    setup: Callable[[FakeBackend, Pilot], Awaitable[None]]
    theme: str | None = None
    sections: bool = True


async def _live(backend: FakeBackend, pilot: Pilot) -> None:
    backend.go_live()
    await pilot.press("j", "space", "j", "space")


async def _degraded(backend: FakeBackend, pilot: Pilot) -> None:
    backend.go_live()
    backend.go_degraded()


async def _health(backend: FakeBackend, pilot: Pilot) -> None:
    backend.go_live()
    backend.go_degraded(("jira",))
    await pilot.press("h")


async def _nothing(backend: FakeBackend, pilot: Pilot) -> None:
    return None


SCENES = (
    Scene("live", (140, 40), _live),
    Scene("live-80x24", (80, 24), _live),
    Scene("degraded", (140, 40), _degraded),
    Scene("health", (140, 40), _health),
    Scene("login", (100, 30), _nothing, sections=False),
    Scene("light", (140, 40), _live, theme="zen-light"),
)


async def render(scene: Scene) -> str:
    backend = FakeBackend() if scene.sections else FakeBackend(sections=())
    app = ZenApp(backend, theme=scene.theme, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=scene.size) as pilot:
        await pilot.pause()
        await scene.setup(backend, pilot)
        await pilot.pause()
        await pilot.pause(0.2)
        return app.export_screenshot(title=f"zen-tui · {scene.name}")


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
        print("usage: python -m zen_tui.ui.screenshots DIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    png_ok = True
    for scene in SCENES:
        svg = asyncio.run(render(scene))
        (out / f"{scene.name}.svg").write_text(svg, encoding="utf-8")
        png_ok = png_ok and to_png(svg, out / f"{scene.name}.png")
        print(f"wrote {out / scene.name}.svg" + (" and .png" if png_ok else ""))
    if not png_ok:
        print("PNGs skipped: `pip install cairosvg` (needs the system libcairo2)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
