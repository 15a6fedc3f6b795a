"""The files a simulated pull request changes, for GET /repos/{o}/{r}/pulls/{n}/files.

Derived from the PR's head commit (no rng: seeding stays as it was), so a push changes them.
What a client must cope with, as GitHub does it: `patch` is absent for binary files and for
diffs too large to show; a listing stops at 3,000 files; a PR may have a very long patch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

MAX_FILES = 3000  # "Responses include a maximum of 3000 files" (REST docs, pulls/files)
LARGE_PATCH_LINES = 20_000  # beyond this GitHub sends no `patch` (the diff is "too large")

_DIRS = ("src/sync", "src/ui", "src/api", "tests", "docs", "scripts")
_WORDS = ("loop", "cache", "client", "retry", "login", "export", "index", "queue", "hooks")


@dataclass(frozen=True)
class FileChange:
    filename: str
    status: str  # added | removed | modified | renamed | copied | changed | unchanged
    additions: int
    deletions: int
    patch: str | None  # None: binary, or too large to show
    previous_filename: str | None = None

    @property
    def sha(self) -> str:
        return hashlib.sha1(f"{self.filename}:{self.patch}".encode()).hexdigest()


def _hunk(name: str, adds: int, dels: int) -> str:
    """A unified-diff hunk as GitHub's `patch` carries it (no file header lines)."""
    lines = [f"@@ -1,{dels + 1} +1,{adds + 1} @@ def {name}():"]
    lines += [f"-    old_{name}_{n}()" for n in range(dels)]
    lines += [f"+    new_{name}_{n}()" for n in range(adds)]
    lines.append("     return None")
    return "\n".join(lines)


def files_for(seed: str) -> list[FileChange]:
    """1-7 ordinary changed files, the mix depending on `seed` (the head sha)."""
    digest = hashlib.sha1(seed.encode()).digest()
    out = []
    for n in range(1 + digest[0] % 7):
        word = _WORDS[(digest[n + 1]) % len(_WORDS)]
        name = f"{_DIRS[digest[n + 2] % len(_DIRS)]}/{word}_{n}.py"
        adds, dels = 1 + digest[n + 3] % 9, digest[n + 4] % 4
        kind = ("modified", "modified", "added", "renamed")[digest[n + 5] % 4]
        if kind == "added":
            dels = 0
        previous = f"{name.rsplit('/', 1)[0]}/old_{word}_{n}.py" if kind == "renamed" else None
        out.append(FileChange(name, kind, adds, dels, _hunk(word, adds, dels), previous))
    if digest[10] % 3 == 0:  # a binary file: GitHub sends no patch for it
        out.append(FileChange("docs/diagram.png", "added", 0, 0, None))
    return out


def many_files(count: int) -> list[FileChange]:
    """A PR touching `count` files (a mass rename, a vendored dependency)."""
    return [
        FileChange(f"vendor/lib/module_{n:04d}.py", "added", 2, 0, _hunk(f"m{n}", 2, 0))
        for n in range(count)
    ]


def long_patch(lines: int) -> list[FileChange]:
    """One file with a long (still shown) patch, and a generated one too large for a patch."""
    return [
        FileChange("src/schema/generated.py", "modified", lines, 0, _hunk("schema", lines, 0)),
        FileChange("data/fixtures.json", "modified", LARGE_PATCH_LINES + 1, 12, None),
    ]
