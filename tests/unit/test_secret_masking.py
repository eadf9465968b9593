"""The one masking function, the net behind it, and the settings that feed them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import String
from sqlalchemy.engine import make_url

from ingest import secrets
from ingest.errors import ConfigError
from ingest.secrets import mask_url, redact, split_database_url
from ingest.settings import load_settings, settings_from_mapping
from ingest.settings.loading import SITE_NAME_MAX_LENGTH
from ingest.store.tables import metadata


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    yield
    secrets.remember()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:secret@h/db", "postgresql://u:***@h/db"),
        # A raw / and : in the password, as SQLAlchemy accepts them.
        ("postgresql+psycopg://u:pa/ss:w@h:5432/db", "postgresql+psycopg://u:***@h:5432/db"),
        ("postgresql://u:p%40ss%25w@h/db", "postgresql://u:***@h/db"),
        # A raw @ (refused by the settings): masked up to the last @, never shown as a host.
        ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),
        ("http://scout:a%2Fb%3Ac%40d%25@proxy:3128", "http://scout:***@proxy:3128"),
        ("http://proxy:3128", "http://proxy:3128"),
        ("postgresql://ingest@h/db", "postgresql://ingest@h/db"),
        ("postgresql://h/db?user=u&password=s3cret&sslmode=require",
         "postgresql://h/db?user=u&password=***&sslmode=require"),
        ("sqlite:////srv/a@b/ingest.db", "sqlite:////srv/a@b/ingest.db"),
        ("sqlite:///data/ingest.db", "sqlite:///data/ingest.db"),
    ],
)  # fmt: skip
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_a_webhook_is_a_secret_as_a_whole() -> None:
    assert mask_url("https://hooks.slack.com/services/T0/B0/tok", whole=True) == "https://***"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:secret@h/db",
        "postgresql+psycopg://u:pa/ss:w@h:5432/db",
        "postgresql://u:p%40ss%25w@h:6543/db?sslmode=require",
        "postgresql://u@h/db",
        "postgresql://h",
        "postgresql://u:p@ss@h/db",
        "postgresql://[::1]:5432/db",
        "sqlite:///relative/ingest.db",
        "sqlite:////absolute/ingest.db",
        "sqlite://",
    ],
)
def test_the_split_is_sqlalchemys(url: str) -> None:
    """Where the settings look for a password and a port is where SQLAlchemy takes them."""
    parts = split_database_url(url)
    parsed = make_url(url)
    assert parts is not None
    assert parts.username == parsed.username
    assert (parts.password and unquote(parts.password)) == parsed.password
    assert parts.host == parsed.host
    assert (int(parts.port) if parts.port else None) == parsed.port
    assert (parts.database and unquote(parts.database)) == (parsed.database or None)


def test_redact_finds_every_spelling_of_a_remembered_secret() -> None:
    secrets.remember(
        urls=["postgresql://u:Ab/cd:ef%40gh%25ij@h/db", "http://p:Px%2Fy%3Az@proxy:1"],
        whole_urls=["https://hooks.example/T0/B0/tok3n"],
    )
    for text in (
        "Ab/cd:ef@gh%ij",
        "Ab/cd:ef%40gh%25ij",
        "Ab%2Fcd%3Aef%40gh%25ij",
        "Px/y:z",
        "Px%2Fy%3Az",
        "posting to https://hooks.example/T0/B0/tok3n failed",
        "404 for /T0/B0/tok3n",
    ):
        shown = redact(f"before {text} after")
        assert shown.startswith("before ") and shown.endswith(" after"), shown
        for part in ("Ab/cd", "gh%", "Px", "tok3n"):
            assert part not in shown, shown


def test_redact_masks_any_url_password_in_a_text() -> None:
    """Even one the settings did not name (a library's message quoting a URL)."""
    shown = redact("cannot connect to http://bob:hunter2@proxy.internal:3128 (refused)")
    assert shown == "cannot connect to http://bob:***@proxy.internal:3128 (refused)"
    assert redact("see https://example.org/@someone") == "see https://example.org/@someone"


def test_a_short_secret_is_masked_in_urls_but_not_hunted_in_text() -> None:
    secrets.remember(urls=["postgresql://u:ab@h/db"])
    assert redact("a tab and a cab") == "a tab and a cab"
    assert mask_url("postgresql://u:ab@h/db") == "postgresql://u:***@h/db"


def test_masked_settings_hide_every_credential() -> None:
    settings = settings_from_mapping(
        {
            "database": {"url": "postgresql://u:Db/pass:w@h/db"},
            "http": {"proxy": "http://p:Top%2Fproxy@proxy:3128"},
            "sites": [
                {"name": "a", "base_url": "https://a.example"},
                {
                    "name": "b",
                    "base_url": "https://b.example",
                    "http": {"proxy": "http://p:Site%40proxy@proxy:3128"},
                },
            ],
            "alerts": {"url": "https://hooks.example/T0/B0/Hook"},
        }
    )
    shown = str(settings.masked())
    for secret in ("Db/pass", "Top", "Site", "Hook", "B0"):
        assert secret not in shown
    assert "http://p:***@proxy:3128" in shown and "postgresql://u:***@h/db" in shown


def test_loading_the_settings_remembers_their_secrets(tmp_path: Path) -> None:
    config = tmp_path / "ingest.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(config, {"INGEST_DATABASE_URL": "postgresql://u:Rem/ember@h/db"})
    assert settings.database.url.endswith("@h/db")
    assert redact("the password Rem/ember") == "the password ***"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://u@h:notaport/db", "the port 'notaport' is not a number from 1 to 65535"),
        ("postgresql://u@h:70000/db", "the port '70000' is not a number from 1 to 65535"),
        ("postgresql://u:p@ss@h/db", "write an '@' in the user name or password as %40"),
        ("not a url", "is not a database URL"),
    ],
)
def test_a_database_url_sqlalchemy_would_misread_is_refused(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({"database": {"url": url}})
    message = str(caught.value)
    assert message.startswith("database.url") and says in message
    assert "ss@h" not in message


def test_a_site_name_is_as_long_as_the_database_holds() -> None:
    """Every column holding a site name is as long as the settings allow, no shorter."""
    lengths = {
        column.type.length
        for table in metadata.tables.values()
        for column in table.columns
        if column.name == "site" and isinstance(column.type, String)
    }
    assert lengths == {SITE_NAME_MAX_LENGTH}
    site = {"base_url": "https://a.example"}
    settings_from_mapping({"site": {**site, "name": "n" * SITE_NAME_MAX_LENGTH}})
    with pytest.raises(ConfigError, match=r"^site.name is 101 characters long: at most 100$"):
        settings_from_mapping({"site": {**site, "name": "n" * 101}})
    with pytest.raises(ConfigError, match=r"control characters"):
        settings_from_mapping({"site": {**site, "name": "a\x00b"}})


def test_a_traceback_in_the_log_holds_no_secret(tmp_path: Path) -> None:
    """An exception logged with its traceback, its message quoting the password: neither the
    log file nor the stream holds it (redaction is the pipeline's last step)."""
    import io

    import structlog

    from ingest.logs import close_logging, configure_logging
    from ingest.settings import LoggingSettings

    secrets.remember(urls=["postgresql://u:Tr4ce/back@h/db"])
    stream = io.StringIO()
    log_file = tmp_path / "ingest.jsonl"
    configure_logging(LoggingSettings(file=str(log_file), format="console"), stream=stream)
    try:
        try:
            raise ValueError("connect to postgresql://u:Tr4ce%2Fback@h/db failed: Tr4ce/back")
        except ValueError:
            structlog.get_logger("test").exception("internal_error", url="u:Tr4ce/back")
    finally:
        close_logging()
        structlog.reset_defaults()
    written = log_file.read_text(encoding="utf-8") + stream.getvalue()
    assert "internal_error" in written and "Traceback" in written
    assert "Tr4ce" not in written
