"""Where zen-tui keeps its config and its data (store, logs).

Precedence, first wins: the command-line flag, then the environment variable, then the
platform folder: on Linux the XDG Base Directory one ($XDG_CONFIG_HOME/zen-tui, else
~/.config/zen-tui; $XDG_DATA_HOME/zen-tui, else ~/.local/share/zen-tui; $XDG_CACHE_HOME/zen-tui,
else ~/.cache/zen-tui), elsewhere platformdirs'. The cache folder has no flag: it holds only
what can be made again (zen_tui/config_cache.py), so only $ZEN_TUI_CACHE_DIR moves it.

Why Linux is computed here: platformdirs costs ~7 ms to import (tempfile, random, its
platform classes), a sixth of `zen-tui --help`, for two lines of rules. It stays the one
source for macOS, Windows and Android, and tests/unit/config/test_paths.py compares these
Linux paths with its answers over many environments, so the two cannot drift apart.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from typing import Literal

APP_NAME = "zen-tui"
CONFIG_ENV = "ZEN_TUI_CONFIG"
DATA_DIR_ENV = "ZEN_TUI_DATA_DIR"
CACHE_DIR_ENV = "ZEN_TUI_CACHE_DIR"
CONFIG_FILE_NAME = "config.toml"
LOG_FILE_NAME = "zen-tui.log"


def _explicit(
    flag: str | os.PathLike[str] | None, env_name: str, environ: Mapping[str, str]
) -> Path | None:
    """The flag's path, else the environment's (an empty variable counts as unset)."""
    value = os.fspath(flag) if flag is not None else environ.get(env_name, "")
    return Path(value).expanduser() if value else None


def config_path_is_explicit(
    flag: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> bool:
    """True when the user named a config file (flag or env), so a missing one is a mistake."""
    return _explicit(flag, CONFIG_ENV, os.environ if environ is None else environ) is not None


def config_path(
    flag: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """`--config PATH` > `$ZEN_TUI_CONFIG` > <platform config dir>/config.toml."""
    env = os.environ if environ is None else environ
    explicit = _explicit(flag, CONFIG_ENV, env)
    if explicit is not None:
        return explicit
    return _platform_dir("config", env) / CONFIG_FILE_NAME


def data_dir(
    flag: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """`--data-dir PATH` > `$ZEN_TUI_DATA_DIR` > the platform data dir."""
    env = os.environ if environ is None else environ
    explicit = _explicit(flag, DATA_DIR_ENV, env)
    if explicit is not None:
        return explicit
    return _platform_dir("data", env)


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$ZEN_TUI_CACHE_DIR` > the platform cache dir (HomeNotFound where Linux has no home)."""
    env = os.environ if environ is None else environ
    explicit = _explicit(None, CACHE_DIR_ENV, env)
    if explicit is not None:
        return explicit
    return _platform_dir("cache", env)


class HomeNotFound(RuntimeError):
    """Neither $HOME nor the user database gives an absolute home folder (Linux)."""


# XDG variable and default under the home folder, for each kind of folder we use.
_XDG = {
    "config": ("XDG_CONFIG_HOME", ".config"),
    "data": ("XDG_DATA_HOME", ".local/share"),
    "cache": ("XDG_CACHE_HOME", ".cache"),
}


def _platform_dir(kind: Literal["config", "data", "cache"], env: Mapping[str, str]) -> Path:
    """The user's config, data or cache folder for zen-tui on this platform."""
    if sys.platform == "linux" and not _maybe_android(env):
        variable, default = _XDG[kind]
        base = env.get(variable, "")
        if not os.path.isabs(base):  # unset, empty or relative: the spec says to ignore it
            base = f"{_home(env, variable).rstrip('/')}/{default}"
        return Path(base, APP_NAME)
    import platformdirs  # only here: Linux, and a script that names both paths, never load it

    if kind == "config":
        return platformdirs.user_config_path(APP_NAME, appauthor=False)
    if kind == "cache":
        return platformdirs.user_cache_path(APP_NAME, appauthor=False)
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def _maybe_android(env: Mapping[str, str]) -> bool:
    """An Android app (sys.platform is "linux" there before Python 3.13) keeps its folders
    elsewhere: platformdirs knows where."""
    return hasattr(sys, "getandroidapilevel") or "ANDROID_DATA" in env


def _home(env: Mapping[str, str], variable: str) -> str:
    """$HOME when it is an absolute path, else the user database's home folder (as
    platformdirs does: a relative HOME counts as unset)."""
    home = env.get("HOME", "")
    if not os.path.isabs(home):
        import pwd

        try:
            home = pwd.getpwuid(os.getuid()).pw_dir
        except KeyError:
            home = ""
    if not os.path.isabs(home):
        raise HomeNotFound(
            "cannot find your home folder: HOME is not an absolute path and the user "
            f"database has none; set HOME or {variable}, or pass --config and --data-dir"
        )
    return home


def log_dir(data: Path) -> Path:
    return data / "logs"


def log_file(data: Path) -> Path:
    return log_dir(data) / LOG_FILE_NAME


def store_path(data: Path) -> Path:
    """The SQLite store's file (the store engineer may choose another name inside data_dir)."""
    return data / "zen-tui.db"


def login_rows_path(data: Path, identity: str) -> Path:
    """The rows kept for one environment login (sync/session_rows.py), named by its keyed
    fingerprint (gateway/identity.py), never by its token."""
    return data / "logins" / f"{identity}.db"


def cache_key_path(data: Path) -> Path:
    """The install's random key naming logins in the HTTP cache (see gateway/identity.py)."""
    return data / "cache-identity.key"


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def make_private(path: Path, mode: int) -> str | None:
    """Take group and other access off an existing `path` (a dir: 0700, a file: 0600).

    Returns None when it is private (now), else a one-line warning saying why it could not
    be fixed and how to fix it by hand. A missing path is fine: it is created private.
    """
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return None  # never chmod through a link: its target is not ours to change
        if stat.S_IMODE(info.st_mode) & 0o077:
            path.chmod(mode)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return (
            f"{path} may be readable by other users and could not be made private: "
            f"{exc.strerror or exc}; run: chmod {mode:o} {path}"
        )
    return None


def secure_data_dir(data: Path) -> list[str]:
    """Create the data folder and logs/ as 0700 and make what is already there private
    (the folder, logs/, the log files, the store, the cache's identity key): warnings for
    what could not be fixed."""
    data.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    log_dir(data).mkdir(exist_ok=True, mode=PRIVATE_DIR)
    warnings = [make_private(d, PRIVATE_DIR) for d in (data, log_dir(data))]
    files = [*_named(log_dir(data), LOG_FILE_NAME), *_named(data, store_path(data).name)]
    files.append(cache_key_path(data))
    warnings += [make_private(f, PRIVATE_FILE) for f in files if f.is_file()]
    return [w for w in warnings if w]


def _named(folder: Path, prefix: str) -> list[Path]:
    """`folder.glob(prefix + "*")`: its entries whose names start with `prefix` (ignoring case
    on Windows, as glob does), none if it cannot be listed. One scandir: glob's pattern costs
    a regex compile, 0.2 ms of every command for two folders of a few files."""
    start = os.path.normcase(prefix)
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in entries if os.path.normcase(e.name).startswith(start)]
    except OSError:  # glob too finds nothing in a folder it cannot list
        return []
    return [folder / name for name in names]
