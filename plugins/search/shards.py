"""Which index shard each indexed page belongs to.

Pagefind's memory grows with the pages of one run (about 0.3 MB a page with our
one-character-per-word Chinese), so the pages are indexed in shards of at most
SEARCH_SHARD_SIZE pages, one Pagefind run each. A shard is re-indexed only when
one of its pages changed, so the keys must not move when items are added or
edited: a shard is one edition's items of a calendar period, the coarsest of
one year, six months, three months, one month that holds at most
SEARCH_SHARD_SIZE pages (all the edition's items, while they fit in one shard).
A new item then changes only the shard of its own date (an edit, only the shard
it is in); a period is split further only when it outgrows the size, and that
re-partitions that period alone. Pages without a date (standing pages) are a
shard of their own. A month still too big is cut into numbered parts in date
order (the only split that shifts when an item is added, and only inside that
month).

Smaller shards make an edit cheaper to index again (Pagefind's time is about
proportional to the pages of the run) and a search dearer (each shard is asked
for its part of the index), so the size is a setting.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter


@dataclass(frozen=True)
class IndexedPage:
    path: str  # in the site, "news/2019/slug/index.html"
    lang: str  # the page's <html lang>, lower case: zh-cn, zh-hant, en
    month: str  # "2019-03" from the item's date; "" for a page without one
    digest: str  # of what Pagefind is given from the page (indexing.indexed_copy)


@dataclass(frozen=True)
class Shard:
    lang: str
    period: str
    pages: tuple[IndexedPage, ...]

    @property
    def folder(self) -> str:
        """Its bundle, under the site's pagefind/ folder."""
        return f"{self.lang}/{self.period}"

    def digest(self, version: str) -> str:
        """Changes when a page joins or leaves the shard, or what is indexed of one changes."""
        text = "\n".join([version, *(f"{page.path} {page.digest}" for page in self.pages)])
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def _year(month: str) -> str:
    return month[:4]


def _half(month: str) -> str:
    return f"{month[:4]}-h{1 if int(month[5:]) <= 6 else 2}"


def _quarter(month: str) -> str:
    return f"{month[:4]}-q{(int(month[5:]) - 1) // 3 + 1}"


def _month(month: str) -> str:
    return month


# Coarsest first; each period lies inside one period of the level before it.
PERIODS = (_year, _half, _quarter, _month)


def _split(period: str, pages: list[IndexedPage], levels, size: int):
    """(period, pages) pairs of at most `size` pages, by ever finer calendar periods."""
    if len(pages) <= size:
        yield period, pages
    elif levels:
        def period_of(page):
            return levels[0](page.month)

        for finer, members in groupby(sorted(pages, key=period_of), key=period_of):
            yield from _split(finer, list(members), levels[1:], size)
    else:
        pages = sorted(pages, key=lambda page: (page.month, page.path))
        parts = math.ceil(len(pages) / size)
        step = math.ceil(len(pages) / parts)
        for number in range(parts):
            yield f"{period}.{number + 1}", pages[number * step:(number + 1) * step]


def plan_shards(pages: list[IndexedPage], size: int) -> list[Shard]:
    """Every page in exactly one shard of at most `size` pages; each shard holds one edition."""
    shards = []
    for lang, members in groupby(sorted(pages, key=attrgetter("lang")), key=attrgetter("lang")):
        members = list(members)
        dated = [page for page in members if page.month]
        undated = [page for page in members if not page.month]
        for root, group, levels in (("dated", dated, PERIODS), ("undated", undated, ())):
            if group:
                shards += [Shard(lang, period, tuple(sorted(part, key=attrgetter("path"))))
                           for period, part in _split(root, group, levels, size)]
    return sorted(shards, key=attrgetter("folder"))
