"""Previous/next item within each field, and related items sharing a field, for the item page.

Computed once per build from the field lists, so templates never loop over
every article. Each item gets:

``article.neighbours``, a ``Neighbours(by_field, related)``:

- ``by_field``: one ``FieldNeighbours(field, older, newer)`` per field of the item;
- ``related``: up to ``RELATED_ITEMS`` other items sharing a field, most shared fields
  first, then closest in time.

Items are only linked to items of their own language (an English item to English items).

With CACHE_CONTENT, the neighbours are kept between builds by position (`KeptNeighbours`): they
follow from each item's file, date, slug and fields, in the order given, and most builds (an edited
body, title or summary) change none of these. Working them out again took ~0.4 s at 10,000 items.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import json
import os
from bisect import bisect_left
from collections import defaultdict
from itertools import islice
from pathlib import Path
from typing import NamedTuple

from pelican import signals

from portal_model import kept_between_builds, write_whole

DEFAULT_RELATED_ITEMS = 5


class FieldNeighbours(NamedTuple):
    field: object  # portal_model.Term
    older: object | None  # the previous item of this field in time, or None
    newer: object | None


class Neighbours(NamedTuple):
    by_field: list[FieldNeighbours] | tuple
    related: list | tuple

    def __bool__(self) -> bool:  # none yet, or none at all: like the empty lists it holds
        return bool(self.by_field or self.related)


NONE_YET = Neighbours((), ())


def field_neighbours(article, field_items: dict, field_positions: dict) -> list[FieldNeighbours]:
    neighbours = []
    for field in getattr(article, "fields", ()):
        items = field_items[field]  # oldest first
        index = field_positions[field][id(article)]
        neighbours.append(FieldNeighbours(
            field,
            items[index - 1] if index > 0 else None,
            items[index + 1] if index + 1 < len(items) else None,
        ))
    return neighbours


class FieldSetItems:
    """The items whose fields are exactly one set, sorted by date twice: for walking later and earlier.

    Ties in date are walked in the order the items were given, so that
    walking outward from a date yields items by (distance in time, order given).
    """

    def __init__(self, fields: frozenset, entries: list[tuple[int, object]]):
        self.fields = fields
        self.later = sorted(entries, key=lambda entry: (entry[1].date, entry[0]))
        self.later_dates = [item.date for _, item in self.later]
        self.earlier = sorted(entries, key=lambda entry: (entry[1].date, -entry[0]))
        self.earlier_dates = [item.date for _, item in self.earlier]

    def nearest(self, article):
        """(seconds apart, order given, item) of every other item, nearest in time first."""
        def walk(entries, start, step):
            for index in range(start, len(entries) if step > 0 else -1, step):
                order, other = entries[index]
                if other is not article:
                    yield abs((other.date - article.date).total_seconds()), order, other

        later = bisect_left(self.later_dates, article.date)  # from the same date on
        earlier = bisect_left(self.earlier_dates, article.date) - 1  # strictly before
        return heapq.merge(walk(self.later, later, 1), walk(self.earlier, earlier, -1))


def index_field_sets(articles) -> list[FieldSetItems]:
    by_fields = defaultdict(list)
    for order, article in enumerate(articles):
        fields = frozenset(getattr(article, "fields", ()))
        if fields:
            by_fields[fields].append((order, article))
    return [FieldSetItems(fields, entries) for fields, entries in by_fields.items()]


def ranked_groups(fields: frozenset, field_sets: list[FieldSetItems]) -> list[list[FieldSetItems]]:
    """The groups sharing any of `fields`, by number of fields shared: most first."""
    by_shared = defaultdict(list)
    for group in field_sets:
        shared = len(fields & group.fields)
        if shared:
            by_shared[shared].append(group)
    return [by_shared[shared] for shared in sorted(by_shared, reverse=True)]


def related_items(article, ranked: list[list[FieldSetItems]], limit: int) -> list:
    """The `limit` items sharing most fields, then nearest in time, then first given.

    Items are grouped by their exact set of fields, so every item of a group shares
    as many fields; groups are merged nearest first, the most shared fields first,
    and only until `limit` items are found: near-linear in the number of items.
    """
    related = []
    for groups in ranked:
        nearest = heapq.merge(*(group.nearest(article) for group in groups))
        related.extend(other for _, _, other in islice(nearest, limit - len(related)))
        if len(related) >= limit:
            break
    return related


def link_items(articles, limit: int) -> None:
    """Set the neighbours of every item of one language."""
    field_items = defaultdict(list)
    for article in sorted(articles, key=lambda a: (a.date, a.slug)):
        for field in getattr(article, "fields", ()):
            field_items[field].append(article)
    field_positions = {field: {id(item): index for index, item in enumerate(items)}
                       for field, items in field_items.items()}
    field_sets = index_field_sets(articles)
    ranked_by_fields = {}  # a few dozen sets of fields among thousands of items
    for article in articles:
        fields = frozenset(getattr(article, "fields", ()))
        if fields not in ranked_by_fields:
            ranked_by_fields[fields] = ranked_groups(fields, field_sets)
        article.neighbours = Neighbours(field_neighbours(article, field_items, field_positions),
                                        related_items(article, ranked_by_fields[fields], limit))


@functools.cache
def code_digest() -> str:
    """This module's code, read once a process."""
    return hashlib.blake2b(Path(__file__).read_bytes(), digest_size=16).hexdigest()


