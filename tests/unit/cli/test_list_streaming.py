"""`zen-tui list --json` streams: the text is what json.dumps(document, indent=2) gives, and
the memory it needs does not grow with the number of items."""

from __future__ import annotations

import json
import os
import random
import tracemalloc
from pathlib import Path

import pytest

from tests.fakes.backend import DEFAULT_SECTIONS, FROZEN_NOW, make_items
from zen_tui import paths
from zen_tui.cli import main
from zen_tui.store import Store

PANES = ("prs", "issues", "messages")


def config(tmp_path: Path, sections_per_pane: int) -> Path:
    text = ['[[accounts]]\nname = "gh"\nservice = "github"\n']
    text += ['[[accounts]]\nname = "sl"\nservice = "slack"\n']
    for pane in PANES:
        account = "sl" if pane == "messages" else "gh"
        for n in range(sections_per_pane):
            query = 'channels = ["general"]' if pane == "messages" else 'query = "is:open"'
            text.append(
                f'[[sections]]\npane = "{pane}"\ntitle = "{pane} {n}"\n'
                f'account = "{account}"\n{query}\n'
            )
    path = tmp_path / "config.toml"
    path.write_text("\n".join(text), encoding="utf-8")
    return path


def fill(data: Path, pane: str, counts: list[int], seed: int) -> None:
    template = next(s for s in DEFAULT_SECTIONS if s.pane == pane)
    account = "sl" if pane == "messages" else "gh"
    with Store.open(paths.store_path(data)) as store:
        for n, count in enumerate(counts):
            if count >= 0:  # -1: never synced
                items = make_items(template, count, seed=seed + n)
                store.save_section(f"{pane}:{n}:{account}", items, FROZEN_NOW)
            if count == 2:
                store.set_section_reason(f"{pane}:{n}:{account}", "offline")


def run_list(capsys: pytest.CaptureFixture[str], cfg: Path, data: Path, *argv: str) -> str:
    assert main(["--config", str(cfg), "--data-dir", str(data), "list", *argv]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("seed", range(12))
def test_streamed_json_is_json_dumps_text(tmp_path: Path, capsys, seed: int) -> None:
    rng = random.Random(seed)
    sections = rng.randint(0, 3)
    cfg, data = config(tmp_path, sections), tmp_path / "data"
    pane = rng.choice(PANES)
    fill(data, pane, [rng.choice((-1, 0, 1, 2, 7)) for _ in range(sections)], seed)
    out = run_list(capsys, cfg, data, pane, "--json")
    document = json.loads(out)
    assert out == json.dumps(document, indent=2) + "\n"
    assert len(document["sections"]) == sections


def _peak_mib(capsys, cfg: Path, data: Path) -> float:
    tracemalloc.start()
    try:
        run_list(capsys, cfg, data, "prs", "--json")
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_json_memory_does_not_grow_with_items(tmp_path: Path, capsys, monkeypatch) -> None:
    sink = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    monkeypatch.setattr("sys.stdout", sink)  # nothing keeps the output: only the command counts
    cfg = config(tmp_path, 1)
    small, large = tmp_path / "small", tmp_path / "large"
    fill(small, "prs", [500], 0)
    fill(large, "prs", [5000], 0)
    _peak_mib(capsys, cfg, small)  # warm caches (imports, codecs)
    grown = _peak_mib(capsys, cfg, large) - _peak_mib(capsys, cfg, small)
    # Holding every item (and the whole text) costs ~5 KiB per item: 4,500 more would be ~20 MiB.
    sink.close()
    assert grown < 2, f"peak memory grew {grown:.1f} MiB for 4,500 more items"
