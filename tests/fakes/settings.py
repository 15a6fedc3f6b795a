"""Real `Settings` for engine tests that wire their own gateways and clients: no accounts or
sections of their own, defaults everywhere else, so production code needs no probes for a
"slim" settings object."""

from __future__ import annotations

from pathlib import Path

from zen_tui.config import PollingConfig, Settings, UiConfig, WebhookConfig


def engine_settings(
    polling: PollingConfig | None = None, webhooks: WebhookConfig | None = None
) -> Settings:
    return Settings(
        accounts=[],
        sections=[],
        gateway={},  # gateway_for() falls back to each service's defaults
        polling=polling or PollingConfig(),
        ui=UiConfig(),
        webhooks=webhooks or WebhookConfig(),
        config_path=None,
        data_dir=Path("."),
    )
