"""What a fetch gives back: the page, and the run's fetch counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ingest.domain import Captured, WarcLocation


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched page: the final URL after in-site redirects, and its body."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]  # case-insensitive names
    attempts: int
    # The archive's taking down of this answer as it arrived; None with the archive off.
    kept: Kept | None = None

    @property
    def captured(self) -> Captured | None:
        """How the archive keeps this answer (its records written now if they are not yet);
        None with the archive off."""
        return self.kept.result() if self.kept is not None else None

    @property
    def warc(self) -> WarcLocation | None:
        """Where the archive keeps this answer's payload; None with the archive off."""
        return self.captured.location if self.captured is not None else None

    @property
    def charset(self) -> str:
        """The charset the Content-Type names; UTF-8 when it names none."""
        charset = "utf-8"
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip("\"'")
        return charset

    @property
    def text(self) -> str:
        try:
            return self.body.decode(self.charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    @property
    def markup(self) -> str | bytes:
        """The body for a layout's parser: the bytes themselves when they are valid UTF-8 and
        the charset is UTF-8 (every layout reads such bytes exactly as it reads ``text``, and
        the HTML parser a third faster), else ``text``."""
        if self.charset.lower() in ("utf-8", "utf8"):
            try:
                self.body.decode("utf-8")
            except UnicodeDecodeError:
                return self.text
            return self.body
        return self.text


class Kept(Protocol):
    """An answer taken down by the archive (``archive.Exchange``), its records written later:
    in the parse thread's next turn, or when ``result`` is asked first."""

    def result(self) -> Captured: ...


class Capture(Protocol):
    """Where every answer goes as it arrived (``archive.WarcFiles``): redirects, errors and
    304s included. Taking one down costs little; building and writing its records is left
    to the archive's turn."""

    def response(
        self,
        url: str,
        request_headers: Mapping[str, str],
        status: int,
        response_headers: Iterable[tuple[str, str]],
        payload: bytes,
        fetched_at: datetime,
        truncated: bool = False,
    ) -> Kept: ...


@dataclass(slots=True)
class FetchStats:
    """What the fetcher did in one run; the run record copies these."""

    pages_fetched: int = 0
    pages_failed: int = 0
    pages_not_modified: int = 0
