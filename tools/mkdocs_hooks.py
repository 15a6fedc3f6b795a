"""mkdocs hook: serve files that live outside docs/ where the guide links to them.

The screenshots are written by `make screenshots` into screenshots/ (the README shows them
too) and the benchmark report by `make bench` into benchmarks/RESULTS.md; copying them into
docs/ would leave two versions to drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

OUTSIDE = ("screenshots/*.png", "benchmarks/RESULTS.md")


def on_files(files: Files, config: Any) -> Files:
    root = Path(config.config_file_path).parent
    for pattern in OUTSIDE:
        for path in sorted(root.glob(pattern)):
            files.append(
                File(
                    path.relative_to(root).as_posix(),
                    src_dir=str(root),
                    dest_dir=config.site_dir,
                    use_directory_urls=config.use_directory_urls,
                )
            )
    return files
