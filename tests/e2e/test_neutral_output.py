"""Text a hostile site plants reaches people inert: a real crawl of a loopback site stores
escape sequences, controls, bidi overrides, spreadsheet formulas and Slack markup, then the real
commands read it back. Terminals get no control character, spreadsheets no formula, the SVG
parses, Slack gets its markup escaped; the JSON lines export stays exact."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ingest import alerts
from ingest.crawl import backfill
from ingest.domain import RunKind, RunStatus
from ingest.health import check_sites
from ingest.metrics import MetricsCollector, serve_metrics
from ingest.settings import load_settings, settings_from_mapping
from ingest.store import runs
from ingest.store.engine import Database
from tests.support.cli import ingest
from tests.support.servers import Reply, ScriptedServer, Seen
from tests.support.webhook import Receiver

# Clear the screen, set the window title, an OSC 8 hyperlink, a C1 CSI, a right-to-left
# override, DEL and a C0 control: what a terminal would act on.
PAYLOAD = (
    "\x1b]0;pwned\x07\x1b[2J\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"
    "\x9b31m\u202eRTL\x7f\x01"
)
# Anything a terminal acts on, in what the commands print (their own colour is off: a pipe).
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
GOOD_DAY, BAD_DAY = date(2020, 2, 1), date(2020, 2, 2)
# Formulas a spreadsheet would run, as the titles of the good day's posts.
FORMULAS = ('=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(1+1)")
# What the bad day's API error says: Slack markup (entities, as WordPress escapes its messages).
SLACK_MARKUP = "&lt;!channel&gt; &lt;http://evil.example|click&gt; R&amp;D"


def post(number: int, title: str) -> dict[str, object]:
    return {
        "title": {"rendered": title},
        "link": f"/post/{number}",
        "date": "2020-02-01T10:00:00",
        "date_gmt": "2020-02-01T09:00:00",
        "content": {"rendered": f"<p>{title} body {PAYLOAD}</p>"},
        "_embedded": {"wp:term": [[{"taxonomy": "category", "name": f"@news{PAYLOAD}"}]]},
    }


def posts(seen: Seen) -> Reply:
    """The REST posts endpoint: the good day's posts carry the payload and the formulas; on the
    bad day the API answers an error whose code and message carry it (the date fails)."""
    day = date.fromisoformat(parse_qs(urlsplit(seen.path).query)["after"][0][:10])
    json_type = {"Content-Type": "application/json"}
    if day.toordinal() + 1 == GOOD_DAY.toordinal():
        found = [post(n, f"{formula} {PAYLOAD}") for n, formula in enumerate(FORMULAS)]
        found.append(post(9, f"plain title {PAYLOAD}"))
        return Reply(200, json.dumps(found).encode(), {**json_type, "X-WP-TotalPages": "1"})
    error = {"code": f"<!here>{PAYLOAD}", "message": f"{SLACK_MARKUP} {PAYLOAD}"}
    return Reply(200, json.dumps(error).encode(), json_type)


@pytest.fixture(scope="module")
def site() -> Iterator[ScriptedServer]:
    with ScriptedServer({"/wp-json/wp/v2/posts": posts}) as running:
        yield running


def site_table(site: ScriptedServer) -> str:
    return (
        f'name = "hostile"\nbase_url = "{site.base_url}"\nlayout = "wordpress-api"\n'
        'timezone = "Europe/Berlin"\n'
    )


@dataclass(frozen=True)
class Crawled:
    config: Path
    folder: Path
    crawl_output: str  # what both backfills printed, stdout and stderr


@pytest.fixture(scope="module")
def crawled(site: ScriptedServer, tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    """Two backfills through the CLI: the good day (stored), the bad day (failed, its error
    kept), the second with console logging on stderr as a person reads it."""
    folder = tmp_path_factory.mktemp("hostile")
    common = (
        f"[http]\nrequests_per_second = 0\nmax_attempts = 1\n"
        f'[database]\nurl = "sqlite:///{folder / "db.sqlite"}"\n'
        f'[logging]\nfile = "{folder / "ingest.jsonl"}"\n'
    )
    config = folder / "ingest.toml"
    config.write_text(f"[site]\n{site_table(site)}{common}")
    console = folder / "console.toml"
    console.write_text(f'[site]\n{site_table(site)}{common}format = "console"\n')
    good = ingest("--config", str(config), "backfill", "--from", str(GOOD_DAY),
                  "--to", str(GOOD_DAY), cwd=folder)  # fmt: skip
    assert good.returncode == 0, good.stderr
    bad = ingest("--config", str(console), "backfill", "--from", str(BAD_DAY),
                 "--to", str(BAD_DAY), cwd=folder)  # fmt: skip
    assert bad.returncode == 1, bad.stderr
    # A run whose first error starts with site text, where the runs table's cell shows it.
    database = Database.from_url(f"sqlite:///{folder / 'db.sqlite'}")
    try:
        with database.transaction() as tx:
            now = datetime.now(UTC)
            run_id = runs.start_run(tx.connection, site="hostile", kind=RunKind.BACKFILL,
                                    date_from=BAD_DAY, date_to=BAD_DAY, now=now)  # fmt: skip
            runs.finish_run(tx.connection, run_id, status=RunStatus.FAILED,
                            counts=runs.RunCounts(dates_failed=1),
                            error_summary=f"{PAYLOAD} went wrong", now=now)  # fmt: skip
            tx.commit()
    finally:
        database.dispose()
    return Crawled(config, folder, good.stdout + good.stderr + bad.stdout + bad.stderr)


def assert_inert(text: str) -> None:
    found = sorted({f"U+{ord(char):04X}" for char in UNSAFE.findall(text)})
    assert not found, f"printed raw: {found}"


def test_crawl_output_is_inert(crawled: Crawled) -> None:
    """The backfill's summary and its console log on stderr: the failed date's error shown,
    its escape sequences not."""
    assert "the API answered error" in crawled.crawl_output
    assert_inert(crawled.crawl_output)


@pytest.mark.parametrize(
    "command",
    [
        ["runs"],
        ["health"],
        ["logs"],
        ["logs", "--errors"],
        ["coverage"],
        ["inspect", "--date", str(GOOD_DAY)],
        ["inspect", "--date", str(BAD_DAY)],  # the error line on stderr
    ],
    ids=" ".join,
)
def test_reading_commands_print_site_text_inert(crawled: Crawled, command: list[str]) -> None:
    shown = ingest("--config", str(crawled.config), *command, cwd=crawled.folder)
    assert shown.returncode in (0, 1), shown.stderr
    output = shown.stdout + shown.stderr
    assert_inert(output)
    if command[0] != "coverage":  # the calendar prints no site text
        assert "\ufffd" in output, "the site's text is shown, its controls replaced"


def test_healthz_is_inert(crawled: Crawled) -> None:
    """/healthz from the metrics server, over the stored runs: the error shown, inert."""
    settings = load_settings(crawled.config, {})
    database = Database.from_url(settings.database.url)
    server = serve_metrics(
        MetricsCollector(), "127.0.0.1", 0, lambda: check_sites(settings, database)
    )
    try:
        url = f"http://127.0.0.1:{server.server_port}/healthz"
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(url, timeout=10)
        body = answer.value.read().decode()
    finally:
        server.shutdown()
        server.server_close()
        database.dispose()
    assert answer.value.code == 503 and "went wrong" in body and "\ufffd" in body
    assert_inert(body.replace("\n", " "))


def test_coverage_svg_parses(crawled: Crawled) -> None:
    """The failed day's tooltip quotes its error: the characters XML forbids are dropped and
    the markup characters escaped, so the file parses and says what the site said."""
    svg = crawled.folder / "coverage.svg"
    made = ingest("--config", str(crawled.config), "coverage", "--svg", str(svg),
                  cwd=crawled.folder)  # fmt: skip
    assert made.returncode == 0, made.stderr
    root = ET.parse(svg).getroot()
    tips = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
    (failed,) = [tip for tip in tips if tip.startswith(f"{BAD_DAY}: failed")]
    assert "the API answered error '<!here>" in failed and "<!channel>" in failed
    assert "\x1b" not in failed and "\x01" not in failed


def test_csv_export_quotes_formulas_and_jsonl_stays_exact(crawled: Crawled) -> None:
    """CSV: every cell starting like a formula gets a leading quote, the rest as stored; JSON
    lines: the stored text exactly, controls and all."""
    args = ("--config", str(crawled.config), "export", "--site", "hostile")
    as_json = ingest(*args, cwd=crawled.folder)
    as_csv = ingest(*args, "--format", "csv", cwd=crawled.folder)
    assert as_json.returncode == as_csv.returncode == 0
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    titles = sorted(record["title"] for record in records)
    assert titles == sorted([*(f"{f} {PAYLOAD}" for f in FORMULAS), f"plain title {PAYLOAD}"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout, newline="")))
    assert len(rows) == len(records) == 5
    for record, row in zip(records, rows, strict=True):
        for field, value in record.items():
            value = "" if value is None else value
            risky = value[:1] in ("=", "+", "-", "@")
            assert row[field] == ("'" + value if risky else value), field
    assert sum(row["title"].startswith("'") for row in rows) == len(FORMULAS)
    assert all(row["category"].startswith("'@news") for row in rows)


def test_spreadsheet_cell_follows_owasp() -> None:
    """Tab and carriage return too (a crawl trims them from titles; stored data may not)."""
    from ingest.commands.export import spreadsheet_cell

    for risky in ("=1+1", "+1", "-1", "@A1", "\t=1+1", "\r=1+1"):
        assert spreadsheet_cell(risky) == "'" + risky
    for safe in ("plain", "1-2", " =1", "", None):
        assert spreadsheet_cell(safe) == safe


def test_slack_alert_escapes_site_markup(site: ScriptedServer, tmp_path: Path) -> None:
    """A failed run's error quotes the site's ``<!channel>`` and ``<url|text>``: the Slack
    payload a real loopback webhook receives has them escaped, as Slack's docs ask."""
    receiver = Receiver()
    database_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    settings = settings_from_mapping(
        {
            "site": {"name": "hostile", "base_url": site.base_url, "layout": "wordpress-api",
                     "timezone": "Europe/Berlin"},
            "http": {"requests_per_second": 0.0, "max_attempts": 1},
            "database": {"url": database_url},
            "logging": {"file": str(tmp_path / "ingest.jsonl")},
            "archive": {"dir": str(tmp_path / "warc")},
            "alerts": {"url": receiver.url, "format": "slack", "after_failures": 1,
                       "max_attempts": 1, "timeout_seconds": 5.0},
        }
    )  # fmt: skip
    from ingest.store.opening import open_database

    database = open_database(database_url, access="crawl")
    try:
        (outcome,) = backfill(settings, database, BAD_DAY, BAD_DAY, force=True)
        assert getattr(outcome, "status") is RunStatus.FAILED  # noqa: B009
        (delivery,) = alerts.check_and_notify(settings, database, now=datetime.now(UTC))
    finally:
        database.dispose()
        receiver.close()
    assert delivery.sent
    (body,) = receiver.bodies
    texts = [body["text"], body["blocks"][0]["text"]["text"]]
    for text in texts:
        assert "&lt;!channel&gt; &lt;http://evil.example|click&gt; R&amp;D" in text
        assert "&lt;!here&gt;" in text
        assert "<!" not in text and "<http" not in text and "R&D" not in text
