"""Per-service switches a scenario file or the control API may flip at runtime.

Each ServiceSim lists its switches in `settings` (name -> type); e.g. Slack's
`non_marketplace` turns on the May-2025 rule for non-Marketplace apps, Jira's `search_lag`
makes its search trail writes by that many seconds, as the real one does. The shape everywhere
is `{"slack": {"non_marketplace": true}}`.
"""

from __future__ import annotations

from typing import Any

from zen_tui.simulator.core.world import World


class SettingsError(ValueError):
    """A setting that does not exist or has the wrong type; the message lists the valid ones."""


def available(world: World) -> dict[str, dict[str, str]]:
    return {
        name: {key: kind.__name__ for key, kind in sim.settings.items()}
        for name, sim in world.services.items()
        if sim.settings
    }


def current(world: World) -> dict[str, dict[str, Any]]:
    return {
        name: {key: getattr(sim, key) for key in sim.settings}
        for name, sim in world.services.items()
        if sim.settings
    }


def validate(world: World, data: Any) -> dict[str, dict[str, Any]]:
    """The checked settings; raises SettingsError before anything changes."""
    valid = ", ".join(f"{s}.{k}" for s, keys in available(world).items() for k in keys) or "none"
    if not isinstance(data, dict):
        raise SettingsError(f'settings: give {{"service": {{"name": value}}}}; valid: {valid}')
    for service, values in data.items():
        sim = world.services.get(service)
        if sim is None or not isinstance(values, dict):
            raise SettingsError(f"settings: unknown service {service!r}; valid: {valid}")
        for key, value in values.items():
            kind = sim.settings.get(key)
            if kind is None:
                raise SettingsError(f"settings: unknown {service}.{key}; valid: {valid}")
            whole = kind is float and type(value) is int  # `search_lag = 5` means 5.0
            if type(value) is not kind and not whole:
                raise SettingsError(f"settings: {service}.{key} must be a {kind.__name__}")
            if key.endswith("_rate") and not 0 <= value <= 1:  # a share of the requests
                raise SettingsError(f"settings: {service}.{key} must be between 0 and 1")
    return data


def apply(world: World, data: Any) -> dict[str, dict[str, Any]]:
    """Validate, then set every value; returns the settings now in force."""
    for service, values in validate(world, data).items():
        for key, value in values.items():
            kind = world.services[service].settings[key]
            setattr(world.services[service], key, kind(value))
    return current(world)
