"""`zen-tui health [--json]`: per account, the gateway health saved by the last sync run,
with the outbox counts and the rate-limit pauses as they are now, and the webhook counters
when webhooks are on. Reads the store only. Exit status 0.

Each record says how old it is and whether its saver (a dashboard or `zen-tui sync`) still
runs (store/saver.py). A live state (webhooks live, a half-open countdown) is shown only
while it does: from a record whose saver is gone, the figures are shown as they were saved.

`run` reads the store through the typed Store; `quick` (cli._quick) reads the same rows as
they are, from the config's kept facts, with no msgspec. Both hand the same plain values
(store/health_reads.py) to one report (`_report`) and one printer (`_said`)."""

from __future__ import annotations

import time
from pathlib import Path

from zen_tui.timefmt import format_age, local_time

# The config, models and store load when the command runs, not for `zen-tui --help` (which
# imports every command module for its HELP and arguments).
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    import argparse
    import sqlite3
    from collections.abc import Iterable, Mapping
    from typing import Any

    from zen_tui.config import Settings
    from zen_tui.pause_rules import Row

HELP = "show each account's breaker, rate budget, cache and outbox"


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from zen_tui.store import Store

    store = Store.open_in(Path(settings.data_dir))
    try:
        saved = store.load_health()
        outbox = store.outbox_figures()
        pauses = [p.row() for p in store.rate_pauses()]
    finally:
        store.close()
    accounts = [(a.name, a.service) for a in settings.accounts]
    now = _now()
    report = _report(accounts, saved, outbox, pauses, now)
    _say(_said(args, report, now, webhooks=settings.webhooks.enabled, sync=settings.sync_command))
    return 0


def quick(args: argparse.Namespace, facts: dict[str, Any], data_dir: Path) -> int | None:
    """`run`'s answer from the config's kept facts and the store as it is, with no msgspec
    (cli._quick): the same rows read by the same queries (store/health_reads.py) into the
    same report and lines. None, nothing said, where `run` would do more than read: a store
    to open in full, a row the typed read would leave out and log, or fail on."""
    from zen_tui.store.plain import open_as_is

    db = open_as_is(data_dir)
    if db is None:
        return None
    try:
        saved, outbox, pauses = _read_as_is(db)
        accounts = [(a["name"], a["service"]) for a in facts["accounts"]]
        now = _now()
        report = _report(accounts, saved, outbox, pauses, now)
        lines = _said(args, report, now, webhooks=facts["webhooks"], sync=facts["sync_command"])
    except Exception:  # a row `run` fails on, or reads otherwise: `run` answers (or says so)
        return None
    finally:
        db.close()
    _say(lines)
    return 0


def _read_as_is(
    db: sqlite3.Connection,
) -> tuple[dict[str, tuple[Any, float]], dict[str, tuple[int, int]], list[Any]]:
    """What `run` reads through the Store (its health records, outbox figures and pause
    rows), read as plain values: a row the typed read would not read the same way raises
    _Declined."""
    from zen_tui.store.health_reads import (
        HEALTH,
        PAUSES,
        account_in,
        health_records,
        is_plain_pause,
        not_done,
        outbox_tally,
    )

    def account_of(text: Any) -> str:  # codec.account_of, which reads it the same way
        from zen_tui.json_input import loads  # json.loads: what msgspec's decoding gives

        account = account_in(loads(text)) if type(text) is str else None
        if account is None:
            raise _Declined("an action whose account cannot be read")
        return account

    saved = health_records(db.execute(HEALTH).fetchall())
    outbox = outbox_tally(not_done(db), account_of)
    pauses = db.execute(PAUSES).fetchall()
    if not all(map(is_plain_pause, pauses)):  # the typed read logs it, leaves it out
        raise _Declined("a rate-limit pause row that is not plainly one")
    return saved, outbox, pauses


class _Declined(Exception):
    """The quick lane cannot answer as `run` would."""


