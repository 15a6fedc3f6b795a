"""Check that every relative link in the top-level Markdown files points at a file that exists.

The pages in docs/ are checked by `mkdocs build --strict`; README.md and CHANGELOG.md are
outside mkdocs, so this covers them (`make lint`).

    python tools/check_links.py [FILE ...]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ("README.md", "CHANGELOG.md")
# [text](target) and ![alt](target); a target ends at whitespace or ')'.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def broken_links(path: Path) -> list[str]:
    """The relative targets in `path` (outside code blocks) that do not exist."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    missing = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL (checked by nobody: no network) or an anchor in the same file
        file_part = target.split("#", 1)[0]
        if not (path.parent / file_part).exists():
            missing.append(target)
    return missing


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [ROOT / name for name in FILES]
    failed = 0
    for path in paths:
        if not path.is_file():
            print(f"{path}: no such file; name a Markdown file to check")
            failed += 1
            continue
        for target in broken_links(path):
            print(f"{path.name}: link to {target} points at nothing; fix or remove it")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
