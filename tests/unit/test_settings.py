"""Settings: defaults, precedence, and one clear error per bad key."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import msgspec
import pytest

from ingest.errors import ConfigError
from ingest.settings import load_settings, parse_duration, settings_from_mapping
from ingest.sites import build_layout

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_file_equals_builtin_defaults() -> None:
    """config/ingest.toml documents the defaults; it must never drift from them."""
    loaded = load_settings(ROOT / "config" / "ingest.toml", {})
    assert msgspec.structs.replace(loaded, source="") == msgspec.structs.replace(
        settings_from_mapping({}), source=""
    )


def test_precedence_explicit_then_env_then_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--config beats $INGEST_CONFIG; $INGEST_DATABASE_URL beats the file."""
    monkeypatch.chdir(tmp_path)
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('[site]\nname = "a"\n')
    b.write_text('[site]\nname = "b"\n[database]\nurl = "sqlite:///b.db"\n')
    assert load_settings(a, {"INGEST_CONFIG": str(b)}).site.name == "a"
    from_env = load_settings(
        None, {"INGEST_CONFIG": str(b), "INGEST_DATABASE_URL": "sqlite:///x.db"}
    )
    assert from_env.site.name == "b"
    assert from_env.database.url == "sqlite:///x.db"
    assert load_settings(None, {}).source == "built-in defaults"


def _sites(*tables: dict[str, object]) -> dict[str, object]:
    return {"sites": [{"name": f"s{i}", "base_url": f"https://s{i}.example", **t}
                      for i, t in enumerate(tables)]}  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"site": {"nmae": "x"}}, "site.nmae: unknown key"),
        ({"sight": {}}, "unknown config section [sight]"),
        ({"http": {"concurrency": "4"}}, "http.concurrency: expected `int`, got `str`"),
        ({"http": {"concurrency": 0}}, "http.concurrency: expected `int` >= 1"),
        ({"http": {"max_attempts": True}}, "http.max_attempts: expected `int`, got `bool`"),
        ({"site": {"base_url": "en.etilaf.org"}}, "site.base_url must be an http(s) URL"),
        (
            {"site": {"listing_path": "/date/{year}/{month}.html"}},
            "site.listing_path must name the day",
        ),
        ({"site": {"listing_path": "/date/{yaer}/{month}/{day}"}}, "unknown field {yaer}"),
        ({"site": {"timezone": "Mars/Olympus"}}, "site.timezone"),
        ({"logging": {"format": "xml"}}, "logging.format: 'xml' is not one of"),
        ({"schedule": {"interval": "soon"}}, "schedule.interval"),
        ({"database": {"url": "not a url"}}, "database.url"),
        ({"http": {"proxy": "proxy.internal:3128"}}, "http.proxy must be an http(s) URL"),
        ({"site": {}, "sites": []}, "both [site] and [[sites]] are set"),
        ({"sites": []}, "[[sites]] must be an array of tables with at least one site"),
        ({"sites": [{"name": "a"}]}, "sites[0].base_url: required"),
        (_sites({}, {"name": "s0"}), "sites[1].name: another site is named 's0' already"),
        (
            _sites({}, {"http": {"concurency": 2}}),
            "sites[1].http.concurency: unknown key (site 's1')",
        ),
        (_sites({"http": {"concurrency": -1}}), "sites[0].http.concurrency: expected `int` >= 1"),
        (_sites({"schedule": {"jitter_seconds": 1}}), "sites[0].schedule.jitter_seconds: unknown"),
        (_sites({"schedule": {"interval": "1m", "cron": "* * * * *"}}), "both set"),
        (_sites({"schedule": {"cron": "nope"}}), "sites[0].schedule.cron 'nope' is not a crontab"),
        (_sites({"layout": "joomla"}), "sites[0].layout: 'joomla' is not one of"),
        (_sites({"layout": "k2", "selectors": {"item": "li"}}), "sites[0].selectors: only read"),
        (
            {"health": {"field_missing_share": 2}},
            "health.field_missing_share: expected `float` <= 1",
        ),
        # Each error names the table the user wrote, not the site that inherits it.
        ({"http": {"concurency": 2}}, "http.concurency: unknown key"),
        ({"http": {"timeout_seconds": 0}, **_sites({})}, "http.timeout_seconds: expected"),
        ({"schedule": {"cron": "61 * * * *"}}, "schedule.cron '61 * * * *' is not a crontab"),
        ({"schedule": {"interval": "1x"}, **_sites({})}, "schedule.interval: '1x' is not a"),
        (_sites({}, {"http": {"concurrency": 0}}), "sites[1].http.concurrency: expected `int`"),
        ({"site": {"http": {"proxy": "ftp://p"}}}, "site.http.proxy must be an http(s) URL"),
        ({"database": {"keep_runs": 19}}, "database.keep_runs: 19 is fewer than the 20 runs"),
        (
            {"database": {"keep_runs": 25}, "alerts": {"after_failures": 20}},
            "database.keep_runs: 25 is fewer than the 30 runs health and alerts read",
        ),
    ],
)
def test_bad_config_names_the_key(data: dict[str, object], message: str) -> None:
    """Each bad value is refused with a message naming its key."""
    with pytest.raises(ConfigError) as info:
        settings_from_mapping(data)
    assert message in str(info.value)


