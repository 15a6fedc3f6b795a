"""An install is an install: the wheel built from this repository, installed into a fresh
virtual environment outside it, starts the dashboard (`zen-tui --demo`) to its first paint.

Before the themes moved into the package, the wheel had no `themes/` and every start crashed
with `InvalidThemeError: Theme 'zen-dark' has not been registered`.

Fast (about 10 s) and offline: the wheel is built with the test environment's setuptools
(no build isolation, nothing fetched), and the fresh environment gets zen-tui from the wheel
only (`--no-deps`) while it sees the dependencies already installed for the tests through a
`.pth` line naming their site-packages (a plain path line: no `.pth` of that folder, such as an
editable install of this repository, is run). The test checks that `zen_tui` imports from the
new environment, never from the repository.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import sysconfig
import termios
import time
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# No network: the build backend (setuptools, a test dependency) and the dependencies are
# already installed; nothing is fetched.
OFFLINE = ("--no-deps", "--no-build-isolation", "--no-index")
FIRST_PAINT = b"Pull requests"  # a pane title: the dashboard screen has rendered


def clean_env() -> dict[str, str]:
    """The caller's environment without anything that points Python at this checkout."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def run(*cmd: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, f"{cmd}: {done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def pip(*args: str | Path, cwd: Path) -> str:
    return run(sys.executable, "-m", "pip", *args, cwd=cwd)


def fresh_venv(env: Path) -> Path:
    """A new virtual environment that also sees the test environment's packages; its python."""
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = run(python, "-c", code, cwd=env).strip()
    Path(purelib, "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a fresh venv holding the wheel built from this checkout."""
    root = tmp_path_factory.mktemp("install")
    wheels = root / "wheels"
    out = pip("wheel", *OFFLINE, "-w", wheels, REPO, cwd=root)
    assert "BuildBackendWarning" not in out
    [wheel] = wheels.glob("zen_tui-*.whl")
    env = root / "venv"
    python = fresh_venv(env)
    pip("--python", python, "install", *OFFLINE, wheel, cwd=root)
    where = run(python, "-c", "import zen_tui; print(zen_tui.__file__)", cwd=root).strip()
    assert Path(where).is_relative_to(env), where
    return env / "bin"


def first_paint(exe: Path, cwd: Path, within: float = 60.0) -> tuple[bytes, int | None]:
    """Run `zen-tui --demo` on a pseudo-terminal until the dashboard paints (or it exits),
    then press q. Returns what it drew and its exit code."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TERM": "xterm-256color",
        "HOME": str(cwd),
        "XDG_CONFIG_HOME": str(cwd / "config"),
        "ZEN_TUI_DATA_DIR": str(cwd / "data"),
    }
    proc = subprocess.Popen(
        [exe, "--demo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    try:
        drawn = read_until(master, proc, FIRST_PAINT, within)
        quit_at = time.monotonic()
        # Keep reading while it quits: a terminal nobody reads blocks the app's writes.
        while proc.poll() is None and time.monotonic() - quit_at < 20:
            os.write(master, b"q")
            drawn += read_until(master, proc, None, 1.0)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        os.close(master)
    return drawn, proc.returncode


def read_until(
    master: int, proc: subprocess.Popen[bytes], marker: bytes | None, within: float
) -> bytes:
    """What the app draws until `marker` shows, it exits, or `within` seconds pass."""
    got, deadline = b"", time.monotonic() + within
    while proc.poll() is None and time.monotonic() < deadline:
        if marker is not None and marker in got:
            break
        if select.select([master], [], [], 0.1)[0]:
            try:
                got += os.read(master, 65536)
            except OSError:  # the terminal closed: it exited
                break
    return got


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_the_installed_wheel_paints_the_demo_dashboard(installed: Path, tmp_path: Path) -> None:
    drawn, code = first_paint(installed / "zen-tui", tmp_path)
    assert FIRST_PAINT in drawn, drawn.decode(errors="replace")[-2000:]
    assert b"Traceback" not in drawn and b"InvalidThemeError" not in drawn
    assert code == 0


def test_an_editable_install_prints_no_build_warning(tmp_path: Path) -> None:
    """`make` installs with `pip install -e .`; setuptools' import-hook strategy for a flat
    layout printed a BuildBackendWarning on every fresh install (see pyproject's package-dir)."""
    python = fresh_venv(tmp_path / "venv")
    out = pip("--python", python, "install", *OFFLINE, "-e", REPO, cwd=tmp_path)
    assert "Successfully installed zen-tui" in out
    assert "BuildBackendWarning" not in out and "SetuptoolsWarning" not in out, out
