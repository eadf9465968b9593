"""Settings: defaults, precedence, and one clear error per bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import ConfigError
from ingest.settings import Settings, load_settings, parse_duration, settings_from_mapping

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_file_equals_builtin_defaults() -> None:
    """config/ingest.toml documents the defaults; it must never drift from them."""
    loaded = load_settings(ROOT / "config" / "ingest.toml", {})
    assert {**vars(loaded), "source": ""} == {**vars(Settings()), "source": ""}


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


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"site": {"nmae": "x"}}, "unknown config key site.nmae"),
        ({"sight": {}}, "unknown config section [sight]"),
        ({"http": {"concurrency": "4"}}, "http.concurrency must be an integer"),
        ({"http": {"concurrency": 0}}, "http.concurrency must be greater than 0"),
        ({"http": {"max_attempts": True}}, "http.max_attempts must be an integer"),
        ({"site": {"base_url": "en.etilaf.org"}}, "site.base_url must be an http(s) URL"),
        (
            {"site": {"listing_path": "/date/{year}/{month}.html"}},
            "site.listing_path must name the day",
        ),
        ({"site": {"listing_path": "/date/{yaer}/{month}/{day}"}}, "unknown field {yaer}"),
        ({"site": {"timezone": "Mars/Olympus"}}, "site.timezone"),
        ({"logging": {"format": "xml"}}, "logging.format must be one of"),
        ({"schedule": {"interval": "soon"}}, "schedule.interval"),
        ({"database": {"url": "not a url"}}, "database.url"),
        ({"http": {"proxy": "proxy.internal:3128"}}, "http.proxy must be an http(s) URL"),
    ],
)
def test_bad_config_names_the_key(data: dict[str, object], message: str) -> None:
    """Each bad value is refused with a message naming its key."""
    with pytest.raises(ConfigError) as info:
        settings_from_mapping(data)
    assert message in str(info.value)


def test_listing_path_with_date_field_and_query() -> None:
    """{date:...} alone names the day, and a query survives formatting."""
    from datetime import date

    s = settings_from_mapping({"site": {"listing_path": "/d/{date:%Y-%m-%d}?catid=16"}})
    assert s.site.listing_url_for(date(2020, 2, 1)) == "https://en.etilaf.org/d/2020-02-01?catid=16"


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
