"""The docs tools: the key table follows the bindings, and README links point at files."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from textual.binding import Binding

ROOT = Path(__file__).resolve().parents[3]


def load_tool(name: str) -> ModuleType:
    """tools/ is a folder of scripts, not a package: load one by path."""
    spec = importlib.util.spec_from_file_location(f"tools_{name}", ROOT / "tools" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


keys_table = load_tool("keys_table")
check_links = load_tool("check_links")


def test_committed_key_table_matches_the_bindings() -> None:
    text = keys_table.KEYS_MD.read_text(encoding="utf-8")
    assert keys_table.replaced(text, keys_table.render()) == text, (
        "docs/keys.md is out of date: run python tools/keys_table.py"
    )


def test_key_table_lists_every_binding_with_its_keys_and_description() -> None:
    from zen_tui.ui.app import all_bindings

    block = keys_table.render()
    for binding in all_bindings():
        row = f"| {keys_table.keys_cell(binding)} | {binding.description} | `{binding.id}` |"
        assert row in block
    assert "| `/` | Filter | `filter` |" in block  # key names become what they type
    assert "| `j` `down` | Down | `cursor-down` |" in block


def test_a_changed_binding_makes_the_check_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    import zen_tui.ui.app as app

    real = app.all_bindings
    changed = [Binding("z", "quit", "Quit", id="quit") if b.id == "quit" else b for b in real()]
    monkeypatch.setattr(app, "all_bindings", lambda: changed)
    assert keys_table.main(["--check"]) == 1


def test_readme_links_all_resolve() -> None:
    assert check_links.broken_links(ROOT / "README.md") == []


def test_link_check_reports_a_missing_file(tmp_path: Path) -> None:
    page = tmp_path / "README.md"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "here.md").write_text("x")
    page.write_text(
        "[ok](docs/here.md#part) [gone](docs/gone.md) [web](https://example.com) [a](#top)\n"
        "```\n[in code](nowhere.md)\n```\n"
    )
    assert check_links.broken_links(page) == ["docs/gone.md"]


def test_sync_once_says_it_may_wait_out_a_servers_wait_and_what_bounds_it() -> None:
    """`sync --once` sleeps through a wait a server names (Retry-After) up to the retry
    settings' max_server_wait: a script running it must read so where the command is
    described, with the key that bounds it and its default as the code has it."""
    from zen_tui.gateway.settings import RetrySettings

    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    start = cli.index("`zen-tui sync [--once]` refreshes")
    described = " ".join(cli[start : cli.index("`zen-tui list ", start)].split())
    default = f"{RetrySettings().max_server_wait:g} s"
    assert "`[gateway.<service>.retry] max_server_wait`" in described, described
    assert f"default {default}" in described, (default, described)
