"""The keyring helper: `python -m zen_tui.auth.keyring_call` answers one keyring request.

Like git's credential helpers: the request is one JSON object on stdin, the answer one JSON
object on stdout, then the process exits. Secrets travel only through those pipes (a blob to
save on stdin, the blobs read on stdout), never in argv or the environment. The process
imports only json and keyring, so a dashboard that runs its keyring calls here never pays
keyring's imports or its backend's (D-Bus, cryptography): several MiB of resident memory.

Requests (`service` is the keyring service name; keyring_helper adds `path`, its sys.path):
    {"op": "get", "service": S, "accounts": [A, ...]}  -> {"values": {A: blob or null, ...}}
    {"op": "set", "service": S, "account": A, "blob": B} -> {}
    {"op": "delete", "service": S, "account": A}       -> {"deleted": true | false}
A backend failure answers {"error": "no-keyring"} (no usable backend) or {"error": "failed",
"kind": <exception class name>}: never the exception's text, which could quote a secret.

`answer` is also what keyring_store runs in a thread when keyring is already loaded in the
caller's process, so both ways map the backend's errors the same.
"""

from __future__ import annotations

import json
import sys
from typing import Any

Answer = dict[str, Any]


def answer(request: Answer) -> Answer:
    """Run one request against the process's keyring backend; errors become answers."""
    import keyring  # here: keyring_store imports this module and must not load keyring
    import keyring.errors

    service = request["service"]
    op = request["op"]
    try:
        if op == "get":
            return {"values": {a: keyring.get_password(service, a) for a in request["accounts"]}}
        if op == "set":
            keyring.set_password(service, request["account"], request["blob"])
            return {}
        if op == "delete":
            keyring.delete_password(service, request["account"])
            return {"deleted": True}
    except keyring.errors.PasswordDeleteError:  # nothing stored under that name
        return {"deleted": False}
    except keyring.errors.NoKeyringError:
        return {"error": "no-keyring"}
    except Exception as exc:  # any backend failure: its class name only, never its text
        return {"error": "failed", "kind": type(exc).__name__}
    raise ValueError(f"unknown keyring request {op!r}")


def main() -> int:
    request = json.loads(sys.stdin.read())
    # The caller's module path: its keyring backend (PYTHON_KEYRING_BACKEND may name a module
    # only its path holds) is found here the same way.
    sys.path[:] = request.get("path") or sys.path
    sys.stdout.write("\n" + json.dumps(answer(request)) + "\n")  # the last line is the answer
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
