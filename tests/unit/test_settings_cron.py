"""A cron schedule is checked when the settings load, without APScheduler (health loads the
settings on every probe): every crontab the settings take, the daemon's CronTrigger takes."""

from __future__ import annotations

import random

import pytest
from apscheduler.triggers.cron import CronTrigger

from ingest.errors import ConfigError
from ingest.settings import settings_from_mapping
from ingest.settings.cron import check_crontab

# Field values, good and bad, for every field: numbers in and out of each field's bounds,
# ranges, steps, lists, month and weekday names, "last", and mistakes.
TERMS = (
    "*", "*/1", "*/5", "*/0", "*/6", "*/7", "*/11", "*/12", "*/23", "*/24", "*/30", "*/31",
    "*/59", "*/60", "0", "1", "5", "6", "7", "12", "13", "23", "24", "31", "32", "59", "60",
    "1-5", "5-1", "0-6", "1-7", "0-59", "0-60", "1-31", "1-12", "0-23", "1-5/2", "1-5/4",
    "1-5/5", "5/10", "5/55", "70/5", "3/0", "1,2", "1,,2", "1-3,7", "05", "jan", "dec",
    "Jan", "jan-jun", "jun-jan", "jan-jun/2", "janx", "mon", "sun", "MON", "mon-fri",
    "fri-mon", "mon,wed", "last", "LAST", "l", "?", "1-", "-1", "a", "x/5", "5/", "*/", "**",
)  # fmt: skip


def accepted_by_settings(expression: str) -> bool:
    try:
        settings_from_mapping({"schedule": {"cron": expression}})
    except ConfigError as exc:
        assert "is not a crontab expression" in str(exc)
        return False
    return True


def accepted_by_apscheduler(expression: str) -> bool:
    try:
        CronTrigger.from_crontab(expression)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    "expression",
    ["*/5 * * * *", "0 3 * * *", "30 2 1 * *", "0 0 last * *", "0 */2 * jan-mar mon-fri",
     "15 6,18 * * sun", "0 0 1-7 * mon"],
)  # fmt: skip
def test_usual_crontabs_are_taken(expression: str) -> None:
    assert accepted_by_settings(expression) and accepted_by_apscheduler(expression)


@pytest.mark.parametrize(
    "expression",
    ["nope", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *",
     "* * * * 7", "*/0 * * * *", "5-1 * * * *", "* * * foo *"],
)  # fmt: skip
def test_mistakes_are_refused_as_apscheduler_refuses_them(expression: str) -> None:
    assert not accepted_by_settings(expression) and not accepted_by_apscheduler(expression)


def test_every_crontab_the_settings_take_the_daemon_takes() -> None:
    """Each of TERMS in each field (the others "*"), and lists of two: none the settings take
    is refused by APScheduler, and the settings refuse few, if any, that APScheduler takes."""
    rng = random.Random(22)
    values = [*TERMS, *(f"{rng.choice(TERMS)},{rng.choice(TERMS)}" for _ in range(60))]
    expressions = [
        " ".join(value if i == field else "*" for i in range(5))
        for field in range(5)
        for value in values
    ]
    verdicts = [(e, accepted_by_settings(e), accepted_by_apscheduler(e)) for e in expressions]
    assert [e for e, ours, theirs in verdicts if ours and not theirs] == []
    stricter = [e for e, ours, theirs in verdicts if theirs and not ours]
    assert len(stricter) <= len(expressions) // 50, stricter
    assert sum(ours for _, ours, _ in verdicts) > 100, "valid crontabs are drawn too"


# The check itself (ingest.settings.cron) against APScheduler, expression by expression.
EXPRESSIONS = [
    "* * * * *", "*/5 * * * *", "0 3 * * *", "15,45 8-18 * * mon-fri", "0 0 1 jan,jul *",
    "0 12 last * *", "30 2 */2 * sun", "0 9-17/2 * * 0-4", "5/15 * * * *", "0 0 29 2 *",
    "0 0 * * 7", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "*/0 * * * *",
    "*/60 * * * *", "5-1 * * * *", "* * * * monday", "* * * * mon-frx", "* * * foo *",
    "* * * *", "* * * * * *", "1,,2 * * * *", "a * * * *", "* * lastday * *",
    "0 0 * * MON", "0 0 1 DEC *", "0-59/59 * * * *", "0-59/60 * * * *", "50/10 * * * *",
    "", "nope",
]  # fmt: skip


def ours_accepts(expression: str) -> bool:
    try:
        check_crontab(expression)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_the_crontab_check_reads_as_apscheduler_reads(expression: str) -> None:
    assert ours_accepts(expression) == accepted_by_apscheduler(expression)
