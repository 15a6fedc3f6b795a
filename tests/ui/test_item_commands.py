"""Issue 14 part 4: `y`/`Y` copy through the app's clipboard hook (OSC 52), custom commands
from the config run on the item under the cursor (a real subprocess, values quoted so server
text never runs), key clashes reported at start-up."""

from __future__ import annotations

from pathlib import Path

from msgspec.structs import replace

from tests.fakes.backend import FakeBackend
from zen_tui.config import CommandConfig
from zen_tui.models import PullRequest
from zen_tui.ui.app import DashboardOptions
from zen_tui.ui.widgets.item_list import ItemList

from .conftest import WaitForWorkers, make_app, notes
from .test_footer import descriptions, focus_pane

HOSTILE = "Fix it $(touch PWNED) `touch PWNED2`; touch PWNED3 ' \" \n next line"


def pwned(folder: Path) -> list[Path]:
    return list(folder.glob("PWNED*"))


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def status(app) -> str:
    return str(app.screen.query_one("#status").render())


def lst(app, pane: str = "prs") -> ItemList:
    return app.screen.query_one(f"#list-{pane}", ItemList)


async def test_y_copies_the_url_and_Y_the_number_or_key() -> None:
    async with make_app(FakeBackend()).run_test() as pilot:
        await pilot.pause()
        app = pilot.app
        pr = lst(app).cursor_item
        await pilot.press("y")
        assert app.clipboard == pr.url
        assert f"copied {pr.url}" in status(app)
        await pilot.press("Y")
        assert app.clipboard == str(pr.number)  # gh pr checkout 123
        await focus_pane(pilot, "issues")
        await pilot.press("right_square_bracket")  # the Jira section
        await pilot.pause()
        issue = lst(app, "issues").cursor_item
        await pilot.press("Y")
        assert issue.service == "jira" and app.clipboard == issue.key
        await pilot.press("space", "space", "y")  # a selection: one URL a line
        urls = [i.url for i in lst(app, "issues").rows[:2]]
        assert app.clipboard == "\n".join(urls)
        assert "copied 2 URLs" in status(app)


def hostile_backend(repo: str = "acme/web") -> FakeBackend:
    backend = FakeBackend()
    section = "prs:0:gh"
    first = backend.items[section][0]
    assert isinstance(first, PullRequest)
    pr = replace(first, repo=repo, key=f"{repo}#7", number=7, title=HOSTILE, branch="ada/fix")
    backend.set_items(section, (pr, *backend.items[section][1:]))
    return backend


def options(tmp_path: Path, *commands: CommandConfig) -> DashboardOptions:
    return DashboardOptions(commands=commands, repo_paths={"acme/web": tmp_path})


async def test_a_background_command_runs_in_the_checkout_with_quoted_values(
    tmp_path: Path, wait_for_workers: WaitForWorkers
) -> None:
    record = CommandConfig(
        key="Z",
        title="record",
        pane="prs",
        run="printf '%s|%s|%s\\n' {number} {branch} {title} > out.txt && echo recorded {repo}",
        in_checkout=True,
    )
    app = make_app(hostile_backend(), options=options(tmp_path, record))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        assert "record" in descriptions(app)  # on its pane's footer
        await pilot.press("Z")
        await wait_for_workers(pilot)
        assert "record on acme/web#7: done: recorded acme/web" in status(app)
        await focus_pane(pilot, "messages")
        assert "record" not in descriptions(app)  # not on another pane's
    assert (tmp_path / "out.txt").read_text() == f"7|ada/fix|{HOSTILE}\n"
    assert not pwned(Path.cwd()) and not pwned(tmp_path)


async def test_a_failing_command_says_its_exit_code_and_last_line(
    tmp_path: Path, wait_for_workers: WaitForWorkers
) -> None:
    fail = CommandConfig(key="F", title="diff", run="echo no such branch {branch} >&2; exit 3")
    async with make_app(hostile_backend(), options=options(tmp_path, fail)).run_test() as pilot:
        await pilot.pause()
        await pilot.press("F")
        await wait_for_workers(pilot)
        assert "diff on acme/web#7 failed (exit 3): no such branch ada/fix" in status(pilot.app)


