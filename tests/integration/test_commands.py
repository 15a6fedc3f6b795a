"""The headless commands end to end: sync, list, health, act (no Textual anywhere)."""

import argparse
import json
import subprocess
import sys
import time

from zen_tui.cli import main
from zen_tui.commands import act
from zen_tui.demo import FILL_ROLE

from .conftest import REPO_ROOT

HEALTH_KEYS = {
    "tokens",
    "capacity",
    "remaining",
    "reset_at",
    "retries",
    "cache_hits",
    "cache_misses",
    "revalidations",
    "outbox_pending",
    "outbox_failed",
}


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sync_then_list_health_and_act_on_the_demo(tmp_path, capsys):
    base = ["--data-dir", str(tmp_path), "--demo"]
    code, out, _ = run_cli(capsys, *base, "sync", "--once")
    assert code == 0, out
    assert "items, live" in out

    code, out, _ = run_cli(capsys, *base, "list", "prs", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["pane"] == "prs" and data["sections"]
    section = data["sections"][0]
    assert {"title", "account", "service", "freshness", "items"} <= set(section)
    assert set(section["freshness"]) == {"state", "fetched_at", "age_seconds", "reason"}
    assert section["freshness"]["state"] == "local" and section["freshness"]["age_seconds"] >= 0
    item = section["items"][0]
    assert {"id", "key", "title", "url", "state", "updated_at"} <= set(item)

    code, out, _ = run_cli(capsys, *base, "list", "messages")
    assert code == 0 and out.startswith("== ")

    code, out, _ = run_cli(capsys, *base, "health", "--json")
    health = json.loads(out)["accounts"]
    assert code == 0 and health
    for account in health.values():
        assert account["saved_at"] is not None and account["breaker"] == "closed"
        assert set(account) >= HEALTH_KEYS
        # `sync --once` has ended: what it saved is dated, and its saver is not running
        assert account["age_seconds"] >= 0 and account["saver_running"] is False
    code, out, _ = run_cli(capsys, *base, "health")
    # each demo command is a run of its own: `health` shows its own sync pass, now ended
    assert f"ago by {FILL_ROLE} (pid " in out and ", not running now" in out
    assert " live on port" not in out

    code, out, _ = run_cli(capsys, *base, "act", "add_label", item["id"], "label=triaged")
    assert code == 0 and out.startswith("applied add_label")

    code, _, err = run_cli(capsys, *base, "act", "close", "nobody:repo#1")
    assert code == 2 and "ACCOUNT:KEY" in err


def test_act_is_pending_during_an_outage_then_sync_sends_it(sim, settings, capsys):
    github = sim.account("github").name
    args = argparse.Namespace(
        kind="add_label", item=f"{github}:{first_pr(sim)}", params={"label": "later"}
    )
    sim.set_faults([{"service": "github", "outage": True}])
    assert act.run(args, settings) == act.PENDING
    assert "pending add_label" in capsys.readouterr().out
    sim.clear_faults()
    from zen_tui.commands import sync

    sync.run(argparse.Namespace(once=True), settings)
    labels = [m["label"] for m in sim.counters()["mutation_log"] if m["kind"] == "label_added"]
    assert labels.count("later") == 1


def first_pr(sim) -> str:
    return next(i for i in sim.world.services["github"].state.items if i.is_pr).ref


def test_headless_commands_never_import_textual(tmp_path):
    code = (
        "import sys\n"
        "from zen_tui.cli import main\n"
        f"main(['--data-dir', {str(tmp_path)!r}, 'list', 'prs'])\n"
        f"main(['--data-dir', {str(tmp_path)!r}, 'health'])\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def test_a_corrupt_store_is_moved_aside_with_a_notice(settings, capsys):
    from zen_tui.cli import store_notices_on_stderr
    from zen_tui.commands import list_items

    store = settings.data_dir / "zen-tui.db"
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_bytes(b"this is not a database" * 100)
    args = argparse.Namespace(pane="prs", json=False, account=None)
    with store_notices_on_stderr(headless=True):
        code = list_items.run(args, settings)
    out, err = capsys.readouterr()
    assert code == 0 and "moved to" in err and "\n" not in err.strip()
    assert "not synced yet" in out
    assert list(store.parent.glob("zen-tui.db.corrupt-*"))


# --- act answers promptly in an outage (issue 8, part 8) -----------------------------------


def label_args(sim, label: str) -> argparse.Namespace:
    github = sim.account("github").name
    return argparse.Namespace(
        kind="add_label", item=f"{github}:{first_pr(sim)}", params={"label": label}
    )


def github_requests(sim) -> int:
    return sum(r["count"] for r in sim.counters()["requests"] if r["service"] == "github")


def labels_added(sim, label: str) -> int:
    log = sim.counters()["mutation_log"]
    return sum(1 for m in log if m["kind"] == "label_added" and m["label"] == label)


def test_act_in_an_outage_is_pending_after_a_few_requests_not_a_minute(sim, tmp_path, capsys):
    """The configured (not test-shortened) retry settings: on main this sent 16 requests
    over ~13 s (a hang: a minute) before it said `pending`."""
    from zen_tui.demo import demo_settings

    settings = demo_settings(sim.accounts, tmp_path)
    sim.set_faults([{"service": "github", "outage": True}])
    sim.reset_counters()
    started = time.monotonic()
    assert act.run(label_args(sim, "soon"), settings) == act.PENDING
    took, sent = time.monotonic() - started, github_requests(sim)
    assert "pending add_label" in capsys.readouterr().out
    # The request count is the exact check; the time only guards against a hang (about 2 s
    # of configured backoff; a loaded CI machine has taken over 4 s).
    assert took < 10.0 and sent <= 4, (took, sent)


def test_act_with_the_breaker_seen_open_queues_and_answers_without_sending(sim, settings, capsys):
    """A running dashboard saw GitHub's breaker open (it saves that in the store): `act`
    sends nothing, says why and until when, and the next sync sends the action once."""
    from zen_tui.store import leases
    from zen_tui.wiring import open_store

    owner = leases.new_owner()  # the dashboard: this process, running
    store = open_store(settings)
    saved = {"breaker": "open", "half_open_at": time.time() + 30, "saved_by": owner}
    store.save_health("github", saved, time.time())
    store.close()
    sim.reset_counters()
    started = time.monotonic()
    try:
        assert act.run(label_args(sim, "queued"), settings) == act.PENDING
    finally:
        leases.forget(owner)
    assert time.monotonic() - started < 2.0 and github_requests(sim) == 0
    out = capsys.readouterr().out
    assert "pending add_label" in out and "breaker open until" in out, out

    from zen_tui.commands import sync

    sync.run(argparse.Namespace(once=True), settings)
    assert labels_added(sim, "queued") == 1


def test_act_sends_past_an_open_breaker_saved_by_a_dashboard_that_has_quit(sim, settings, capsys):
    """The record says open (half-open time still ahead), but the dashboard that saved it an
    hour ago is gone: nothing current says the service is down, so act sends. Before, it
    answered `pending ... breaker open until` and sent nothing."""
    from zen_tui.store import leases
    from zen_tui.wiring import open_store

    gone = leases.new_owner()
    leases.forget(gone)  # closed in this process: certainly not running
    store = open_store(settings)
    saved = {"breaker": "open", "half_open_at": time.time() + 7200, "saved_by": gone}
    store.save_health("github", saved, time.time() - 3600)
    store.close()
    assert act.run(label_args(sim, "stale"), settings) == 0
    assert "applied add_label" in capsys.readouterr().out
    assert labels_added(sim, "stale") == 1


def test_act_against_a_hang_answers_at_its_deadline_and_verifies_later(
    sim, settings, capsys, monkeypatch
):
    monkeypatch.setattr(act, "SEND_DEADLINE", 1.0)
    sim.set_faults([{"service": "github", "hang_rate": 1.0, "hang_seconds": 2}])
    started = time.monotonic()
    assert act.run(label_args(sim, "hung"), settings) == act.PENDING
    assert time.monotonic() - started < 3.0
    out = capsys.readouterr().out
    assert "no answer within 1 s; will verify before resending" in out, out
    # in the state `zen-tui outbox` lists it in (it said `pending`, the outbox `unknown`)
    from zen_tui.commands import outbox

    outbox.run(argparse.Namespace(outbox_command=None, json=False), settings)
    [listed] = capsys.readouterr().out.splitlines()
    assert listed.split()[1] == "unknown", listed
    assert out.startswith("unknown add_label on ") and "(kept in the outbox)" in out, out

    sim.clear_faults()
    from zen_tui.commands import sync

    sync.run(argparse.Namespace(once=True), settings)
    assert labels_added(sim, "hung") == 1


def test_an_act_held_behind_an_earlier_unsent_one_says_so(sim, settings, capsys):
    """Seen in an end-to-end run: in an outage, a second `act` on the same account sent
    nothing (its account's earlier entry, failing first, keeps the later ones waiting, in
    order) and said only the stored note of its login (`queued under a login of one zen-tui
    alone ...`), not why it was not sent."""
    sim.set_faults([{"service": "github", "outage": True}])
    assert act.run(label_args(sim, "first"), settings) == act.PENDING
    capsys.readouterr()
    assert act.run(label_args(sim, "second"), settings) == act.PENDING
    out = capsys.readouterr().out
    github = sim.account("github").name
    assert "pending add_label" in out and "of one zen-tui alone" not in out, out
    assert f"waits behind 1 earlier action of {github} not sent yet" in out, out
    assert "(first add_label on " in out and "server error 503" in out, out
    from zen_tui.commands import outbox, sync

    outbox.run(argparse.Namespace(outbox_command=None, json=False), settings)
    first, second = capsys.readouterr().out.splitlines()
    assert "server error 503" in first and "waits behind" not in first, first
    assert "(0 attempts, " in second and "waits behind 1 earlier action" in second, second
    sim.clear_faults()

    sync.run(argparse.Namespace(once=True), settings)
    assert (labels_added(sim, "first"), labels_added(sim, "second")) == (1, 1)


def test_act_refused_as_gone_takes_the_item_out_of_list(sim, settings, capsys):
    """`act` on an issue deleted since the last sync: GitHub answers 410, the action fails
    saying so, and the issue, confirmed gone, leaves the store at once: `list` no longer
    shows it as open (before, it stayed until a later sync's listing left it out)."""
    from zen_tui.commands import list_items, sync

    assert sync.run(argparse.Namespace(once=True), settings) == 0
    capsys.readouterr()
    listed = argparse.Namespace(pane="issues", json=True, account=None)

    def issue_ids() -> set[str]:
        list_items.run(listed, settings)
        sections = json.loads(capsys.readouterr().out)["sections"]
        return {i["id"] for s in sections for i in s["items"]}

    item_id = sorted(issue_ids())[0]
    state = sim.world.services["github"].state
    name, _, number = item_id.partition(":")[2].rpartition("#")
    state.delete_issue(state.by_name[name.lower()].items[int(number)])

    args = argparse.Namespace(kind="comment", item=item_id, params={"body": "still there?"})
    assert act.run(args, settings) == 1
    assert "gone: 410" in capsys.readouterr().err
    assert item_id not in issue_ids()


async def test_sync_says_on_stderr_when_its_webhook_receiver_cannot_listen(sim, settings, capsys):
    """Webhooks on, the port taken (another zen-tui, any server): `zen-tui sync` polls as
    usual and says so at start, on stderr; before, one log line alone said it, and the
    terminal showed nothing while no delivery could ever arrive."""
    import asyncio

    import msgspec

    from zen_tui.commands import sync
    from zen_tui.config_schema import WebhookConfig
    from zen_tui.sync.webhooks import bind

    busy = bind("127.0.0.1", 0)
    port = busy.getsockname()[1]
    hooks = WebhookConfig(enabled=True, port=port, secrets={"github": "s3cret"})
    run = asyncio.create_task(sync._forever(msgspec.structs.replace(settings, webhooks=hooks)))
    err = ""
    try:
        for _ in range(400):  # until it has started (bounded: 20 s)
            err += capsys.readouterr().err
            if "webhooks" in err or run.done():
                break
            await asyncio.sleep(0.05)
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        busy.close()
    line = f"zen-tui: warning: webhooks: cannot listen on 127.0.0.1:{port} ("
    assert line in err and "set [webhooks] port; polling as usual" in err
    assert "no secret for jira" in err  # a service with an account and no secret: refused
    assert "s3cret" not in err
