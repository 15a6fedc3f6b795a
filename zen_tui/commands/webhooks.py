"""`zen-tui webhooks [--json]`: the URL to register at each provider, whether its signing
secret is set, the queue, and the counters saved by the last run. Reads config and store only;
the receiver itself runs inside `zen-tui dashboard` and `zen-tui sync` (without --once)."""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The config, models and store load when the command runs, not for `zen-tui --help` (which
# imports every command module for its HELP and arguments).
if TYPE_CHECKING:
    from zen_tui.config import Settings

HELP = "show webhook URLs to register, secrets set, queue and counters"
PENDING_LIMIT = 100_000
# the rest of what Webhooks.health() saves
_OTHER_FIELDS = ("processed", "carried_over", "started_at", "port")


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


DEMO_NOTE = (
    "webhooks (demo): `zen-tui --demo` (the dashboard) runs a receiver of its own on a free "
    "loopback port, with secrets generated for the session and kept in memory only: its "
    "simulator delivers there, so nothing is registered or set. The headless `--demo` "
    "commands (this one too) only poll."
)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from zen_tui.store import Store

    if settings.demo:  # no config read: its [webhooks] and secret variables are not the demo's
        if args.json:
            import json

            print(json.dumps({"demo": True, "enabled": False, "endpoints": {}, "note": DEMO_NOTE}))
        else:
            print(DEMO_NOTE)
        return 0
    store = Store.open_in(Path(settings.data_dir))
    try:
        pending = len(store.webhook_pending(limit=PENDING_LIMIT))
        saved = store.load_health()
    finally:
        store.close()
    now = _now()
    report = build_report(settings, pending, saved, now)
    if args.json:
        import json

        print(json.dumps(report, indent=2))
    else:
        print_text(report, now)
    return 0


def _now() -> float:
    return time.time()  # a function, so a test can set the clock


def build_report(
    settings: Settings,
    pending: int,
    saved: dict[str, tuple[dict[str, Any], float]],
    now: float,
) -> dict[str, Any]:
    from zen_tui.config_schema import is_loopback_host
    from zen_tui.store.saver import receiver_of, saver_running
    from zen_tui.sync.webhook_verify import SERVICES  # hashlib: only when this command runs

    config = settings.webhooks
    host = f"[{config.host}]" if ":" in config.host else config.host
    services: list[str] = sorted({a.service for a in settings.accounts}) or list(SERVICES)
    runs = [(at, data) for data, at in saved.values() if "webhooks" in data]
    at, record = max(runs, key=lambda r: r[0], default=(None, None))
    last = known_keys(record["webhooks"]) if record is not None else None
    if record is not None and at is not None:  # the counters' own run: the receiver's
        record, at = receiver_of(record, at)
    # The same rule and words as `zen-tui health` (store/saver.py): is its saver still running?
    running = record is not None and at is not None and saver_running(record, at, now)
    saver = {k: record[k] for k in ("saved_by", "saver_role") if k in record} if record else {}
    # `port = 0` picks a free port at each start: the one to register is the running one's
    listening = last.get("port") if running and last is not None else None
    port = listening if config.port == 0 and isinstance(listening, int) else config.port
    return {
        "demo": False,
        "enabled": config.enabled,
        "host": config.host,
        "port": port,
        "loopback": is_loopback_host(config.host),
        "endpoints": {
            s: {
                "url": f"http://{host}:{port}/webhooks/{s}",
                "secret_env": config.secret_env.get(s),
                "secret_set": config.secret(s) is not None,
            }
            for s in services
        },
        "pending": pending,
        "last_run": last,
        "saved_at": at,
        "saver_running": running,
        "saver": saver,
    }


def print_text(report: dict[str, Any], now: float) -> None:
    from zen_tui.store.saver import saved_text

    if not report["enabled"]:
        print("webhooks: off (set `enabled = true` under [webhooks] in the config)")
    else:
        where = f"{report['host']}:{report['port']}"
        print(f"webhooks: on, at {where} while `zen-tui dashboard` or `zen-tui sync` runs")
    if report["port"] == 0:
        print("  port 0: a free port at each start, so no URL to register; set [webhooks] port")
    if report["loopback"]:
        print("  loopback only: the providers reach it only through a tunnel to this port")
    for service, e in report["endpoints"].items():
        state = "set" if e["secret_set"] else "NOT SET (its deliveries are refused)"
        print(f"  {service:<7}POST {e['url']}")
        print(f"  {'':<7}secret ${e['secret_env']}: {state}")
    print(f"queue: {report['pending']} pending")
    last = report["last_run"]
    if last is None:
        print("last run: no webhook counters saved yet")
        return
    counts = ", ".join(f"{_total(last[k])} {k}" for k in ("accepted", "duplicates", "rejected"))
    age = now - report["saved_at"]
    saved = saved_text(report["saver"], age, report["saver_running"])
    print(f"{counted_since(last, now)} ({saved}): {counts}")
    for reason, count in sorted(last["rejected"].items()):
        print(f"  rejected {reason}: {count}")
    applied, earlier = last.get("processed"), last.get("carried_over")
    if isinstance(applied, int):
        of_them = f" ({earlier} of them queued by an earlier run)" if earlier else ""
        print(f"  {applied} applied{of_them}")


def counted_since(saved: dict[str, Any], now: float) -> str:
    """The counters' period: the receiver's, from its start (a record from before that was
    saved says only "last run")."""
    from zen_tui.timefmt import local_time

    started = saved.get("started_at")
    if not isinstance(started, (int, float)) or isinstance(started, bool):
        return "last run"
    return f"since the receiver started at {local_time(started, now=now)}"


def known_keys(saved: dict[str, Any]) -> dict[str, Any]:
    """The saved counters with only the keys a receiver can make: counters saved by an older
    zen-tui were keyed by whatever path an unauthenticated sender chose (escape sequences
    included); those are summed under "unknown: 404" and never printed."""
    from zen_tui.sync.webhook_verify import SERVICES, UNKNOWN

    rejected_key = re.compile(rf"({'|'.join((*SERVICES, UNKNOWN))}): [1-5][0-9][0-9]")
    out: dict[str, Any] = {}
    for name in ("accepted", "duplicates", "last_at"):
        out[name] = {k: v for k, v in (saved.get(name) or {}).items() if k in SERVICES}
    rejected: dict[str, int] = {}
    for key, count in (saved.get("rejected") or {}).items():
        name = key if rejected_key.fullmatch(key) else f"{UNKNOWN}: 404"
        rejected[name] = rejected.get(name, 0) + int(count)
    out["rejected"] = rejected
    return out | {k: v for k, v in saved.items() if k not in out and k in _OTHER_FIELDS}


def _total(counts: dict[str, int]) -> int:
    return sum(counts.values())
