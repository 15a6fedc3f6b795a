"""The diff view's bounds (pure: no app): a long patch is cut per file, and past the total
budget the remaining files are only named, so a 3,000-file PR never builds a huge Text."""

from __future__ import annotations

from zen_tui.models import FileDiff, PullDiff, PullRequest
from zen_tui.ui.widgets.diff_view import FILE_LINES, TOTAL_LINES, render_diff
from zen_tui.ui.widgets.pane import merge_newest, unread_first

PR = PullRequest(
    id="gh:acme/api#1",
    account="gh",
    service="github",
    key="acme/api#1",
    title="t",
    url="",
    updated_at="2026-01-01T00:00:00Z",
)


def patch(lines: int) -> str:
    return "\n".join(["@@ -1 +1 @@", *(f"+line {n}" for n in range(lines - 1))])


def test_past_the_total_budget_files_are_only_named() -> None:
    files = tuple(FileDiff(f"f{n}.py", "added", 500, 0, patch(500)) for n in range(20))
    cut = "GitHub lists the first 3,000 of 3,050 files"
    text = render_diff(PR, PullDiff(PR.id, files, 3050, cut)).plain
    assert (TOTAL_LINES, FILE_LINES) == (3000, 400)  # 7 files of 400 lines, the 8th gets 200
    assert text.count("more lines of this file not shown") == 8
    assert "… 12 more files not shown here" in text
    assert "  f19.py\n" in text  # named, without its patch
    assert text.count("+line") <= TOTAL_LINES
    assert f"{cut}; open it on GitHub (o) for the rest" in text


def test_loading_and_error_are_said() -> None:
    assert "loading the changed files…" in render_diff(PR, None).plain
    failed = render_diff(PR, PullDiff(PR.id, error="github: offline")).plain
    assert "partial: github: offline" in failed and "0 files changed" in failed


def test_unread_first_keeps_order_within_groups_and_merge_keeps_the_newer_copy() -> None:
    def item(n: int, unread: bool | None, at: str) -> PullRequest:
        return PullRequest(**{**_fields(n), "unread": unread, "updated_at": at})

    a = item(1, False, "2026-01-03T00:00:00Z")
    b = item(2, True, "2026-01-02T00:00:00Z")
    c = item(3, True, "2026-01-01T00:00:00Z")
    assert unread_first((a, b, c)) == (b, c, a)
    plain = (replace_unread(a),)
    assert unread_first(plain) is plain  # nothing to sort: the same tuple back
    newer = PullRequest(**{**_fields(3), "updated_at": "2026-01-04T00:00:00Z"})
    assert merge_newest([(a, b, c), (newer,)]) == (newer, a, b)


def replace_unread(item: PullRequest) -> PullRequest:
    from msgspec.structs import replace

    return replace(item, unread=None)


def _fields(n: int) -> dict[str, object]:
    return {
        "id": f"gh:acme/api#{n}",
        "account": "gh",
        "service": "github",
        "key": f"acme/api#{n}",
        "title": "t",
        "url": "",
    }
