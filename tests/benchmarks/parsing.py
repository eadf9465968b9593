"""Parsing throughput: the project's K2 parser beside parsel, BeautifulSoup+lxml and bare
selectolax extracting the same fields from the same pages, in the same process."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from ingest.heap import keep_heap_between_pages
from ingest.sites.k2 import parse_article, parse_listing
from ingest.text import clean_whitespace
from tests.benchmarks import layouts
from tests.benchmarks.common import Row
from tests.support.sample_site import SampleSite, SampleSiteServer
from tests.support.sample_site.content import is_fetchable

TZ = ZoneInfo("Asia/Damascus")
Page = tuple[bytes, str]  # body, url
Parser = Callable[[bytes, str], object]


@dataclass(frozen=True)
class Corpus:
    listings: list[Page]
    articles: list[Page]


def build_corpus(days: int = 200, articles: int = 300) -> Corpus:
    """Every listing page (Next pages too) of ``days`` days of 2020, and article pages."""
    site = SampleSite(seed=0)
    listings: list[Page] = []
    article_pages: list[Page] = []
    with SampleSiteServer(site) as server:
        base = server.base_url
        for n in range(days):
            day = date(2020, 1, 1) + timedelta(days=n)
            path: str | None = server.listing_path.format(
                year=day.year, month=day.month, day=day.day
            )
            while path is not None:
                body = server.respond(path, {}).body
                url = base + path
                listings.append((body, url))
                next_url = parse_listing(body, url).next_url
                path = next_url.removeprefix(base) if next_url else None
            for article in site.articles_on(day):
                if len(article_pages) < articles and is_fetchable(article):
                    body = server.respond(article.url_path, {}).body
                    article_pages.append((body, base + article.url_path))
    return Corpus(listings, article_pages)


# -- the project's parser ----------------------------------------------------------------------


def k2_listing(body: bytes, url: str) -> object:
    return parse_listing(body, url)


def k2_article(body: bytes, url: str) -> object:
    return parse_article(body, url, TZ)


# -- parsel ------------------------------------------------------------------------------------


def parsel_listing(body: bytes, url: str) -> object:
    from parsel import Selector

    sel = Selector(text=body.decode("utf-8"))
    items = []
    for item in sel.css("#k2Container div.genericItemView"):
        link = item.css(".genericItemTitle a")
        items.append(
            (
                clean_whitespace(" ".join(link.css("::text").getall())),
                urljoin(url, (link.attrib.get("href") or "").strip()),
                clean_whitespace(" ".join(item.css(".genericItemCategory a::text").getall())),
                "\n\n".join(
                    t
                    for t in (
                        clean_whitespace(p.xpath("string(.)").get() or "")
                        for p in item.css(".genericItemIntroText > *")
                    )
                    if t
                ),
                clean_whitespace(item.css(".genericItemDateCreated::text").get() or ""),
            )
        )
    nxt = sel.css("li.pagination-next a::attr(href)").get()
    return items, urljoin(url, nxt) if nxt else None


def parsel_article(body: bytes, url: str) -> object:
    from parsel import Selector

    sel = Selector(text=body.decode("utf-8"))
    container = sel.css("#k2Container")
    title = clean_whitespace(" ".join(container.css(".itemTitle ::text").getall()))
    paragraphs = [
        clean_whitespace(p.xpath("string(.)").get() or "")
        for p in container.css(".itemIntroText > *, .itemFullText > *")
    ]
    created = clean_whitespace(" ".join(container.css(".itemDateCreated ::text").getall()))
    return title, "\n\n".join(p for p in paragraphs if p), created


# -- BeautifulSoup + lxml ----------------------------------------------------------------------


def bs4_listing(body: bytes, url: str) -> object:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "lxml")
    items = []
    for item in soup.select("#k2Container div.genericItemView"):
        link = item.select_one(".genericItemTitle a")
        category = item.select_one(".genericItemCategory a")
        intro = item.select_one(".genericItemIntroText")
        created = item.select_one(".genericItemDateCreated")
        href = link.get("href") if link is not None else None
        items.append(
            (
                clean_whitespace(link.get_text()) if link is not None else "",
                urljoin(url, str(href).strip()) if href else "",
                clean_whitespace(category.get_text()) if category is not None else "",
                "\n\n".join(
                    t
                    for t in (
                        clean_whitespace(p.get_text()) for p in (intro.find_all(recursive=False))
                    )
                    if t
                )
                if intro is not None
                else "",
                clean_whitespace(created.get_text()) if created is not None else "",
            )
        )
    nxt = soup.select_one("li.pagination-next a[href]")
    return items, urljoin(url, str(nxt["href"])) if nxt is not None else None


def bs4_article(body: bytes, url: str) -> object:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "lxml")
    container = soup.select_one("#k2Container")
    if container is None:
        return None
    title = container.select_one(".itemTitle")
    created = container.select_one(".itemDateCreated")
    paragraphs = [
        clean_whitespace(p.get_text())
        for p in container.select(".itemIntroText > *, .itemFullText > *")
    ]
    return (
        clean_whitespace(title.get_text()) if title is not None else "",
        "\n\n".join(p for p in paragraphs if p),
        clean_whitespace(created.get_text()) if created is not None else "",
    )


# -- bare selectolax (lexbor): the same fields, no nested-item handling --------------------------


def lexbor_listing(body: bytes, url: str) -> object:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(body.decode("utf-8"))
    items = []
    for item in tree.css("#k2Container div.genericItemView"):
        link = item.css_first(".genericItemTitle a")
        category = item.css_first(".genericItemCategory a")
        intro = item.css_first(".genericItemIntroText")
        created = item.css_first(".genericItemDateCreated")
        href = link.attributes.get("href") if link is not None else None
        items.append(
            (
                clean_whitespace(link.text()) if link is not None else "",
                urljoin(url, href.strip()) if href else "",
                clean_whitespace(category.text()) if category is not None else "",
                "\n\n".join(
                    t
                    for t in (clean_whitespace(p.text()) for p in intro.iter(include_text=False))
                    if t
                )
                if intro is not None
                else "",
                clean_whitespace(created.text()) if created is not None else "",
            )
        )
    nxt = tree.css_first("li.pagination-next a[href]")
    href = nxt.attributes.get("href") if nxt is not None else None
    return items, urljoin(url, href) if href else None


def lexbor_article(body: bytes, url: str) -> object:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(body.decode("utf-8"))
    container = tree.css_first("#k2Container")
    if container is None:
        return None
    title = container.css_first(".itemTitle")
    created = container.css_first(".itemDateCreated")
    paragraphs = [
        clean_whitespace(p.text()) for p in container.css(".itemIntroText > *, .itemFullText > *")
    ]
    return (
        clean_whitespace(title.text()) if title is not None else "",
        "\n\n".join(p for p in paragraphs if p),
        clean_whitespace(created.text()) if created is not None else "",
    )


PARSERS: dict[str, tuple[Parser, Parser]] = {
    "ingest (k2)": (k2_listing, k2_article),
    "parsel": (parsel_listing, parsel_article),
    "bs4+lxml": (bs4_listing, bs4_article),
    "selectolax bare": (lexbor_listing, lexbor_article),
}


# Each timed pass repeats the corpus until it lasts at least this long: a 30 ms pass is at the
# mercy of one scheduler hiccup on a shared machine.
MIN_PASS_SECONDS = 0.25


def rates(
    parsers: dict[str, Parser],
    pages: Sequence[Page] | Mapping[str, Sequence[Page]],
    repetitions: int,
) -> dict[str, float]:
    """Pages per second of each parser, median of ``repetitions`` timed passes.

    The passes are interleaved (one of each parser per round), so a burst of load from another
    job on the machine slows every parser alike instead of one parser's whole measurement.
    ``pages`` is one list for every parser, or each parser's own (one per layout).
    """
    pages_of = pages if isinstance(pages, Mapping) else dict.fromkeys(parsers, pages)

    def one_pass(name: str, rounds: int) -> float:
        parser, own = parsers[name], pages_of[name]
        started = time.perf_counter()
        for _ in range(rounds):
            for body, url in own:
                parser(body, url)
        return time.perf_counter() - started

    # The warm-up pass (imports, caches) also sizes each parser's passes.
    rounds = {name: max(1, math.ceil(MIN_PASS_SECONDS / one_pass(name, 1))) for name in parsers}
    times: dict[str, list[float]] = {name: [] for name in parsers}
    for _ in range(repetitions):
        for name in parsers:
            times[name].append(one_pass(name, rounds[name]))
    return {
        name: rounds[name] * len(pages_of[name]) / statistics.median(t) for name, t in times.items()
    }


def run(repetitions: int = 7) -> list[Row]:
    corpus = build_corpus()
    listing_rates = rates({n: p[0] for n, p in PARSERS.items()}, corpus.listings, repetitions)
    article_rates = rates({n: p[1] for n, p in PARSERS.items()}, corpus.articles, repetitions)
    note = f"{len(corpus.listings)} listing, {len(corpus.articles)} article pages"
    rows = [Row("parsing", f"corpus ({note}), median of {repetitions}", "")]
    for name in PARSERS:
        target, ok = "", None
        if name == "ingest (k2)":
            target, ok = ">= 2,500/s", listing_rates[name] >= 2500
        rows.append(
            Row("parsing", f"{name}: listing pages/s", f"{listing_rates[name]:,.0f}", target, ok)
        )
        rows.append(Row("parsing", f"{name}: article pages/s", f"{article_rates[name]:,.0f}"))
    k2 = "ingest (k2)"
    for kind, by_parser in (("listing", listing_rates), ("article", article_rates)):
        for base in ("parsel", "bs4+lxml", "selectolax bare"):
            ratio = by_parser[k2] / by_parser[base]
            target, ok = ("", None) if base != "parsel" else (">= 3x", ratio >= 3)
            rows.append(Row("parsing", f"k2 / {base} ({kind})", f"{ratio:.2f}x", target, ok))
    return rows + layout_rows(corpus, repetitions)


def layout_rows(k2: Corpus, repetitions: int) -> list[Row]:
    """The other layouts on their own flavour of the same days, interleaved with k2 and parsel
    on K2's pages (so every rate here comes from the same rounds)."""
    corpus = layouts.build_corpus()
    listing = {
        "ingest (k2)": k2_listing,
        "parsel (k2 pages)": parsel_listing,
        **{name: parse.listing for name, parse in corpus.parsers.items()},
    }
    article = {
        "ingest (k2)": k2_article,
        "parsel (k2 pages)": parsel_article,
        **{name: parse.article for name, parse in corpus.parsers.items() if parse.article},
    }
    listing_pages = {"ingest (k2)": k2.listings, "parsel (k2 pages)": k2.listings}
    listing_pages |= {name: corpus.listings[name] for name in corpus.parsers}
    article_pages = {"ingest (k2)": k2.articles, "parsel (k2 pages)": k2.articles}
    article_pages |= {name: corpus.articles[name] for name in article if name in corpus.articles}
    listing_rates = rates(listing, listing_pages, repetitions)
    article_rates = rates(article, article_pages, repetitions)
    pages = ", ".join(
        f"{name} {len(corpus.listings[name])}/{len(corpus.articles.get(name, []))}"
        for name in corpus.parsers
    )
    rows = [
        Row("parsing", f"layouts: listing/article pages ({pages}), median of {repetitions}", "")
    ]
    base = listing_rates["ingest (k2)"]
    for name in listing:
        value = f"{listing_rates[name]:,.0f}"
        if name in article_rates:
            value += f" / {article_rates[name]:,.0f}"
        per_page = corpus.items_per_listing.get(name)
        if per_page:  # the API: a page is a whole day, so posts/s says more
            value += f" ({listing_rates[name] * per_page:,.0f} posts/s)"
        what = "listing / article pages/s" if name in article_rates else "listing pages/s"
        rows.append(Row("parsing", f"{name}: {what}", value))
        if name in corpus.parsers:
            ratio = listing_rates[name] / base
            rows.append(Row("parsing", f"{name} / k2 (listing pages/s)", f"{ratio:.2f}x"))
    return rows


if __name__ == "__main__":
    keep_heap_between_pages()
    for row in run():
        print(row)
