"""A site's layouts over time: the seed site moved from Joomla + K2 to WordPress, and one site
name, one archive, spans the move. The sample site serves both markups; the config switches
on one date."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest import crawl
from ingest.crawl import RunSummary
from ingest.domain import RunStatus
from ingest.errors import ConfigError
from ingest.inspection import inspect_site
from ingest.settings import Settings, settings_from_mapping
from ingest.store.engine import Database
from tests.support import archive
from tests.support.archive import Row
from tests.support.sample_site import SampleSiteServer
from tests.support.settings import loopback_settings

FIRST, SWITCH, LAST = date(2020, 2, 1), date(2020, 2, 7), date(2020, 2, 14)
Key = tuple[date, str]


def configure(server: SampleSiteServer, tmp_path: Path, url: str) -> Settings:
    table = {"name": "etilaf", "base_url": server.base_url, "layouts": [
        {"layout": "k2", "listing_path": server.listing_path, "until": SWITCH},
        {"layout": "wordpress", "listing_path": server.wordpress_listing_path},
    ]}  # fmt: skip
    return loopback_settings(tmp_path, url, table)


def stored(database: Database) -> dict[Key, Row]:
    return archive.stored(database, "etilaf")


def truth(server: SampleSiteServer) -> dict[Key, Row]:
    """Each day as its own markup tells it: K2's up to the switch, WordPress's after."""
    site, base_url = server.site, server.base_url
    return {
        **archive.expected(site, base_url, FIRST, SWITCH, flavour="k2"),
        **archive.expected(site, base_url, SWITCH + timedelta(days=1), LAST, flavour="wordpress"),
    }


def test_one_site_spans_a_change_of_cms_exactly(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    settings = configure(server, tmp_path, database_url)
    (outcome,) = crawl.backfill(settings, database, FIRST, LAST)
    assert isinstance(outcome, RunSummary) and outcome.status is RunStatus.SUCCEEDED
    want = truth(server)
    assert stored(database) == want
    # Each layout asked for its own pages only.
    paths = [r.path for r in server.requests]
    k2_days = [p for p in paths if p.startswith("/date/")]
    wordpress_days = [p for p in paths if p.startswith("/2020/")]
    assert len(k2_days) >= (SWITCH - FIRST).days + 1
    assert all(not p.startswith("/date/2020/2/8.") for p in k2_days)
    assert any(p.startswith("/2020/02/08/") for p in wordpress_days)
    assert not any(p.startswith("/2020/02/07/") for p in wordpress_days)
    # The archive read again picks each day's layout the same way.
    requests = len(server.requests)
    (again,) = crawl.reparse(settings, database, FIRST, LAST)
    assert isinstance(again, RunSummary) and again.status is RunStatus.SUCCEEDED
    assert len(server.requests) == requests
    assert stored(database) == want


def test_inspect_shows_the_layout_a_day_uses(server: SampleSiteServer, tmp_path: Path) -> None:
    site = configure(server, tmp_path, f"sqlite:///{tmp_path / 'x.db'}").site
    assert site.layout == "wordpress"  # the current one
    assert inspect_site(site, day=SWITCH).layout == "k2"
    assert inspect_site(site, day=SWITCH.replace(day=8)).layout == "wordpress"


@pytest.mark.parametrize(
    ("layouts", "error"),
    [
        ([{"layout": "k2"}, {"layout": "wordpress"}],
         r"sites\[0\]\.layouts\[0\]\.until: required on every layout but the last"),
        ([{"layout": "k2", "until": SWITCH}, {"layout": "wordpress", "until": LAST}],
         r"sites\[0\]\.layouts\[1\]\.until: the last layout reads every later day"),
        ([{"layout": "k2", "until": LAST}, {"layout": "k2", "until": SWITCH},
          {"layout": "wordpress"}],
         r"sites\[0\]\.layouts\[1\]\.until: 2020-02-07 is not after 2020-02-14"),
        ([{"layout": "selectors", "listing_path": "/{date}", "until": SWITCH,
           "selectors": {"item": "li"}}, {"layout": "wordpress"}],
         r"sites\[0\]\.layouts\[0\]\.selectors"),
    ],
    ids=["until-missing", "last-has-until", "out-of-order", "bad-selectors"],
)  # fmt: skip
def test_layouts_over_time_are_checked_at_load(layouts: list[Any], error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        settings_from_mapping(
            {"sites": [{"name": "x", "base_url": "https://x.example", "layouts": layouts}]}
        )
    with pytest.raises(ConfigError, match=r"layout and sites\[0\]\.layouts are both given"):
        settings_from_mapping(
            {"sites": [{"name": "x", "base_url": "https://x.example", "layout": "k2",
                        "layouts": [{"layout": "wordpress"}]}]}
        )  # fmt: skip
