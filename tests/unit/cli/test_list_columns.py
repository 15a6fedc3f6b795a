"""`zen-tui list` (text): the columns line up in terminal cells, whatever the script of a
title or a label; a long title is cut at 70 cells, not characters."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from zen_tui import paths
from zen_tui.cells import cell_len, cut, pad
from zen_tui.cli import main
from zen_tui.models import PullRequest
from zen_tui.store import Store

from .conftest import HEADLESS_CONFIG, cli_args, gh_pr

TITLE_CELLS = 70  # list_items.TITLE_CELLS, as documented

TITLES = [
    "Fix the login",
    "修复登录页面在窄屏幕上的布局问题以及相关的样式错误和测试用例\uff0c并更新文档说明和示例代码片段",
    "ログイン画面のレイアウトを直す",
    "e\u0301te\u0301 \u200d avec des accents combinés " * 4,
]


def pr(n: int, title: str, state: str) -> PullRequest:
    return gh_pr(f"o/r#{n}", title=title, updated_at="2026-01-01T00:00Z", state=state)


def test_columns_line_up_in_cells_with_cjk_titles(tmp_path: Path, capsys) -> None:
    base = cli_args(tmp_path, HEADLESS_CONFIG)
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        items = [pr(n, t, "open" if n % 2 else "閉じた") for n, t in enumerate(TITLES, 1)]
        store.save_section("prs:0:gh", items, time.time())
    assert main([*base, "list", "prs"]) == 0
    _, *rows = capsys.readouterr().out.splitlines()
    assert len(rows) == len(TITLES), rows
    # each title starts at the same cell: 2 + 28 + 1 + 12 + 1 (label, state columns)
    starts = []
    for row, title in zip(rows, TITLES, strict=True):
        head = title[:5]
        at = row.index(head)
        starts.append(cell_len(row[:at]))
        assert cell_len(row[at:]) <= TITLE_CELLS, row
    assert starts == [44] * len(TITLES), rows
    assert rows[1].endswith("…") and rows[0].endswith("Fix the login")


@pytest.mark.parametrize(
    ("text", "width", "cut_to"),
    [
        ("abc", 3, "abc"),
        ("abcd", 3, "ab…"),
        ("修复登录", 8, "修复登录"),
        ("修复登录", 7, "修复登…"),
        ("修复登录", 6, "修复…"),  # a wide character never straddles the edge
        ("e\u0301e\u0301e\u0301", 3, "e\u0301e\u0301e\u0301"),  # accents take no cell
        ("abc", 0, ""),
    ],
)
def test_cut_and_pad_count_cells(text: str, width: int, cut_to: str) -> None:
    assert cut(text, width) == cut_to
    assert cell_len(cut(text, width)) <= width
    assert cell_len(pad(cut_to, width)) == max(width, cell_len(cut_to))
