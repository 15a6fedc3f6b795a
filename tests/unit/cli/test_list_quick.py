"""`zen-tui list` answered by the quick lane (list_items.quick: the facts kept with the
config's parse, the store as it is, each row read as plain JSON, no msgspec) says exactly
what the full path (the settings, the Store, msgspec) says: same stdout, stderr and exit
status, over random configs, stores, clocks and damaged rows. It answers the ordinary cases
(else these tests would prove nothing), and where it cannot vouch for the answer (a row the
typed decode would skip, a login in the environment, a store the full open would change) it
declines having said nothing: the run then says what the full path alone says."""

from __future__ import annotations

import random
import re
import shutil
import sqlite3
import time
from pathlib import Path

import msgspec
import pytest

from tests.fakes.backend import make_items
from tests.fakes.rows import damaged
from zen_tui import cli, paths
from zen_tui.cli import main
from zen_tui.commands.list_items import QUICK_MOST
from zen_tui.config import load_settings, section_infos
from zen_tui.models import Item
from zen_tui.store import Store
from zen_tui.store.schema import APPLICATION_ID, SCHEMA_VERSION

from .conftest import Said, by_both_lanes, cli_args

ACCOUNTS = """
[[accounts]]
name = "gh"
service = "github"

[[accounts]]
name = "jr"
service = "jira"
base_url = "https://example.atlassian.net"
email = "me@example.com"

[[accounts]]
name = "sl"
service = "slack"
"""
SECTIONS = {  # a section of each pane, by account
    ("prs", "gh"): 'query = "is:pr is:open"',
    ("issues", "gh"): 'query = "is:issue is:open"',
    ("issues", "jr"): 'jql = "assignee = currentUser()"',
    ("messages", "sl"): 'channels = ["general"]',
}
ONE_SECTION = ACCOUNTS + '[[sections]]\npane = "prs"\ntitle = "Mine"\naccount = "gh"\n'
ONE_SECTION += 'query = "is:open"\n'
# Titles a terminal would act on, or lay out wider than their length.
TITLES = ("\x1b]52;c;aGk=\x07 clip", "修复登录页面的布局问题" * 3, "a\nb\rc", "\u202eevil")
NOW = 1_767_225_600.0
LOGIN_ENV = ("GH_TOKEN", "GITHUB_TOKEN", "JIRA_API_TOKEN", "SLACK_TOKEN")


def random_config(rng: random.Random) -> str:
    text = [ACCOUNTS]
    for (pane, account), query in SECTIONS.items():
        for n in range(rng.choice((0, 1, 1, 2))):
            text.append(
                f'[[sections]]\npane = "{pane}"\ntitle = "{pane} {n} \\u001b[2J"\n'
                f'account = "{account}"\n{query}\n'
            )
    if rng.random() < 0.4:
        names = rng.sample(("gh", "jr", "sl"), rng.randint(1, 3))
        text.append(f'[[panes]]\npreset = "inbox"\naccounts = {names!r}\n'.replace("'", '"'))
    return "\n".join(text)


def fill(config: Path, data: Path, rng: random.Random) -> list[str]:
    """A random store for the config's sections; the ids of its items."""
    settings = load_settings(config, data, must_exist=True)
    ids = []
    with Store.open(paths.store_path(data)) as store:
        for section in section_infos(settings):
            count = rng.choice((-1, 0, 1, 3, 8))
            if count < 0:  # never synced (a reason may still be kept)
                if rng.random() < 0.3:
                    store.set_section_reason(section.id, "offline")
                continue
            items = [odd_title(i, rng) for i in make_items(section, count, rng.randrange(99))]
            store.save_section(section.id, items, NOW - rng.uniform(0, 3e6))
            if rng.random() < 0.3:
                store.set_section_reason(section.id, rng.choice(("offline", "HTTP 503 \x1b[31m")))
            ids += [i.id for i in items]
    return ids


def odd_title(item: Item, rng: random.Random) -> Item:
    if rng.random() < 0.2:
        return msgspec.structs.replace(item, title=rng.choice(TITLES))
    return item


def damage(data: Path, ids: list[str], rng: random.Random) -> bool | None:
    """A random row damaged (store/fakes/rows.py); whether the typed decode still takes it
    as it was meant, None when no row was damaged."""
    if not ids or rng.random() < 0.5:
        return None
    item_id = rng.choice(ids)
    db = sqlite3.connect(paths.store_path(data))
    try:
        (text,) = db.execute("SELECT data FROM items WHERE item_id = ?", (item_id,)).fetchone()
        row, meant = damaged(text, rng)
        with db:
            db.execute("UPDATE items SET data = ? WHERE item_id = ?", (row, item_id))
    finally:
        db.close()
    return meant


@pytest.fixture(autouse=True)
def _frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """One clock for both lanes (ages), no login in the environment (its own rows)."""
    monkeypatch.setattr(time, "time", lambda: NOW)
    for name in LOGIN_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("seed", range(40))
def test_the_quick_lane_says_what_the_full_path_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    rng = random.Random(seed)
    base = cli_args(tmp_path, random_config(rng))
    ids = fill(Path(base[3]), Path(base[1]), rng)
    meant = damage(Path(base[1]), ids, rng)
    login = rng.random() < 0.15
    if login:  # this account reads its login's own rows (sync/session_rows.py)
        monkeypatch.setenv(rng.choice(("GH_TOKEN", "SLACK_TOKEN")), "x")
    argv = [*base, "list", rng.choice(("prs", "issues", "messages", "inbox"))]
    argv += ["--json"] * rng.randint(0, 1)
    argv += rng.choice(([], [], ["--account", rng.choice(("gh", "jr", "sl"))], ["--account", "x"]))
    quick, full = by_both_lanes(monkeypatch, capsys, argv)
    if quick is not None:
        assert quick == full
    if not login and meant is not False:  # nothing it may not vouch for
        assert quick is not None, full


