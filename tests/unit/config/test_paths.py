"""Flag > environment > platform folder, for the config file and the data folder."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from zen_tui import paths


def test_config_path_precedence(tmp_path: Path) -> None:
    flag, env = tmp_path / "flag.toml", tmp_path / "env.toml"
    environ = {"ZEN_TUI_CONFIG": str(env)}
    assert paths.config_path(flag, environ) == flag
    assert paths.config_path(None, environ) == env
    default = platformdirs.user_config_path("zen-tui", appauthor=False) / "config.toml"
    assert paths.config_path(None, {}) == default
    assert paths.config_path(None, {"ZEN_TUI_CONFIG": ""}) == default  # empty = unset
    assert paths.config_path_is_explicit(flag, {}) and paths.config_path_is_explicit(None, environ)
    assert not paths.config_path_is_explicit(None, {})


def test_data_dir_precedence(tmp_path: Path) -> None:
    environ = {"ZEN_TUI_DATA_DIR": str(tmp_path / "env")}
    assert paths.data_dir(tmp_path / "flag", environ) == tmp_path / "flag"
    assert paths.data_dir(None, environ) == tmp_path / "env"
    assert paths.data_dir(None, {}) == platformdirs.user_data_path("zen-tui", appauthor=False)


def test_home_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.data_dir("~/zen") == tmp_path / "zen"


def test_log_file_lives_in_data_dir(tmp_path: Path) -> None:
    assert paths.log_file(tmp_path) == tmp_path / "logs" / "zen-tui.log"


def test_reads_the_real_environment_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ZEN_TUI_CONFIG", str(tmp_path / "c.toml"))
    monkeypatch.setenv("ZEN_TUI_DATA_DIR", str(tmp_path / "d"))
    assert paths.config_path() == tmp_path / "c.toml"
    assert paths.data_dir() == tmp_path / "d"