def neighbours_key(articles, limit: int) -> str:
    """What the neighbours of `articles` follow from: this module, the limit, and each item's file,
    date, slug and fields (their keys), in the order given (which breaks ties in time)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{code_digest()}\n{limit}\n".encode())
    for article in articles:
        fields = ",".join(getattr(field, "key", str(field)) for field in getattr(article, "fields", ()))
        digest.update(f"{article.source_path}\t{article.date.isoformat()}\t{article.slug}\t{fields}\n"
                      .encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def by_position(articles) -> dict:
    """The neighbours of `articles` as positions in it (-1: none)."""
    position = {id(article): index for index, article in enumerate(articles)}

    def at(item) -> int:
        return -1 if item is None else position[id(item)]

    return {"by_field": [[[at(row.older), at(row.newer)] for row in article.neighbours.by_field]
                         for article in articles],
            "related": [[at(other) for other in article.neighbours.related] for article in articles]}


def link_by_position(articles, kept: dict) -> None:
    def item_at(index: int):
        return None if index < 0 else articles[index]

    for article, rows, related in zip(articles, kept["by_field"], kept["related"]):
        article.neighbours = Neighbours(
            [FieldNeighbours(field, item_at(older), item_at(newer))
             for field, (older, newer) in zip(getattr(article, "fields", ()), rows)],
            [articles[index] for index in related])


class KeptNeighbours:
    """The last build's neighbours, by language: {lang: {"key", "by_field", "related"}}."""

    FILE = "item-neighbours.json"

    def __init__(self, settings):
        self.path = kept_between_builds(settings, self.FILE)
        self.languages, self.changed = {}, False
        if self.path and settings.get("LOAD_CONTENT_CACHE", True):
            try:
                with open(self.path, encoding="utf-8") as handle:
                    self.languages = json.load(handle)
            except (OSError, ValueError):
                pass  # none kept, or half written: worked out again

    def link(self, lang: str, articles, limit: int) -> None:
        key = neighbours_key(articles, limit)
        kept = self.languages.get(lang)
        if kept and kept["key"] == key and len(kept["related"]) == len(kept["by_field"]) == len(articles):
            link_by_position(articles, kept)
            return
        link_items(articles, limit)
        if self.path:
            self.languages[lang] = {"key": key, **by_position(articles)}
            self.changed = True

    def save(self, languages) -> None:
        if self.path and (self.changed or self.languages.keys() != set(languages)):
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            write_whole(self.path, json.dumps({lang: self.languages[lang] for lang in languages
                                               if lang in self.languages}, separators=(",", ":")))


def link_generator_items(generator) -> None:
    by_language = defaultdict(list)
    for article in [*generator.articles, *generator.translations]:
        by_language[article.lang].append(article)
    limit = generator.settings.get("RELATED_ITEMS", DEFAULT_RELATED_ITEMS)
    kept = KeptNeighbours(generator.settings)
    for lang, articles in by_language.items():
        kept.link(lang, articles, limit)
    kept.save(by_language)


def reserve_attributes(content) -> None:
    """An empty value when the item is made; the real one replaces it once every item is read.

    In CPython 3.11 items share one table of attribute names only while all their names together
    fit in it, 29 (portal_model/memory.py); beyond, each gets a table of its own (~1.3 KB more an
    item, 26 MiB at 20,000). So the neighbours are one attribute, not two, set with the first ones.
    """
    content.neighbours = NONE_YET


def register():
    signals.content_object_init.connect(reserve_attributes)
    signals.article_generator_finalized.connect(link_generator_items)
