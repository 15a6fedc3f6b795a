"""Flag > environment > platform folder, for the config file and the data folder."""

from __future__ import annotations

import os
import sys
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
    assert paths.config_path(None, _unset()) == default
    assert paths.config_path(None, _unset() | {"ZEN_TUI_CONFIG": ""}) == default  # empty = unset
    assert paths.config_path_is_explicit(flag, {}) and paths.config_path_is_explicit(None, environ)
    assert not paths.config_path_is_explicit(None, {})


def test_data_dir_precedence(tmp_path: Path) -> None:
    environ = {"ZEN_TUI_DATA_DIR": str(tmp_path / "env")}
    assert paths.data_dir(tmp_path / "flag", environ) == tmp_path / "flag"
    assert paths.data_dir(None, environ) == tmp_path / "env"
    assert paths.data_dir(None, _unset()) == platformdirs.user_data_path("zen-tui", appauthor=False)


def test_cache_dir_precedence(tmp_path: Path) -> None:
    environ = {"ZEN_TUI_CACHE_DIR": str(tmp_path / "env")}
    assert paths.cache_dir(environ) == tmp_path / "env"
    default = platformdirs.user_cache_path("zen-tui", appauthor=False)
    assert paths.cache_dir(_unset()) == default
    assert paths.cache_dir(_unset() | {"ZEN_TUI_CACHE_DIR": ""}) == default  # empty = unset


def _unset() -> dict[str, str]:
    """This process's environment without ZEN_TUI_*: what platformdirs reads (HOME, XDG_*),
    so both sides see the same home even where $HOME is not the user database's (CI)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ZEN_TUI_")}


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


# What the XDG variables and HOME can hold: unset (None), empty, blank, relative, a tilde
# (not expanded by anyone: relative), absolute with and without slashes to tidy.
XDG_VALUES = (None, "", "  ", "rel/dir", "~/tilde", "/xdg/base", "/xdg/base/", "//two", "/")
HOME_VALUES = (None, "", "relative/home", "/home/someone", "/home/someone/", "/", "//")


def _set(monkeypatch: pytest.MonkeyPatch, name: str, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, value)


def _platformdirs_paths() -> tuple[Path, Path, Path]:
    config = platformdirs.user_config_path("zen-tui", appauthor=False) / "config.toml"
    data = platformdirs.user_data_path("zen-tui", appauthor=False)
    return config, data, platformdirs.user_cache_path("zen-tui", appauthor=False)


@pytest.mark.skipif(sys.platform != "linux", reason="zen-tui computes only the Linux folders")
@pytest.mark.parametrize("home", HOME_VALUES)
def test_linux_folders_are_platformdirs_own(monkeypatch: pytest.MonkeyPatch, home: str) -> None:
    """paths computes the Linux folders without platformdirs (its import is a sixth of
    `--help`): for every combination of HOME, XDG_CONFIG_HOME and XDG_DATA_HOME above (and
    XDG_CACHE_HOME, one value each), the answers are platformdirs' (HOME unset or relative:
    both read the user database)."""
    _set(monkeypatch, "HOME", home)
    monkeypatch.delenv("ZEN_TUI_CACHE_DIR")  # the tests' own (tests/conftest.py)
    for config_home in XDG_VALUES:
        for data_home, cache_home in zip(XDG_VALUES, [*XDG_VALUES[1:], XDG_VALUES[0]], strict=True):
            _set(monkeypatch, "XDG_CONFIG_HOME", config_home)
            _set(monkeypatch, "XDG_DATA_HOME", data_home)
            _set(monkeypatch, "XDG_CACHE_HOME", cache_home)
            ours = paths.config_path(), paths.data_dir(), paths.cache_dir()
            assert ours == _platformdirs_paths(), (home, config_home, data_home, cache_home)


@pytest.mark.skipif(sys.platform != "linux", reason="zen-tui computes only the Linux folders")
@pytest.mark.parametrize("pw_dir", ["/from/passwd", "/from/passwd/", "relative", None])
@pytest.mark.parametrize("home", [None, "", "relative/home"])
def test_linux_folders_without_a_usable_home(
    monkeypatch: pytest.MonkeyPatch, pw_dir: str | None, home: str | None
) -> None:
    """HOME unset or relative: the user database's home, like platformdirs; with none there
    (or a relative one), both refuse, ours with a message that says what to set."""
    import pwd
    from types import SimpleNamespace

    def getpwuid(uid: int) -> SimpleNamespace:
        if pw_dir is None:
            raise KeyError(uid)
        return SimpleNamespace(pw_dir=pw_dir)

    monkeypatch.setattr(pwd, "getpwuid", getpwuid)
    _set(monkeypatch, "HOME", home)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", "/xdg/data")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg/cache")
    monkeypatch.delenv("ZEN_TUI_CACHE_DIR")  # the tests' own (tests/conftest.py)
    if pw_dir is not None and pw_dir.startswith("/"):
        assert (paths.config_path(), paths.data_dir(), paths.cache_dir()) == _platformdirs_paths()
        return
    with pytest.raises(RuntimeError):
        _platformdirs_paths()
    with pytest.raises(paths.HomeNotFound, match="set HOME or XDG_CONFIG_HOME"):
        paths.config_path()
    assert paths.data_dir() == Path("/xdg/data/zen-tui")  # the variable is enough
    assert paths.cache_dir() == Path("/xdg/cache/zen-tui")
