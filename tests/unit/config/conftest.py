"""Every test gets clean env vars for the paths and leaves the root logger as it found it;
run_config and assert_one_clear_line: a config file through the real CLI."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from zen_tui.cli import main
from zen_tui.logs import shutdown_logging


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ZEN_TUI_CONFIG", raising=False)
    monkeypatch.delenv("ZEN_TUI_DATA_DIR", raising=False)
    level = logging.getLogger().level
    yield
    shutdown_logging()
    logging.getLogger().setLevel(level)


def run_config(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`zen-tui health` with `text` as its config file: the exit code and stderr."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    rc = main(["--config", str(cfg), "--data-dir", str(tmp_path / "data"), "health"])
    return rc, capsys.readouterr().err


def assert_one_clear_line(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str], fragments: Iterable[str]
) -> None:
    """A bad config `text` exits 2 with exactly one line naming the file and holding every
    one of `fragments`, no traceback."""
    rc, err = run_config(tmp_path, text, capsys)
    assert rc == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err  # exactly one line
    assert err.startswith(f"zen-tui: config error in {tmp_path / 'config.toml'}: "), err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