async def test_a_command_without_a_checkout_or_a_field_is_refused_with_the_fix(
    tmp_path: Path, wait_for_workers: WaitForWorkers
) -> None:
    checkout = CommandConfig(key="Z", title="checkout", run="touch ran", in_checkout=True)
    number = CommandConfig(key="B", title="number", run="touch {number}")
    backend = hostile_backend(repo="acme/api")  # no path configured for it
    app = make_app(backend, options=options(tmp_path, checkout, number))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("Z")
        await wait_for_workers(pilot)
        said = status(pilot.app)
        assert 'no local checkout for acme/api; add [repos."acme/api"] path' in said
        await focus_pane(pilot, "messages")
        await pilot.press("B")
        await wait_for_workers(pilot)
        assert "has no {number}" in status(pilot.app)
    assert not names(tmp_path)


async def test_command_keys_that_clash_with_built_in_bindings_are_reported(
    tmp_path: Path,
) -> None:
    clash = CommandConfig(key="v", title="view", run="gh pr view {number}")
    question = CommandConfig(key="?", title="ask", run="echo {key}")
    fine = CommandConfig(key="ctrl+o", title="open", run="echo {url}")
    app = make_app(FakeBackend(), options=options(tmp_path, clash, question, fine))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        said = notes(app)
        assert any("key 'v' of 'view' is taken by 'Approve'" in n for n in said)
        assert any("key '?' of 'ask' is taken by 'Help'" in n for n in said)
        assert not any("'open'" in n for n in said)
        assert app.active_commands == [2]
        assert "open" in descriptions(app)


async def test_a_suspend_command_without_a_terminal_says_so(
    tmp_path: Path, wait_for_workers: WaitForWorkers
) -> None:
    """Pilot has no terminal to hand over: the command does not run, the status line says why
    (in a real terminal, App.suspend hands it over and the exit code is reported)."""
    pager = CommandConfig(key="P", title="pager", run="touch ran-{number}", mode="suspend")
    async with make_app(hostile_backend(), options=options(tmp_path, pager)).run_test() as pilot:
        await pilot.pause()
        await pilot.press("P")
        await wait_for_workers(pilot)
        assert "pager on acme/web#7: cannot hand over the terminal" in status(pilot.app)
    assert not names(tmp_path)


async def test_custom_commands_are_in_the_palette_and_the_help(
    tmp_path: Path, wait_for_workers: WaitForWorkers
) -> None:
    record = CommandConfig(
        key="Z", title="Record here", pane="prs", run="echo {number} > palette.txt"
    )
    app = make_app(hostile_backend(), options=options(tmp_path, record))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        screen = pilot.app.screen
        assert ("commands[1]", "Z", "Record here") in screen.rows[: screen.first]
        await pilot.press("escape", "ctrl+p", *"Record here")
        await wait_for_workers(pilot)  # the palette's search
        await pilot.press("enter")
        await wait_for_workers(pilot)  # the command
        assert "Record here on acme/web#7: done" in status(pilot.app)
    assert (tmp_path / "palette.txt").read_text() == "7\n"


async def test_one_key_can_run_a_different_command_on_each_pane(
    tmp_path: Path, wait_for_workers: WaitForWorkers
) -> None:
    on_prs = CommandConfig(key="K", title="pr one", pane="prs", run="echo pr {number}")
    on_messages = CommandConfig(key="K", title="msg one", pane="messages", run="echo {channel}")
    app = make_app(hostile_backend(), options=options(tmp_path, on_prs, on_messages))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        assert app.active_commands == [0, 1]  # no clash: different panes
        await pilot.press("K")
        await wait_for_workers(pilot)
        assert "pr one on acme/web#7: done: pr 7" in status(app)
        await focus_pane(pilot, "messages")
        assert "msg one" in descriptions(app) and "pr one" not in descriptions(app)
        await pilot.press("K")
        await wait_for_workers(pilot)
        channel = lst(app, "messages").cursor_item.channel
        assert f": done: {channel}" in status(app) and "msg one on" in status(app)
        await focus_pane(pilot, "issues")
        await pilot.press("K")
        await wait_for_workers(pilot)
        assert "pr one runs on the prs pane" in status(app)
