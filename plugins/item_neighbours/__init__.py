"""Previous/next item within each field, and related items sharing a field, for the item page.

Computed once per build from the field lists, so templates never loop over
every article. Each item gets:

- ``article.field_neighbours``: one ``FieldNeighbours(field, older, newer)`` per field of the item;
- ``article.related``: up to ``RELATED_ITEMS`` other items sharing a field, most shared fields
  first, then closest in time.

Items are only linked to items of their own language (an English item to English items).
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from pelican import signals

DEFAULT_RELATED_ITEMS = 5


class FieldNeighbours(NamedTuple):
    field: object  # portal_model.Term
    older: object | None  # the previous item of this field in time, or None
    newer: object | None


def field_neighbours(article, field_items: dict) -> list[FieldNeighbours]:
    neighbours = []
    for field in getattr(article, "fields", ()):
        items = field_items[field]  # oldest first
        index = items.index(article)
        neighbours.append(FieldNeighbours(
            field,
            items[index - 1] if index > 0 else None,
            items[index + 1] if index + 1 < len(items) else None,
        ))
    return neighbours


def related_items(article, candidates, limit: int) -> list:
    own_fields = set(getattr(article, "fields", ()))

    def closeness(other):
        shared = len(own_fields & set(other.fields))
        return (-shared, abs((other.date - article.date).total_seconds()))

    sharing = [other for other in candidates
               if other is not article and own_fields & set(getattr(other, "fields", ()))]
    return sorted(sharing, key=closeness)[:limit]


def link_items(articles, limit: int) -> None:
    """Set field_neighbours and related on every item of one language."""
    field_items = defaultdict(list)
    for article in sorted(articles, key=lambda a: (a.date, a.slug)):
        for field in getattr(article, "fields", ()):
            field_items[field].append(article)
    for article in articles:
        article.field_neighbours = field_neighbours(article, field_items)
        article.related = related_items(article, articles, limit)


def link_generator_items(generator) -> None:
    by_language = defaultdict(list)
    for article in [*generator.articles, *generator.translations]:
        by_language[article.lang].append(article)
    limit = generator.settings.get("RELATED_ITEMS", DEFAULT_RELATED_ITEMS)
    for articles in by_language.values():
        link_items(articles, limit)


def register():
    signals.article_generator_finalized.connect(link_generator_items)
