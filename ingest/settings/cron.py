"""Crontab expressions checked as APScheduler 3's ``CronTrigger.from_crontab`` reads them,
without importing APScheduler: loading the settings must stay light (``ingest health``, what a
probe runs, loads them too). The daemon builds the trigger itself.

Five fields (minute, hour, day of month, month, day of week), each a comma-separated list of
``*``, ``*/STEP``, ``N``, ``N-M``, ``N-M/STEP`` or ``N/STEP``; month and day-of-week names
(``jan``, ``mon-fri``); ``last`` for the day of month. As in APScheduler 3, day of week 0 is
Monday. A test holds this reading against APScheduler's own.
"""

from __future__ import annotations

import re

# (field, lowest, highest) in crontab order.
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12),
           ("day_of_week", 0, 6))  # fmt: skip
_ALL = re.compile(r"\*(?:/(?P<step>\d+))?$")
_RANGE = re.compile(r"(?P<first>\d+)(?:-(?P<last>\d+))?(?:/(?P<step>\d+))?$")
# Names and ``last`` are matched at the start only, as APScheduler 3 matches them.
_NAMES = re.compile(r"(?P<first>[a-z]+)(?:-(?P<last>[a-z]+))?", re.IGNORECASE)
_LAST = re.compile(r"last", re.IGNORECASE)
_SEPARATOR = re.compile(" *, *")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def check_crontab(expression: str) -> None:
    """Raise ValueError saying what is wrong when APScheduler would refuse ``expression``."""
    values = expression.split()
    if len(values) != 5:
        raise ValueError(f"Wrong number of fields; got {len(values)}, expected 5")
    for (name, low, high), value in zip(_FIELDS, values, strict=True):
        for part in _SEPARATOR.split(value.strip()):
            _check_part(part, name, low, high)


def _check_part(part: str, field: str, low: int, high: int) -> None:
    if all_match := _ALL.match(part):
        step = _step(all_match["step"])
        if step and step > high - low:
            raise _out_of_range(part, f"the step value ({step}) is higher than the total "
                                      f"range of the expression ({high - low})")  # fmt: skip
        return
    if range_match := _RANGE.match(part):
        first, step = int(range_match["first"]), _step(range_match["step"])
        last = int(range_match["last"]) if range_match["last"] is not None else None
        if last is None and step is None:
            last = first
        _check_range(part, first, last, step, low, high)
        return
    names = {"month": _MONTHS, "day_of_week": _WEEKDAYS}.get(field)
    if names is not None and (name_match := _NAMES.match(part)):
        offset = 1 if field == "month" else 0
        first = _named(name_match["first"], names, field) + offset
        last = (
            first if not name_match["last"] else _named(name_match["last"], names, field) + offset
        )
        _check_range(part, first, last, None, low, high)
        return
    if field == "day" and _LAST.match(part):
        return
    raise ValueError(f'Unrecognized expression "{part}" for field "{field}"')


def _step(text: str | None) -> int | None:
    if text is None:
        return None
    if int(text) == 0:
        raise ValueError("Increment must be higher than 0")
    return int(text)


def _named(name: str, names: tuple[str, ...], field: str) -> int:
    try:
        return names.index(name.lower())
    except ValueError:
        kind = "month" if field == "month" else "weekday"
        raise ValueError(f'Invalid {kind} name "{name}"') from None


def _check_range(
    part: str, first: int, last: int | None, step: int | None, low: int, high: int
) -> None:
    if last is not None and first > last:
        raise ValueError("The minimum value in a range must not be higher than the maximum")
    if first < low:
        raise _out_of_range(part, f"the first value ({first}) is lower than the minimum value "
                                  f"({low})")  # fmt: skip
    if last is not None and last > high:
        raise _out_of_range(part, f"the last value ({last}) is higher than the maximum value "
                                  f"({high})")  # fmt: skip
    span = (last or high) - first
    if step and step > span:
        raise _out_of_range(part, f"the step value ({step}) is higher than the total range of "
                                  f"the expression ({span})")  # fmt: skip


def _out_of_range(part: str, reason: str) -> ValueError:
    return ValueError(f"Error validating expression {part!r}: {reason}")
