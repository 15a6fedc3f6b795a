"""`zen-tui health [--json]`: per account, the gateway health saved by the last sync run,
with the outbox counts and the rate-limit pauses as they are now, and the webhook counters
when webhooks are on. Reads the store only. Exit status 0.

Each record says how old it is and whether its saver (a dashboard or `zen-tui sync`) still
runs (store/saver.py). A live state (webhooks live, a half-open countdown) is shown only
while it does: from a record whose saver is gone, the figures are shown as they were saved."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zen_tui.timefmt import local_time

# The config, models and store load when the command runs, not for `zen-tui --help` (which
# imports every command module for its HELP and arguments).
if TYPE_CHECKING:
    from zen_tui.config import Settings
    from zen_tui.models import RatePause

HELP = "show each account's breaker, rate budget, cache and outbox"


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from zen_tui.store import Store
    from zen_tui.store.outbox import NO_FIGURES

    store = Store.open_in(Path(settings.data_dir))
    try:
        saved = store.load_health()
        outbox = store.outbox_figures()
        pauses = store.rate_pauses()
    finally:
        store.close()
    now = _now()
    report: dict[str, Any] = {}
    for account in settings.accounts:
        data, at = saved.get(account.name, ({}, None))
        report[account.name] = {"service": account.service, **data, **_age(data, at, now)} | {
            "outbox_pending": outbox.get(account.name, NO_FIGURES).pending,
            "outbox_failed": outbox.get(account.name, NO_FIGURES).failed,
            "paused": _paused(pauses, account.name, account.service, now),
        }
        if at is not None:
            report[account.name] |= _receiver(data, at, now)
    if args.json:
        import json

        print(json.dumps({"accounts": report}, indent=2))
    else:
        print_text(report, now, webhooks=settings.webhooks.enabled, sync=settings.sync_command)
    return 0


def _now() -> float:
    return time.time()  # a function, so a test can set the clock


def _age(data: dict[str, Any], at: float | None, now: float) -> dict[str, Any]:
    """When the record was saved, how long ago, and whether its saver still runs. A saver
    that is gone makes nothing live: `webhooks_live` is then false, whatever it saved."""
    from zen_tui.store.saver import saver_running

    if at is None:
        return {"saved_at": None, "age_seconds": None, "saver_running": False}
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


def _paused(pauses: list[RatePause], account: str, service: str, now: float) -> list[Any]:
    """The account's rate-limit pauses still running, as its gateways obey them whichever
    process met them (gateway/pauses.py): scope, end, seconds left, what the server said."""
    from zen_tui.text_safety import clean

    out = []
    for p in pauses:
        left = p.holds(account, service, now)
        if left > 0:
            scope, reason = clean(p.scope), clean(p.reason)  # stored text: never control
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


def print_text(
    report: dict[str, Any],
    now: float,
    *,
    webhooks: bool = False,
    sync: str = "zen-tui sync --once",
) -> None:
    if not report:
        print("no accounts in the config")
    for name, h in report.items():
        waiting = _not_connected(h)
        if h.get("saved_at") is None:
            run = f"; run `{sync}`" if sync else ""
            print(f"{name} ({h['service']}): no sync yet{run}")
        elif waiting:  # the run that saved this had not built the account: no figures
            print(f"{_header(name, h, now)}: {waiting}")
        else:
            print(f"{_header(name, h, now)}:")
            for line in _lines(h, now):
                print(f"  {line}")
        for p in h.get("paused", []):
            print(f"  {pause_line(p, now)}")
        print(f"  outbox    {h['outbox_pending']} pending, {h['outbox_failed']} failed")
        if webhooks or h.get("webhooks"):
            print(f"  webhooks  {webhook_line(h, now)}")


def pause_line(p: dict[str, Any], now: float) -> str:
    """`paused    core: 14m left (until 12:34:56), HTTP 429, a secondary limit ...`: no
    request of the scope goes out before then, from any zen-tui on this data folder."""
    from zen_tui.models import format_age

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
