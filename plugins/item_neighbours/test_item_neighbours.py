"""item_neighbours: previous/next within a field and related items, on the item page."""

import random
from datetime import datetime, timedelta
from types import SimpleNamespace

from item_neighbours import link_items
from portal_model import SHANGHAI
from sitebuild import build_site, soup


def item(slug, day, *fields):
    return SimpleNamespace(slug=slug, date=datetime(2019, 1, day, tzinfo=SHANGHAI), fields=list(fields))


def test_neighbours_are_the_older_and_newer_item_of_each_field():
    first, middle, last, other = (item("first", 1, "transport"), item("middle", 5, "transport", "culture"),
                                  item("last", 9, "transport"), item("other", 7, "culture"))
    link_items([last, other, first, middle], limit=5)

    transport, culture = middle.neighbours.by_field
    assert (transport.field, transport.older, transport.newer) == ("transport", first, last)
    assert (culture.field, culture.older, culture.newer) == ("culture", None, other)
    assert first.neighbours.by_field[0].older is None
    assert last.neighbours.by_field[0].newer is None


def test_related_items_share_a_field_most_shared_first_then_nearest_in_time():
    item_ = item("item", 10, "transport", "culture")
    both = item("both", 1, "transport", "culture")
    near = item("near", 11, "transport")
    far = item("far", 2, "culture")
    unrelated = item("unrelated", 10, "credit")
    link_items([item_, both, near, far, unrelated], limit=2)

    assert item_.neighbours.related == [both, near]
    assert unrelated.neighbours.related == []


def brute_force_related(article, articles, limit):
    """The definition of related items, by sorting every other item (quadratic)."""
    own = set(article.fields)
    sharing = [other for other in articles if other is not article and own & set(other.fields)]
    return sorted(sharing, key=lambda other: (-len(own & set(other.fields)),
                                              abs((other.date - article.date).total_seconds())))[:limit]


def test_related_items_equal_the_brute_force_definition_on_a_random_corpus():
    rng = random.Random(10)
    fields = ["transport", "culture", "credit", "ecology", "education"]
    start = datetime(2019, 1, 1, tzinfo=SHANGHAI)
    # Few distinct dates, so that many items tie in time and the order given decides.
    articles = [SimpleNamespace(slug=f"item-{number}", fields=rng.sample(fields, rng.choice((0, 1, 1, 2, 3))),
                                date=start + timedelta(hours=rng.randrange(6)))
                for number in range(400)]
    for limit in (0, 1, 5, 30):
        link_items(articles, limit)

        wrong = [a.slug for a in articles if a.neighbours.related != brute_force_related(a, articles, limit)]
        assert wrong == [], f"limit {limit}"


def test_kept_neighbours_serve_a_build_whose_items_kept_their_dates_slugs_and_fields(tmp_path):
    from item_neighbours import KeptNeighbours

    settings = {"CACHE_PATH": str(tmp_path), "CACHE_CONTENT": True, "LOAD_CONTENT_CACHE": True}

    def corpus(shift=None):
        """A build's items, made anew (as every build makes them), the same unless one moved in time."""
        articles = [SimpleNamespace(slug=f"item-{n}", source_path=f"/content/news/{n}.md",
                                    fields=["transport", "culture", "credit"][: 1 + n % 3][::-1 if n % 2 else 1],
                                    date=datetime(2019, 1, 1 + n % 9, tzinfo=SHANGHAI)) for n in range(60)]
        if shift is not None:
            articles[shift].date += timedelta(days=20)
        return articles

    def shown(articles):
        return {a.slug: ([(row.field, getattr(row.older, "slug", None), getattr(row.newer, "slug", None))
                          for row in a.neighbours.by_field], [other.slug for other in a.neighbours.related])
                for a in articles}

    def linked(articles):
        kept = KeptNeighbours(settings)
        kept.link("zh", articles, 5)
        kept.save(["zh"])
        return shown(articles), kept.changed

    def worked_out(articles):
        link_items(articles, 5)
        return shown(articles)

    first, computed = linked(corpus())
    assert computed and first == worked_out(corpus())
    again, computed = linked(corpus())
    assert not computed and again == first  # kept: same items, new objects
    moved, computed = linked(corpus(shift=7))  # one item's date: worked out again
    assert computed and moved != first and moved == worked_out(corpus(shift=7))


def news(title, date, fields, slug):
    return f"Title: {title}\nDate: {date}\nFields: {fields}\nSlug: {slug}\n\n{title}。\n"


def test_item_page_links_previous_next_in_field_and_related(tmp_path):
    output = build_site({
        "news/0.md": news("规划获批", "2019-01-01", "transport", "plan"),
        "news/a.md": news("一号线开通", "2019-01-02", "transport", "line-one"),
        "news/b.md": news("二号线开通", "2019-02-01", "transport, culture", "line-two"),
        "news/c.md": news("三号线开通", "2019-03-01", "transport", "line-three"),
        "news/d.md": news("博物馆联展", "2019-04-01", "culture", "museums"),
        "news/e.md": news("信用平台上线", "2019-05-01", "credit", "credit"),
    }, tmp_path)

    page = soup(output, "news/2019/line-two/")
    neighbours = page.select_one(".item-neighbours")
    assert neighbours.select_one('a[rel="prev"]')["href"] == "/news/2019/line-one/"
    # one row per field: transport's next is line three, culture's next is the museums item
    assert {a["href"] for a in neighbours.select('a[rel="next"]')} == {
        "/news/2019/line-three/", "/news/2019/museums/"}
    # Related: sharing a field, but not the items linked just above as previous or next.
    assert [a["href"] for a in page.select(".related a")] == ["/news/2019/plan/"]

    oldest = soup(output, "news/2019/plan/").select_one(".item-neighbours")
    assert oldest.select('a[rel="prev"]') == []
    assert "没有更早的消息" in oldest.get_text()


def test_items_get_their_neighbour_attributes_when_made(tmp_path):
    # With their first attributes: set later, each item would get an attribute table of its own (memory).
    from pelican.contents import Article
    from sitebuild import settings_for

    import item_neighbours

    item_neighbours.register()
    article = Article("", metadata={"title": "一", "date": datetime(2019, 1, 3, tzinfo=SHANGHAI)},
                      settings=settings_for(tmp_path, tmp_path / "output"), source_path=str(tmp_path / "yi.md"))
    assert article.neighbours == ((), ())
