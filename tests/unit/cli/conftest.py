"""Every test gets clean env vars for the paths and leaves the root logger as it found it."""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zen_tui.commands import COMMAND_MODULES
from zen_tui.config import Settings
from zen_tui.logs import shutdown_logging
from zen_tui.store import take_recovery_messages

ONE_GITHUB = '[[accounts]]\nname = "gh"\nservice = "github"\n'


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ZEN_TUI_CONFIG", raising=False)
    monkeypatch.delenv("ZEN_TUI_DATA_DIR", raising=False)
    level = logging.getLogger().level
    take_recovery_messages()  # process-wide notices left by other tests
    yield
    shutdown_logging()
    logging.getLogger().setLevel(level)


def stand_in(
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    run: Callable[[argparse.Namespace, Settings], int],
) -> None:
    """Route `zen-tui <command>` to `run`: the real module keeps its arguments (the CLI
    parses as it does for real), only its `run` is replaced."""
    module = importlib.import_module(f"zen_tui.commands.{COMMAND_MODULES[command]}")
    monkeypatch.setattr(module, "run", run)


def cli_args(tmp_path: Path, config: str = ONE_GITHUB) -> list[str]:
    """`--data-dir D --config C` for `config` written to a file under tmp_path."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(config, encoding="utf-8")
    return ["--data-dir", str(tmp_path / "data"), "--config", str(cfg)]
