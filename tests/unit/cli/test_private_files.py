"""The data folder, logs/ and the files in them are private (issue 9, point 9): a folder left
0755 and files left 0644 (an older zen-tui, a umask, a copy) are fixed at start, or a warning
says how to fix them when that is not possible."""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

import pytest

from zen_tui import paths
from zen_tui.cli import main
from zen_tui.config import Settings
from zen_tui.lazy_log import get_logger

from .conftest import cli_args, stand_in


@pytest.fixture
def argv(tmp_path: Path) -> list[str]:
    return cli_args(tmp_path)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def loose_data_folder(data: Path) -> list[Path]:
    """What main's audit found: folders 0755, the log and the store 0644."""
    logs = paths.log_dir(data)
    logs.mkdir(parents=True)
    log, old_log, db = paths.log_file(data), logs / "zen-tui.log.1", paths.store_path(data)
    for file in (log, old_log, db):
        file.write_bytes(b"")
        file.chmod(0o644)
    data.chmod(0o755)
    logs.chmod(0o755)
    return [data, logs, log, old_log, db]


def test_a_loose_data_folder_is_made_private_at_start(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, logs, *files = loose_data_folder(tmp_path / "data")
    main([*argv, "outbox"])
    assert (mode(data), mode(logs)) == (0o700, 0o700)
    assert [mode(f) for f in files] == [0o600] * len(files)
    assert "warning" not in capsys.readouterr().err  # fixed quietly


@pytest.mark.parametrize("logs", [False, True], ids=["nothing logged", "logs"])
def test_a_new_data_folder_is_private_whatever_the_umask(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logs: bool
) -> None:
    """`outbox` sets up its log file when it first logs (zen_tui.lazy_log): with nothing to
    log there is none; made then, it is private like the folders made at start."""
    if logs:

        def noted(args: argparse.Namespace, settings: Settings) -> int:
            get_logger("zen_tui.test").warning("noted")
            return 0

        stand_in(monkeypatch, "outbox", noted)
    old = os.umask(0o022)
    try:
        main([*argv, "outbox"])
    finally:
        os.umask(old)
    data = tmp_path / "data"
    assert (mode(data), mode(paths.log_dir(data))) == (0o700, 0o700)
    assert paths.log_file(data).exists() == logs
    if logs:
        assert mode(paths.log_file(data)) == 0o600


def test_what_cannot_be_fixed_is_warned_once_with_the_fix(
    argv: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = tmp_path / "data"
    loose_data_folder(data)
    real = Path.chmod

    def refuse(self: Path, new: int, **kw: object) -> None:
        if self == data:
            raise PermissionError(1, "Operation not permitted")
        real(self, new)

    monkeypatch.setattr(Path, "chmod", refuse)
    main([*argv, "outbox"])
    err = capsys.readouterr().err
    line = f"zen-tui: warning: {data} may be readable by other users"
    assert err.count(line) == 1 and f"chmod 700 {data}" in err and "Traceback" not in err


def test_the_files_audited_are_those_glob_finds(tmp_path: Path) -> None:
    """secure_data_dir lists a folder's log and store files with one scandir, not glob's
    regex: for any names, the same entries as `folder.glob(prefix + "*")`."""
    import random

    rng = random.Random(9)
    heads = ("zen-tui.log", "zen-tui.db", "Zen-Tui.LOG", "zen-tui.lo", "xzen-tui.db", ".zen-tui.db")
    tails = (".1", "-wal", "-shm", ".corrupt-20261206T020000Z", "x", "*", "[a]")
    found = 0
    for round_ in range(40):
        folder = tmp_path / str(round_)
        folder.mkdir()
        for _ in range(rng.randint(0, 12)):
            entry = folder / (rng.choice(heads) + "".join(rng.choices(tails, k=rng.randint(0, 2))))
            if not entry.exists():
                entry.mkdir() if rng.random() < 0.2 else entry.touch()
        for prefix in (paths.LOG_FILE_NAME, paths.store_path(folder).name):
            listed = sorted(paths._named(folder, prefix))
            assert listed == sorted(folder.glob(f"{prefix}*"))
            found += len(listed)
    assert found > 60  # the names drawn do match, not only miss
    assert paths._named(tmp_path / "missing", "zen-tui.db") == []
