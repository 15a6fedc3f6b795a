"""`zen-tui outbox`: list queued/failed entries, retry or clear failed ones (store only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zen_tui import paths
from zen_tui.cli import main
from zen_tui.models import Action, ActionState
from zen_tui.store import Store

from .conftest import cli_args


@pytest.fixture
def base(tmp_path: Path) -> list[str]:
    return cli_args(tmp_path)


@pytest.fixture
def ids(tmp_path: Path) -> dict[str, str]:
    """One pending and two failed entries."""
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        pending = store.outbox_add(Action("close", "gh:a/b#1", "gh"))
        out = {"pending": pending.id}
        for n in (2, 3):
            e = store.outbox_add(Action("add_label", f"gh:a/b#{n}", "gh", {"label": "x"}))
            store.outbox_update(e.id, state=ActionState.FAILED, reason=f"422 no label {n}")
            out[f"failed{n}"] = e.id
    return out


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def states(tmp_path: Path) -> dict[str, str]:
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        return {e.id: str(e.state) for e in store.outbox_by_state()}


def test_list_shows_entries_with_reasons(base, ids, capsys) -> None:
    code, out, _ = cli(capsys, *base, "outbox")
    assert code == 0
    assert len(out.splitlines()) == 3 and "422 no label 2" in out and "pending  close" in out
    code, out, _ = cli(capsys, *base, "outbox", "--json")
    assert cli(capsys, *base, "outbox", "list", "--json")[1] == out
    entries = json.loads(out)["entries"]
    assert code == 0 and [e["id"] for e in entries] == list(ids.values())
    assert (
        entries[1]
        | {
            "state": "failed",
            "reason": "422 no label 2",
            "kind": "add_label",
            "params": {"label": "x"},
        }
        == entries[1]
    )


def test_retry_by_prefix_queues_again(base, ids, tmp_path, capsys) -> None:
    code, out, _ = cli(capsys, *base, "outbox", "retry", ids["failed2"][:12])
    assert code == 0 and out.startswith("queued again: add_label on gh:a/b#2")
    assert states(tmp_path)[ids["failed2"]] == "pending"
    code, out, _ = cli(capsys, *base, "health", "--json")
    assert (
        json.loads(out)["accounts"]["gh"] | {"outbox_pending": 2, "outbox_failed": 1}
        == (json.loads(out)["accounts"]["gh"])
    )


def test_clear_one_then_all_failed_keeps_pending(base, ids, tmp_path, capsys) -> None:
    code, out, _ = cli(capsys, *base, "outbox", "clear", ids["failed3"])
    assert code == 0 and "cleared: add_label on gh:a/b#3" in out
    assert set(states(tmp_path)) == {ids["pending"], ids["failed2"]}
    code, out, _ = cli(capsys, *base, "outbox", "clear", "--failed")
    assert code == 0 and out.strip() == "cleared 1 failed entries"
    assert states(tmp_path) == {ids["pending"]: "pending"}
    code, out, _ = cli(capsys, *base, "health", "--json")
    assert json.loads(out)["accounts"]["gh"]["outbox_failed"] == 0


@pytest.mark.parametrize("verb", ["retry", "clear"])
def test_unknown_or_not_failed_id_exits_2(base, ids, tmp_path, capsys, verb) -> None:
    for bad in ("nope", ids["pending"]):
        code, out, err = cli(capsys, *base, "outbox", verb, bad)
        assert code == 2 and out == "" and "no failed entry match" in err
    assert len(states(tmp_path)) == 3


def test_clear_needs_a_target(base, ids, capsys) -> None:
    code, _, err = cli(capsys, *base, "outbox", "clear")
    assert code == 2 and "--failed" in err and "Traceback" not in err


def test_empty_outbox(base, capsys) -> None:
    code, out, _ = cli(capsys, *base, "outbox")
    assert code == 0 and out.startswith("outbox empty")