def from_the_same_store(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], data: Path
) -> tuple[bool, Said, Said]:
    """`zen-tui argv` as it runs (the quick lane tried first), then by the full path alone,
    each from the data folder as it is now (the first run may change it: restored after):
    whether the quick lane answered, and what each run said. Declined, the first run said
    what the full path said after it: equal to the second, the quick lane said nothing.
    A store moved aside is named by the second it was moved in, which may differ."""
    kept = data.parent / "kept"
    shutil.copytree(data, kept)
    answered: list[int | None] = []
    quick = cli._quick

    def recorded(args: object, data_dir: Path) -> int | None:
        answered.append(quick(args, data_dir))  # type: ignore[arg-type]
        return answered[-1]

    monkeypatch.setattr(cli, "_quick", recorded)
    first = _unstamped(Said(main(argv), *capsys.readouterr()))
    shutil.rmtree(data)
    shutil.copytree(kept, data)
    monkeypatch.setattr(cli, "_quick", lambda args, data_dir: None)
    full = _unstamped(Said(main(argv), *capsys.readouterr()))
    monkeypatch.setattr(cli, "_quick", quick)
    return answered[-1] is not None, first, full


def _unstamped(said: Said) -> Said:
    return Said(said.code, said.out, re.sub(r"\.corrupt-\d{8}T\d{6}Z", ".corrupt-(when)", said.err))


def _version(db: sqlite3.Connection) -> None:
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


def _foreign(db: sqlite3.Connection) -> None:
    db.execute(f"PRAGMA application_id = {APPLICATION_ID + 1}")


def _no_sections(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM sections")


def _blob(db: sqlite3.Connection) -> None:
    db.execute("UPDATE items SET data = CAST(data AS BLOB)")


def _number(db: sqlite3.Connection) -> None:
    db.execute("UPDATE items SET data = 7 WHERE rowid = (SELECT MIN(rowid) FROM items)")


STORES = {  # what the store is like: (how it is made so, whether the quick lane answers)
    "as written": (None, True),
    "from a newer zen-tui": (_version, False),
    "not zen-tui's": (_foreign, False),
    "its sections' times gone": (_no_sections, True),
    "rows stored as bytes": (_blob, False),
    "a row of a number": (_number, False),
}


def one_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[list[str], Path]:
    """A config of one section of 5 items in the store, its facts kept: its command-line
    arguments and data folder."""
    base = cli_args(tmp_path, ONE_SECTION)
    data = Path(base[1])
    (section,) = section_infos(load_settings(Path(base[3]), data, must_exist=True))
    with Store.open(paths.store_path(data)) as store:
        store.save_section(section.id, make_items(section, 5), NOW - 90)
    assert main([*base, "list", "prs", "--account", "x"]) == 2  # refused before the store
    capsys.readouterr()
    return base, data


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("json", [False, True])
def test_a_store_the_quick_lane_cannot_read_as_it_is_is_left_to_the_full_path(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    store: str,
    json: bool,
) -> None:
    change, answers = STORES[store]
    base, data = one_section(tmp_path, capsys)
    if change is not None:
        db = sqlite3.connect(paths.store_path(data), isolation_level=None)
        change(db)
        db.close()
    argv = [*base, "list", "prs", *(["--json"] if json else [])]
    answered, first, full = from_the_same_store(monkeypatch, capsys, argv, data)
    assert answered is answers
    assert first == full


# The store's files open to others are made private by every command as it starts
# (paths.secure_data_dir), before either lane: the quick lane answers.
FILES = {"no store": False, "open to others": True, "a side file open to others": True}


@pytest.mark.parametrize("how", FILES)
def test_a_store_the_full_open_would_create_is_left_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    base, data = one_section(tmp_path, capsys)
    store = paths.store_path(data)
    if how == "no store":
        store.unlink()
    elif how == "open to others":
        store.chmod(0o644)
    else:
        Path(f"{store}-journal").write_bytes(b"")
        Path(f"{store}-journal").chmod(0o644)
    answered, first, full = from_the_same_store(monkeypatch, capsys, [*base, "list", "prs"], data)
    assert answered is FILES[how]
    assert first == full


@pytest.mark.parametrize(("count", "answered"), [(QUICK_MOST, True), (QUICK_MOST + 1, False)])
def test_past_its_most_items_the_quick_lane_leaves_the_list_to_the_full_path(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    count: int,
    answered: bool,
) -> None:
    """Above QUICK_MOST items the full path is the faster (msgspec's decoder, in C): it answers."""
    base = cli_args(tmp_path, ONE_SECTION)
    settings = load_settings(Path(base[3]), Path(base[1]), must_exist=True)
    (section,) = section_infos(settings)
    with Store.open(paths.store_path(Path(base[1]))) as store:
        store.save_section(section.id, make_items(section, count, 7), NOW - 60)
    quick, full = by_both_lanes(monkeypatch, capsys, [*base, "list", "prs", "--json"])
    assert (quick is not None) == answered and full.code == 0
    assert full.out.count('"updated_at"') == count
    if quick is not None:
        assert quick == full
