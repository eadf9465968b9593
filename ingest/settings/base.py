"""What every settings table shares: a frozen msgspec struct refusing unknown keys, and the
bounded numbers the tables' fields use."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

Positive = Annotated[int, Meta(ge=1)]
PositiveFloat = Annotated[float, Meta(gt=0)]
NonNegative = Annotated[int, Meta(ge=0)]
NonNegativeFloat = Annotated[float, Meta(ge=0)]
LayoutName = Literal["k2", "wordpress", "wordpress-api", "selectors", "sitemap"]


class Table(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A config table: frozen, unknown keys refused."""