def _report(
    accounts: Iterable[tuple[str, str]],
    saved: Mapping[str, tuple[Any, float]],
    outbox: Mapping[str, tuple[int, int]],
    pauses: list[Row],
    now: float,
) -> dict[str, Any]:
    """Per configured account (name, service): its saved record with its age, its outbox's
    (pending, failed) and its pauses still running (rows in pause_rules.COLUMNS' order)."""
    report: dict[str, Any] = {}
    for name, service in accounts:
        data, at = saved.get(name, ({}, None))
        pending, failed = outbox.get(name, (0, 0))
        report[name] = {"service": service, **data, **_age(data, at, now)} | {
            "outbox_pending": pending,
            "outbox_failed": failed,
            "paused": _paused(pauses, name, service, now),
        }
        if at is not None:
            report[name] |= _receiver(data, at, now)
    return report


def _said(
    args: argparse.Namespace, report: dict[str, Any], now: float, *, webhooks: bool, sync: str
) -> list[str]:
    """The lines the command prints: the report as JSON, or as text."""
    if args.json:
        import json

        return [json.dumps({"accounts": report}, indent=2)]
    return text_lines(report, now, webhooks=webhooks, sync=sync)


def _say(lines: list[str]) -> None:
    """Print each line as it was always printed: one print each (SafeWriter cleans each)."""
    for line in lines:
        print(line)


def _now() -> float:
    return time.time()  # a function, so a test can set the clock


def _age(data: dict[str, Any], at: float | None, now: float) -> dict[str, Any]:
    """When the record was saved, how long ago, and whether its saver still runs. A saver
    that is gone makes nothing live: `webhooks_live` is then false, whatever it saved."""
    if at is None:  # no record: nothing to judge (saver.py and leases.py stay unloaded)
        return {"saved_at": None, "age_seconds": None, "saver_running": False}
    from zen_tui.store.saver import saver_running

    running = saver_running(data, at, now)
    out = {"saved_at": at, "age_seconds": round(now - at, 1), "saver_running": running}
    if not running and data.get("webhooks_live"):
        out |= {"webhooks_live": False, "webhooks_live_when_saved": True}
    return out


def _receiver(data: dict[str, Any], at: float, now: float) -> dict[str, Any]:
    """The webhook counters' liveness by the run whose receiver counted them, when a run
    with none (`zen-tui sync --once`) saved the record: live only while that run still
    runs; {} when the record's own saver counted them."""
    from zen_tui.store.saver import receiver_of, saver_running

    run, when = receiver_of(data, at)
    if run is data:
        return {}
    running = saver_running(run, when, now)
    live = bool(run.get("webhooks_live")) and running
    return {"webhooks_live": live, "webhooks_saver_running": running}


def _paused(pauses: list[Row], account: str, service: str, now: float) -> list[Any]:
    """The account's rate-limit pauses still running, as its gateways obey them whichever
    process met them (gateway/pauses.py): scope, end, seconds left, what the server said."""
    from zen_tui.pause_rules import holds
    from zen_tui.text_safety import clean

    out = []
    for row in pauses:
        left = holds(row, account, service, now)
        if left > 0:
            scope, reason = clean(row[2]), clean(row[5])  # stored text: never control
            out.append(
                {"scope": scope, "until": now + left, "left": round(left, 1), "reason": reason}
            )
    return sorted(out, key=lambda p: p["scope"])


def _header(name: str, h: dict[str, Any], now: float) -> str:
    """`gh (github), saved 1h ago by the dashboard (pid 12 on host), not running now, ...`."""
    from zen_tui.store.saver import saved_text

    return f"{name} ({h['service']}), {saved_text(h, now - h['saved_at'], h['saver_running'])}"


def _when(ts: float | None, now: float) -> str:
    return "-" if ts is None else local_time(ts, now=now)


def text_lines(
    report: dict[str, Any],
    now: float,
    *,
    webhooks: bool = False,
    sync: str = "zen-tui sync --once",
) -> list[str]:
    if not report:
        return ["no accounts in the config"]
    out = []
    for name, h in report.items():
        waiting = _not_connected(h)
        if h.get("saved_at") is None:
            run = f"; run `{sync}`" if sync else ""
            out.append(f"{name} ({h['service']}): no sync yet{run}")
        elif waiting:  # the run that saved this had not built the account: no figures
            out.append(f"{_header(name, h, now)}: {waiting}")
        else:
            out.append(f"{_header(name, h, now)}:")
            out += [f"  {line}" for line in _lines(h, now)]
        out += [f"  {pause_line(p, now)}" for p in h.get("paused", [])]
        out.append(f"  outbox    {h['outbox_pending']} pending, {h['outbox_failed']} failed")
        if webhooks or h.get("webhooks"):
            out.append(f"  webhooks  {webhook_line(h, now)}")
    return out


