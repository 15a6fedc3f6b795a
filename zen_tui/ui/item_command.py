"""Running a `[[commands]]` entry on an item: where it runs, the command line, the outcome.

The command line comes from `zen_tui.item_commands.render` (every value shell-quoted); this
module picks the directory (the repo's checkout from `[repos."owner/name"] path`), runs it in
the background (output captured, its last line in the status line) or in the terminal the app
hands over (`App.suspend`), and words the one-line outcome.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Mapping
from pathlib import Path

import msgspec

from zen_tui.config import CommandConfig
from zen_tui.item_commands import MissingField, item_fields, render
from zen_tui.models import Item
from zen_tui.text_safety import clean

LAST_LINE = 160  # characters of the command's last output line shown in the status line


class Refused(Exception):
    """The command cannot run on this item; `str()` says why and what to do."""


class Prepared(msgspec.Struct, frozen=True):
    line: str  # the shell command line, values quoted
    cwd: Path | None  # None: the directory zen-tui was started in
    label: str  # "checkout on acme/web#12", for the status line


def prepare(command: CommandConfig, item: Item, repo_paths: Mapping[str, Path]) -> Prepared:
    """The command line and directory for `item`, or Refused with the reason."""
    fields = item_fields(item, repo_paths)
    label = f"{command.title} on {item.key}"
    repo = fields.get("repo", "")
    path = repo_paths.get(repo) if repo else None
    if command.in_checkout and path is None:
        what = f'[repos."{repo}"] path = "~/src/{repo.rsplit("/", 1)[-1]}"' if repo else ""
        fix = f"add {what} to the config" if repo else "it runs on GitHub items only"
        raise Refused(f"{command.title}: no local checkout for {repo or item.key}; {fix}")
    if path is not None and not path.is_dir():
        raise Refused(f"{command.title}: {path} (the checkout of {repo}) is not a directory")
    try:
        line = render(command.run, fields)
    except MissingField as missing:
        raise Refused(f"{command.title}: {item.key} has no {{{missing}}}") from None
    return Prepared(line, path, label)


async def run_background(prepared: Prepared) -> tuple[bool, str]:
    """Run it with no terminal: whether it succeeded, and the outcome in one line (done or
    failed with the exit code, and the last line it printed)."""
    try:
        process = await asyncio.create_subprocess_shell(
            prepared.line,
            cwd=prepared.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
    except OSError as exc:
        return False, f"{prepared.label} could not start: {exc}"
    code = process.returncode or 0
    return code == 0, outcome(prepared.label, code, output.decode(errors="replace"))


def run_in_terminal(prepared: Prepared) -> int:
    """Run it in the terminal (the caller has suspended the app); its exit code."""
    return subprocess.run(prepared.line, shell=True, cwd=prepared.cwd, check=False).returncode


def outcome(label: str, code: int, output: str = "") -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    last = f": {clean(lines[-1].strip())[:LAST_LINE]}" if lines else ""
    if code == 0:
        return f"{label}: done{last}"
    return f"{label} failed (exit {code}){last}"
