"""Who holds an outbox lease, and whether that holder still exists.

Several zen-tui processes may share one data folder (a dashboard and a `zen-tui sync --once`
from cron, two dashboards): each outbox entry is claimed in SQLite before it is sent, under
an owner id naming the process. A lease held by a process that is gone (killed, crashed) is
free at once, so a restart does not wait for it to expire; one held by a live process is
left alone until it expires. The owner id is "host:pid:start:token": `start` (the process's
start time, Linux only) tells a reused pid from the original process, `token` tells apart two
outboxes in one process (tests open several engines one after another).
"""

from __future__ import annotations

import os
from _thread import allocate_lock  # threading.Lock itself, without threading (see base.py)

_live_tokens: set[str] = set()  # owners in this process that have not been closed
_lock = allocate_lock()


def new_owner() -> str:
    """A fresh owner id for this process, alive until `forget(owner)`."""
    # 48 random bits, as the 12 first hex digits of a uuid4 were: `uuid` itself loads re,
    # enum and platform, for every `zen-tui health` that judges a record's saver (alive)
    token = os.urandom(6).hex()
    with _lock:
        _live_tokens.add(token)
    return f"{_host()}:{os.getpid()}:{_start_time(os.getpid())}:{token}"


def forget(owner: str) -> None:
    """This owner is done (its outbox closed): its leases are free for anyone."""
    with _lock:
        _live_tokens.discard(owner.rsplit(":", 1)[-1])


def describe(owner: str) -> str:
    """A short, human description for messages: "pid 1234 on host"."""
    parts = owner.split(":")
    return f"pid {parts[1]} on {parts[0]}" if len(parts) == 4 else "another process"


def alive(owner: str) -> bool:
    """False only when the holder is certainly gone; True when it is (or may be) running."""
    parts = owner.split(":")
    if len(parts) != 4 or not parts[1].isdigit():
        return True  # not an id we made: let its lease expire instead
    host, pid_text, start, token = parts
    if host != _host():
        return True  # a process on another machine (a shared folder): cannot tell
    pid = int(pid_text)
    if pid == os.getpid() and start == _start_time(pid):
        with _lock:
            return token in _live_tokens
    if not _pid_exists(pid):
        return False
    now_start = _start_time(pid)
    return not (start and now_start and now_start != start)  # a reused pid is another process


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return True
    return True


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), or "" when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()  # the command name may hold spaces and ")"
    return fields[19] if len(fields) > 19 else ""


def _host() -> str:
    # os.uname() is what socket.gethostname() reads on POSIX, without importing socket (a few
    # ms of every headless `health` / `outbox`); elsewhere socket's answer.
    if hasattr(os, "uname"):
        name = os.uname().nodename
    else:  # pragma: no cover - Windows
        import socket

        name = socket.gethostname()
    return name.replace(":", "_") or "localhost"
