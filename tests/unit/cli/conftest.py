"""Every test gets clean env vars for the paths and leaves the root logger as it found it."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from zen_tui.cli import main
from zen_tui.commands import COMMAND_MODULES
from zen_tui.config import Settings
from zen_tui.logs import shutdown_logging
from zen_tui.models import PullRequest

ONE_GITHUB = '[[accounts]]\nname = "gh"\nservice = "github"\n'


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ZEN_TUI_CONFIG", raising=False)
    monkeypatch.delenv("ZEN_TUI_DATA_DIR", raising=False)
    level = logging.getLogger().level
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


# A one-account config with one section, for the commands run in a fresh interpreter.
HEADLESS_CONFIG = """
[[accounts]]
name = "gh"
service = "github"

[[sections]]
pane = "prs"
title = "Review requested"
account = "gh"
query = "is:pr is:open review-requested:@me"
"""


def headless_env(tmp_path: Path, *, default_folders: bool = False) -> dict[str, str]:
    """This environment without ZEN_TUI_*, pointing at a one-account config under tmp_path:
    named by ZEN_TUI_CONFIG and ZEN_TUI_DATA_DIR, or (`default_folders`, Linux) found in the
    default folders under XDG_CONFIG_HOME and XDG_DATA_HOME, as a user without them runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEN_TUI_")}
    if default_folders:
        (tmp_path / "xdg-config" / "zen-tui").mkdir(parents=True)
        (tmp_path / "xdg-config" / "zen-tui" / "config.toml").write_text(
            HEADLESS_CONFIG, encoding="utf-8"
        )
        xdg = {"XDG_CONFIG_HOME": "xdg-config", "XDG_DATA_HOME": "xdg-data"}
        return env | {name: str(tmp_path / folder) for name, folder in xdg.items()}
    config = tmp_path / "config.toml"
    config.write_text(HEADLESS_CONFIG, encoding="utf-8")
    return env | {"ZEN_TUI_CONFIG": str(config), "ZEN_TUI_DATA_DIR": str(tmp_path / "data")}


def gh_pr(key: str, **fields: object) -> PullRequest:
    """A pull request of the `gh` account (HEADLESS_CONFIG's and ONE_GITHUB's), as the store
    keeps it; `fields` over plain defaults."""
    plain: dict[str, object] = {
        "title": "t",
        "url": "https://github.com/x",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    given = plain | fields
    return PullRequest(id=f"gh:{key}", account="gh", service="github", key=key, **given)  # type: ignore[arg-type]


class Said(NamedTuple):
    """What a run of `zen-tui` said: exit status, stdout, stderr."""

    code: int
    out: str
    err: str


def by_both_lanes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> tuple[Said | None, Said]:
    """`zen-tui argv` run by the quick lane (cli._quick: the facts kept with the config's
    parse, the store as it is, no msgspec) and by the full path, in that order: what each
    said, the quick lane's None when it declined. A first run keeps the config's facts."""
    from zen_tui import cli

    main(argv)
    capsys.readouterr()
    answered: list[int | None] = []
    quick = cli._quick

    def recorded(args: argparse.Namespace, data_dir: Path) -> int | None:
        answered.append(quick(args, data_dir))
        return answered[-1]

    monkeypatch.setattr(cli, "_quick", recorded)
    code = main(argv)
    quick_said = Said(code, *capsys.readouterr())
    monkeypatch.setattr(cli, "_quick", lambda args, data_dir: None)
    full = Said(main(argv), *capsys.readouterr())
    monkeypatch.setattr(cli, "_quick", quick)
    return (quick_said if answered[-1] is not None else None), full