def test_listing_path_with_date_field_and_query() -> None:
    """{date:...} alone names the day, and a query survives formatting."""
    s = settings_from_mapping(
        {"site": {"layout": "k2", "listing_path": "/d/{date:%Y-%m-%d}?catid=16"}}
    )
    layout = build_layout(s.site.layout, s.site.shape)
    assert layout.listing_url(date(2020, 2, 1)) == "https://en.etilaf.org/d/2020-02-01?catid=16"


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    """A file that is not TOML is refused, not a traceback."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[site\nname=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, {})


def test_durations() -> None:
    """Durations accept s, m, h and refuse anything else."""
    assert parse_duration("45s").total_seconds() == 45
    assert parse_duration("30m").total_seconds() == 1800
    assert parse_duration("2h").total_seconds() == 7200
    with pytest.raises(ValueError):
        parse_duration("0s")


def test_sites_inherit_http_and_schedule_and_override_their_own() -> None:
    """[http] and [schedule] are every site's defaults; [sites.http] and [sites.schedule] win."""
    settings = settings_from_mapping(
        {
            "http": {"concurrency": 2, "requests_per_second": 1.0},
            "schedule": {"cron": "*/5 * * * *", "lookback_days": 5, "max_parallel_sites": 2},
            **_sites(
                {},
                {
                    "http": {"concurrency": 7, "user_agent": "other/1"},
                    "schedule": {"interval": "1h"},
                },
            ),
        }
    )
    first, second = settings.sites
    assert (first.http.concurrency, first.http.requests_per_second) == (2, 1.0)
    assert (first.schedule.cron, first.schedule.lookback_days) == ("*/5 * * * *", 5)
    assert (second.http.concurrency, second.http.user_agent) == (7, "other/1")
    assert second.http.requests_per_second == 1.0
    # A site's own interval replaces the inherited cron rather than clashing with it.
    assert (second.schedule.interval, second.schedule.cron) == (timedelta(hours=1), None)
    assert settings.schedule.max_parallel_sites == 2
    assert settings.select_sites(["s1"]) == (second,)
    with pytest.raises(ConfigError, match="no site named 'nope'"):
        settings.select_sites(["nope"])


def test_layout_defaults_fill_the_listing_path() -> None:
    """Each layout brings its own listing path when the site gives none."""
    (site,) = settings_from_mapping(_sites({"layout": "k2"})).sites
    layout = build_layout(site.layout, site.shape)
    assert layout.listing_url(date(2020, 2, 1)) == "https://s0.example/date/2020/2/1.html"


def test_values_are_decoded_once() -> None:
    """Durations are timedeltas, the time zone a ZoneInfo, an empty string switches an optional
    setting off; the start-up log writes them back as the file does."""
    settings = settings_from_mapping(
        {"schedule": {"interval": "2h"}, "database": {"outage_timeout": "90s"},
         "http": {"proxy": ""}, "site": {"timezone": "Europe/Paris"}}
    )  # fmt: skip
    assert settings.site.schedule.interval == timedelta(hours=2)
    assert settings.database.outage_timeout == timedelta(seconds=90)
    assert settings.site.timezone.key == "Europe/Paris"
    assert settings.http.proxy is None
    shown = settings.masked()
    assert shown["schedule"]["interval"] == "2h" and shown["database"]["outage_timeout"] == "90s"
    assert shown["sites"][0]["timezone"] == "Europe/Paris"


def test_masked_settings_hide_the_database_password() -> None:
    """The start-up log never shows the password."""
    settings = settings_from_mapping({"database": {"url": "postgresql://u:secret@h/db"}})
    assert "secret" not in str(settings.masked())


def test_reading_commands_may_name_a_site_stored_but_not_configured() -> None:
    """The demo's site is in the database, not the config: health and coverage may name it."""
    settings = settings_from_mapping(_sites({}))
    (stored,) = settings.select_sites(["etilaf-sample"], stored=["etilaf-sample"])
    assert stored.name == "etilaf-sample"
    both = settings.select_sites(["s0", "etilaf-sample"], stored=["etilaf-sample", "s0"])
    assert [s.name for s in both] == ["s0", "etilaf-sample"]
    with pytest.raises(ConfigError):
        settings.select_sites(["etilaf-sample"])
    # A name neither configured nor stored is refused, naming the sites there are.
    with pytest.raises(ConfigError, match="configured: s0; stored in the database: etilaf-sample"):
        settings.select_sites(["etilaf-sampel"], stored=["etilaf-sample"])
