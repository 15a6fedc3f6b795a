"""The simulator's shared core: the seeded world, its counters and the service-module contract.

The simulator imports nothing from the client side of zen_tui (gateway, services, sync,
store, ui, config, auth, models), so it can never hide a client bug by sharing it.
Each service (github.py, jira.py, slack.py) is a `ServiceSim` mounted under its own prefix
on one Starlette app; `app.py` composes them with fault injection and the `/_sim` control API.
"""

from __future__ import annotations

import random
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

# Default share of the world's items per service (issue: 10,000 = 5,000 / 3,000 / 2,000).
DEFAULT_SHARES = {"github": 0.5, "jira": 0.3, "slack": 0.2}


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A state change, for webhook delivery and the activity feed."""

    service: str
    event: str  # GitHub event name ("pull_request"), Jira webhookEvent, Slack event type
    payload: dict[str, Any]
    at: float = field(default_factory=time.time)


class Counters:
    """What tests and benchmarks read through `GET /_sim/counters`. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._zero()

    def _zero(self) -> None:
        self.requests: Counter[tuple[str, str, int]] = Counter()  # (service, endpoint, status)
        self.quota_spent: Counter[tuple[str, str]] = Counter()  # (service, resource)
        self.not_modified: Counter[str] = Counter()  # 304s served, per service
        self.webhooks_delivered: Counter[str] = Counter()
        self.mutations: Counter[tuple[str, str]] = Counter()  # (service, kind)
        # Every applied mutation, in order: lets tests prove exactly-once per action.
        self.mutation_log: list[dict[str, Any]] = []

    def request(self, service: str, endpoint: str, status: int) -> None:
        with self._lock:
            self.requests[(service, endpoint, status)] += 1
            if status == 304:
                self.not_modified[service] += 1

    def spend(self, service: str, resource: str, amount: int = 1) -> None:
        with self._lock:
            self.quota_spent[(service, resource)] += amount

    def mutation(self, service: str, kind: str, **record: Any) -> None:
        with self._lock:
            self.mutations[(service, kind)] += 1
            self.mutation_log.append({"service": service, "kind": kind, **record})

    def webhook(self, service: str) -> None:
        with self._lock:
            self.webhooks_delivered[service] += 1

    def reset(self) -> None:
        with self._lock:
            self._zero()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": [
                    {"service": s, "endpoint": e, "status": st, "count": n}
                    for (s, e, st), n in sorted(self.requests.items())
                ],
                "requests_total": sum(self.requests.values()),
                "quota_spent": {f"{s}:{r}": n for (s, r), n in sorted(self.quota_spent.items())},
                "not_modified": dict(self.not_modified),
                "webhooks_delivered": dict(self.webhooks_delivered),
                "mutations": {f"{s}:{k}": n for (s, k), n in sorted(self.mutations.items())},
                "mutation_log": list(self.mutation_log),
            }


class World:
    """All simulated state, seeded so a run is reproducible.

    Service modules keep their own state on themselves; the world holds what is shared:
    the random source, the clock, the counters and the change feed.
    """

    def __init__(
        self,
        seed: int = 1,
        size: int = 300,
        clock: Callable[[], float] = time.time,
        rate_scale: float = 1.0,
    ):
        self.seed = seed
        self.size = size
        # Multiplies every simulated rate-limit budget (0.01 -> GitHub core 50/h): tests use it.
        self.rate_scale = rate_scale
        self.rng = random.Random(seed)
        self.clock = clock
        self.counters = Counters()
        self.lock = threading.RLock()
        self._listeners: list[Callable[[ChangeEvent], None]] = []
        self.services: dict[str, ServiceSim] = {}

    def add(self, service: ServiceSim) -> None:
        self.services[service.name] = service
        service.seed(int(self.size * DEFAULT_SHARES.get(service.name, 0.3)))

    def on_change(self, fn: Callable[[ChangeEvent], None]) -> None:
        self._listeners.append(fn)

    def emit(self, service: str, event: str, payload: dict[str, Any]) -> None:
        change = ChangeEvent(service, event, payload, self.clock())
        for fn in list(self._listeners):
            fn(change)


class ServiceSim(ABC):
    """One simulated service. Subclasses own their state and routes.

    Routes are relative to `prefix`: GitHub's `/search/issues` is served at
    `/github/search/issues`; the client's base_url is `http://host:port` + `base_path`.
    """

    name: str
    prefix: str
    api_suffix: ClassVar[str] = ""  # below the prefix, where the client's base_url points
    # Runtime switches (attribute name -> type) that scenarios and `/_sim/settings` may set.
    settings: ClassVar[dict[str, type]] = {}
    # Who the client logs in as, when the service needs a name besides the token (Jira: the
    # email for Basic auth; GitHub: the login of "me").
    username: str | None = None

    def __init__(self, world: World, token: str) -> None:
        self.world = world
        self.token = token  # the one token this simulated account accepts

    @property
    def base_path(self) -> str:
        """The path of the client's base_url: every place that names it (the start-up banner,
        `/_sim/info`, the demo accounts) reads it here, so they cannot disagree."""
        return self.prefix + self.api_suffix

    @abstractmethod
    def seed(self, count: int) -> None:
        """Create `count` items of seeded state."""

    @abstractmethod
    def routes(self) -> list[BaseRoute]:
        """Starlette routes, relative to `prefix`."""

    def ping_payload(self, hook_url: str, hook_id: int) -> dict[str, Any] | None:
        """What a webhook just registered at `hook_url` receives first (GitHub's `ping`);
        None: nothing."""
        return None

    def envelope_fields(self) -> dict[str, Any]:
        """What this service's webhook envelope says about the app and its workspace (Slack's
        team_id, api_app_id, authed_users); empty when it wraps no envelope."""
        return {}

    def rate_limited_response(self, retry_after: float, reason: str = "") -> Response:
        """The 429 this service sends (fault injection uses it). Override for headers.
        `reason`: which limit refused, for a service whose 429 names one (Jira)."""
        return JSONResponse(
            {"message": "rate limited"},
            status_code=429,
            headers={"Retry-After": str(int(retry_after))},
        )

    def error_response(self, status: int, message: str) -> Response:
        """An error body in this service's own shape (GitHub basic-error, Jira ErrorCollection,
        Slack ok:false). Fault injection uses it."""
        return JSONResponse({"message": message}, status_code=status)

    def refusal_response(self, code: str) -> Response:
        """An HTTP 200 whose body refuses the request with error `code` (Slack's ok:false;
        fault rules allow it for Slack only). Others have no such answer: their error."""
        return self.error_response(500, code)

    def activity(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Make one change as if a colleague did it (the optional activity generator)."""