def pause_line(p: dict[str, Any], now: float) -> str:
    """`paused    core: 14m left (until 12:34:56), HTTP 429, a secondary limit ...`: no
    request of the scope goes out before then, from any zen-tui on this data folder."""
    left = format_age(p["left"])
    return f"paused    {p['scope']}: {left} left (until {_when(p['until'], now)}), {p['reason']}"


def _not_connected(h: dict[str, Any]) -> str:
    """What a record saved while the account was not built says instead of its figures
    (older records, from before this was saved, were all built)."""
    state = h.get("connection", "connected")
    if state == "connecting":
        return "not connected yet (its login and client were still being set up)"
    if state == "failed":
        return f"could not connect: {h.get('connection_error') or 'unknown error'}"
    return ""


def webhook_line(h: dict[str, Any], now: float) -> str:
    """This account's service's delivery counters, as the last run with webhooks saved them.
    Live only if that run had the account built: until then a delivery merely waits."""
    hooks, service = h.get("webhooks"), h["service"]
    if not hooks:
        return "on; no counts saved yet (they are saved while `zen-tui sync` or the dashboard runs)"
    rejected = {k: n for k, n in hooks.get("rejected", {}).items() if k.startswith(f"{service}:")}
    why = ", ".join(f"{k.partition(': ')[2]}: {n}" for k, n in sorted(rejected.items()))
    state = "live" if h.get("webhooks_live") else "idle"
    if _not_connected(h):
        state = "not live (the account is not connected)"
    running = h.get("webhooks_saver_running", h.get("saver_running", True))
    if h.get("saved_at") is not None and not running:
        state = "not live (nothing is running to receive them)"
    port = f" on port {hooks['port']}" if hooks.get("port") else ""
    if not port and running:
        port = " (not listening)"
    started = hooks.get("started_at")
    since = f" since {_when(started, now)}:" if isinstance(started, (int, float)) else ""
    return (
        f"{state}{port};{since} {hooks.get('accepted', {}).get(service, 0)} accepted, "
        f"{hooks.get('duplicates', {}).get(service, 0)} duplicates, "
        f"{sum(rejected.values())} rejected{f' ({why})' if why else ''}, "
        f"last {_when(hooks.get('last_at', {}).get(service), now)}"
    )


def _quota(bucket: dict[str, Any], now: float) -> str:
    """The server's last word on this budget. Once its window has ended, the count it gave is
    of the window before: a new quota began (as the dashboard's card says), not "27 left"."""
    remaining, reset_at = bucket.get("remaining"), bucket.get("reset_at")
    if remaining is None:
        return ""
    if isinstance(reset_at, (int, float)) and reset_at <= now:
        return f"; quota reset at {_when(reset_at, now)} (a new window since)"
    return f"; quota {remaining} left, resets {_when(reset_at, now)}"


def _lines(h: dict[str, Any], now: float) -> list[str]:
    # A half-open countdown only means something while the saver runs to probe.
    running = h.get("saver_running", True)
    half = f" (half-open at {_when(h['half_open_at'], now)})" if h.get("half_open_at") else ""
    lines = [f"breaker   {h.get('breaker')}{half if running else ' when saved'}"]
    buckets = h.get("buckets") or {"": h}
    for scope, b in sorted(buckets.items()):
        quota = _quota(b, now)
        name = f"{scope}: " if scope else ""
        when = "" if running else " when saved"
        lines.append(
            f"limiter   {name}{b.get('tokens', 0):.0f}/{b.get('capacity', 0):.0f} tokens"
            f"{when}{quota}"
        )
    lines += [
        f"requests  {h.get('requests', 0)} ({h.get('errors', 0)} errors, "
        f"{h.get('retries', 0)} retries)",
        f"cache     {h.get('cache_hits', 0)} hits, {h.get('cache_misses', 0)} misses, "
        f"{h.get('revalidations', 0)} revalidations",
    ]
    return lines + [f"warning   {w}" for w in h.get("deprecations", [])]
