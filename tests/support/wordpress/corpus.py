"""The posts a real WordPress is filled with for the layout tests: a deterministic corpus whose
every entry is an edge case a news archive meets (see ``POSTS``).

The site's zone is Asia/Damascus in 2020, when Syria still kept summer time: clocks went from
00:00 to 01:00 on 27 March (midnight did not exist) and from 24:00 back to 23:00 on 29 October
(23:00-23:59 happened twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

TIMEZONE = "Asia/Damascus"
POSTS_PER_PAGE = 3
# The two windows the tests crawl; every post lies in one of them.
SPRING = (date(2020, 3, 20), date(2020, 4, 2))
AUTUMN = (date(2020, 10, 26), date(2020, 11, 2))
CATEGORIES = ("Coalition News", "Local News", "Statements")

_CAPTION = (
    '[caption id="attachment_7" align="alignnone" width="300"]'
    '<img class="size-medium wp-image-7" src="/wp-content/uploads/2020/03/meeting.jpg" '
    'alt="The meeting" width="300" height="200" /> Members of the political committee'
    "[/caption]\n\n"
)


def _paragraphs(*texts: str) -> str:
    """Post content as the classic editor saves it: paragraphs separated by blank lines
    (``wpautop`` makes them ``<p>`` elements when the post is shown)."""
    return "\n\n".join(texts)


@dataclass(frozen=True)
class Post:
    title: str
    date: str  # post_date: the site's local wall time, as an editor types it
    content: str
    categories: tuple[str, ...] = ("Coalition News",)
    status: str = "publish"  # draft, private, future, trash: never public
    notes: tuple[str, ...] = field(default=(), compare=False)


def _news(title: str, when: str, *paragraphs: str, **kwargs: object) -> Post:
    body = paragraphs or (f"{title}. The Coalition said so in a statement on its website.",)
    return Post(title, when, _paragraphs(*body), **kwargs)  # type: ignore[arg-type]


POSTS: tuple[Post, ...] = (
    # 20 March: one post at the first second of the day.
    _news("Political committee opens its spring session", "2020-03-20 00:00:00"),
    # 21 March: no posts (the archive answers 404).
    # 22 March: a busy day, seven posts over three archive pages.
    _news("President meets the envoy in Geneva", "2020-03-22 08:00:00"),
    _news(
        "Q&A: what's next for the constitutional committee?",
        "2020-03-22 09:15:00",
        "Members answered questions about the committee's next round.",
        'The spokesman said: "We are ready" - and the envoy agreed.',
        categories=("Coalition News", "Statements"),
    ),
    Post(
        "Photo report: the committee at work",
        "2020-03-22 10:30:00",
        _CAPTION
        + _paragraphs(
            "The committee met for three days.",
            "<ul>\n<li>Detainees</li>\n<li>Refugees' return</li>\n<li>Elections</li>\n</ul>",
            "The next meeting is planned for April.",
        ),
        categories=("Local News",),
    ),
    _news("Humanitarian aid enters northern Syria", "2020-03-22 12:00:00"),
    _news("Statement on the shelling of Maarat al-Numan", "2020-03-22 14:45:00"),
    _news("Coalition welcomes the ceasefire agreement", "2020-03-22 17:20:00"),
    _news("Interim government opens a new hospital", "2020-03-22 20:05:00"),
    # 23 March: the first and the last second of the day.
    _news("Morning briefing at midnight", "2020-03-23 00:00:00"),
    _news("Last word of the day", "2020-03-23 23:59:59"),
    # 24 March: one story posted twice: one record, the one the archive lists first (newest).
    _news(
        "Coalition condemns attack on civilians",
        "2020-03-24 09:00:00",
        "First version, posted in the morning.",
    ),
    _news(
        "Coalition condemns attack on civilians",
        "2020-03-24 15:00:00",
        "Second version, posted in the afternoon.",
    ),
    # 25 March: titles beyond ASCII; wptexturize turns quotes and dashes into typographic ones.
    _news("الائتلاف الوطني يدين القصف على إدلب", "2020-03-25 10:00:00"),
    _news("Aid convoy reaches Idlib 🚚 – “finally”", "2020-03-25 11:00:00"),
    _news("It's the Coalition's view: 5 > 3 & 2 < 4", "2020-03-25 12:00:00"),
    # 26 March: one public post beside a draft and a private post.
    _news("Public statement on detainees", "2020-03-26 12:00:00"),
    _news("Draft: not yet written", "2020-03-26 13:00:00", status="draft"),
    _news("Private note for members", "2020-03-26 14:00:00", status="private"),
    # 27 March: clocks skip from 00:00 to 01:00. A post dated at the missing midnight, one at
    # 03:30 (its UTC time, 00:30, is a wall time that does not exist in the zone, which is what
    # the REST API's date_gmt trips on), and one at the end of the day.
    _news("Clocks go forward: midnight edition", "2020-03-27 00:00:00"),
    _news("Early news after the clock change", "2020-03-27 03:30:00"),
    _news("End of the short day", "2020-03-27 23:59:59"),
    # 28 March: only a scheduled post whose time passed with no cron run, and a trashed one.
    _news("Scheduled: weekly summary", "2020-03-28 09:00:00", status="future"),
    _news("Trashed by mistake", "2020-03-28 10:00:00", status="trash"),
    _news("Coalition delegation visits Gaziantep", "2020-03-29 11:00:00"),
    # 30 March: nothing.
    _news("Local council elections in Azaz", "2020-03-31 09:30:00", categories=("Local News",)),
    _news("Statement on the displaced in Idlib", "2020-04-01 16:00:00"),
    _news("Spring window closes", "2020-04-02 18:00:00"),
    _news("Autumn window opens", "2020-10-26 10:00:00"),
    _news("Coalition meets civil society groups", "2020-10-28 13:00:00"),
    # 29 October: 23:00-23:59 happens twice; WordPress reads such a time as the second one.
    _news("Midnight news on the long day", "2020-10-29 00:00:00"),
    _news("Evening statement", "2020-10-29 22:30:00"),
    _news("Late statement in the repeated hour", "2020-10-29 23:30:00"),
    _news("Last second of the long day", "2020-10-29 23:59:59"),
    _news("First news after the long night", "2020-10-30 00:00:00"),
    # 31 October: nothing.
    _news("Four stories: the first", "2020-11-01 08:00:00", categories=("Local News",)),
    _news("Four stories: the second", "2020-11-01 10:00:00"),
    _news("Four stories: the third", "2020-11-01 12:00:00", categories=("Statements",)),
    _news("Four stories: the fourth", "2020-11-01 14:00:00"),
    # 2 November: edited after the first crawl (see EDIT).
    _news(
        "Statement on the Geneva talks",
        "2020-11-02 09:00:00",
        "The Coalition takes part in the talks.",
    ),
)

# The post (by title) the tests edit after their first crawl, and its new content.
EDITED_TITLE = "Statement on the Geneva talks"
EDITED_CONTENT = _paragraphs(
    "The Coalition takes part in the talks.",
    "Update: the talks were postponed by a week.",
)
