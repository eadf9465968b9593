"""The [alerts] table: validated at load, the URL from the environment, masked in logs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ingest.errors import ConfigError
from ingest.settings import load_settings, settings_from_mapping


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        ({"url": "ftp://host/x"}, "alerts.url must be an http(s) URL, not ftp://…"),
        ({"url": "https://h/x", "url_env": "HOOK"}, "alerts.url and alerts.url_env are both set"),
        ({"url_env": "not a name"}, "alerts.url_env: 'not a name' is not an environment"),
        ({"quiet_after": "soon"}, "alerts.quiet_after: 'soon' is not a duration"),
        ({"format": "xml"}, "alerts.format: 'xml' is not one of the allowed values"),
        ({"after_failures": 0}, "alerts.after_failures: expected `int` >= 1"),
        ({"sites": {"other": {"quiet_after": "1d"}}}, "alerts.sites.other: no site named"),
        ({"sites": {"etilaf": {"quiet_after": "1x"}}}, "alerts.sites.etilaf.quiet_after: '1x'"),
        ({"retries": 1}, "alerts.retries: unknown key"),
    ],
)
def test_bad_alert_settings_are_refused(alerts: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({"alerts": alerts})
    assert str(caught.value).startswith(message)


def test_quiet_after_per_site_and_off() -> None:
    alerts = settings_from_mapping(
        {
            "sites": [{"name": "a", "base_url": "https://a.example"},
                      {"name": "b", "base_url": "https://b.example"},
                      {"name": "c", "base_url": "https://c.example"}],
            "alerts": {"url": "https://hooks.example/x", "quiet_after": "2d",
                       "sites": {"b": {"quiet_after": "7d"}, "c": {"quiet_after": "off"}}},
        }
    ).alerts  # fmt: skip
    assert alerts.enabled
    assert alerts.quiet_after_for("a") == timedelta(days=2)
    assert alerts.quiet_after_for("b") == timedelta(days=7)
    assert alerts.quiet_after_for("c") is None
    assert not settings_from_mapping({}).alerts.enabled


def test_url_from_the_environment_and_masked(tmp_path: Path) -> None:
    """The variable is read from the mapping load_settings is given; the URL never logged."""
    config = tmp_path / "c.toml"
    config.write_text('[alerts]\nurl_env = "HOOK"\n')
    settings = load_settings(config, {"HOOK": "https://hooks.example/T0/secret"})
    assert settings.alerts.url == "https://hooks.example/T0/secret"
    assert "secret" not in str(settings.masked())
    unset = load_settings(config, {})
    assert unset.alerts.url is None and unset.alerts.enabled, "other commands need not carry it"
    with pytest.raises(ConfigError, match=r"alerts.url \(from \$HOOK\) must be an http"):
        load_settings(config, {"HOOK": "hooks.example/x"})
