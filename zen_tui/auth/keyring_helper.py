"""Run one keyring request in a short-lived helper process (see keyring_call.py).

The helper is `python -P -m zen_tui.auth.keyring_call` with this interpreter, in a process
group of its own, with this process's environment (PYTHON_KEYRING_BACKEND, D-Bus and XDG
variables reach the backend) and this process's sys.path (sent with the request, so a
backend module found here is found there). The request, and with it any secret to save,
goes to its stdin; the answer comes back on its stdout; argv and the environment hold none.

When the timeout is up the whole group is killed with SIGKILL and reaped: a keyring that
never answers (a locked Secret Service) leaves no process and no thread behind, unlike a
call in a thread, which cannot be stopped.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import site
import subprocess
import sys
from pathlib import Path
from typing import Any

from zen_tui.json_input import loads

log = logging.getLogger(__name__)

MODULE = "zen_tui.auth.keyring_call"
Answer = dict[str, Any]
_LIVE: set[subprocess.Popen[bytes]] = set()  # helpers running now, for _kill_live


class HelperTimedOut(Exception):
    """The helper did not answer in time; its process group has been killed."""


class HelperFailed(Exception):
    """The helper could not run or gave no answer; str() is one secret-free line."""


def available() -> bool:
    """False in an embedded interpreter that cannot start another one of itself."""
    return bool(sys.executable)


def ask(request: Answer, timeout: float) -> Answer:
    """The helper's answer to `request`: blocking, at most `timeout` seconds (then the
    helper is killed and HelperTimedOut raised). Run it in a thread from async code."""
    try:
        process = subprocess.Popen(
            command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment(),
            start_new_session=True,  # its own group: a timeout kills what it started too
        )
    except OSError as exc:
        raise _not_started(exc) from None
    _LIVE.add(process)
    try:
        out, err = process.communicate(_payload(request), timeout=timeout)
    except subprocess.TimeoutExpired:
        raise HelperTimedOut() from None
    finally:  # timed out or interrupted: nothing of it is left running
        if process.returncode is None:  # not reaped, so its pid is not anyone else's yet
            _kill(process)
            process.wait()
        _LIVE.discard(process)
        _close(process)
    return _decode(out, err, process.returncode)


def command() -> list[str]:
    # -P: the current directory is not put on sys.path, so a `keyring.py` or `json.py`
    # lying there is never run by the process that handles the tokens.
    return [sys.executable, "-P", "-m", MODULE]


def environment() -> dict[str, str]:
    """This process's environment; PYTHONPATH gains the folder this zen_tui package is in
    when it is a source tree rather than an installed package, so `-m` finds this copy."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    if root not in _site_folders():
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _site_folders() -> set[str]:
    folders = [*site.getsitepackages(), site.getusersitepackages()]
    return {str(Path(f).resolve()) for f in folders}


def _payload(request: Answer) -> bytes:
    """The request and this process's module path ('' is the current folder: say which)."""
    path = [p or os.getcwd() for p in sys.path if isinstance(p, str)]
    return json.dumps({**request, "path": path}).encode()


def _decode(out: bytes, err: bytes, status: int) -> Answer:
    """The answer is the last line of stdout (a backend may print before it)."""
    lines = out.decode(errors="replace").strip().splitlines()
    with contextlib.suppress(IndexError, ValueError):
        answer = loads(lines[-1])  # a line nested too deeply is a ValueError too
        if isinstance(answer, dict):
            return answer
    # Its stderr goes to the log only (the log masks every known secret), never to the user.
    reason = err.decode(errors="replace").strip().splitlines()
    log.warning("the keyring helper said: %s", reason[-1] if reason else "nothing")
    raise HelperFailed(
        f"the keyring helper process exited with status {status} and no answer; see the log file"
    )


def _not_started(exc: OSError) -> HelperFailed:
    why = exc.strerror or type(exc).__name__
    return HelperFailed(f"the keyring helper process could not start ({why})")


def _close(process: subprocess.Popen[bytes]) -> None:
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


@atexit.register
def _kill_live() -> None:
    """At exit, while a daemon thread still waits for a helper (the app quit during a slow
    keyring read): the helper goes too instead of living on as an orphan."""
    for process in list(_LIVE):
        if process.poll() is None:  # not reaped: its pid is still its own
            _kill(process)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the helper's whole group: a backend that started a process of its own
    does not outlive it either (where there are no process groups: the helper alone)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
