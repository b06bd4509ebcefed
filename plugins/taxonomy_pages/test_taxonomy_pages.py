from types import SimpleNamespace

from sitebuild import build_site, soup
from taxonomy_pages import write_no_pelican_taxonomy_pages


def news(n, fields, provinces="", day=1):
    return (f"Title: 第{n}条消息\nDate: 2019-01-{day:02d} 09:00\nFields: {fields}\n"
            f"Provinces: {provinces}\nSlug: item-{n}\n\n正文。\n")


def titles(page):
    return [a.get_text() for a in page.select("main h2 a, main h3 a") if "第" in a.get_text()]


def test_items_appear_on_every_field_and_province_they_name_newest_first(tmp_path):
    output = build_site({
        "news/1.md": news(1, "transport, 科创", "沪、苏", day=1),
        "news/2.md": news(2, "交通", "皖", day=2),
        "news/3.md": news(3, "ecology", "", day=3),
    }, tmp_path)
    assert titles(soup(output, "fields/transport/")) == ["第2条消息", "第1条消息"]
    assert titles(soup(output, "fields/innovation/")) == ["第1条消息"]
    assert titles(soup(output, "provinces/shanghai/")) == ["第1条消息"]
    assert titles(soup(output, "provinces/anhui/")) == ["第2条消息"]
    assert titles(soup(output, "provinces/zhejiang/")) == []
    # every registered field has a page, with its name and description, even when empty
    culture = soup(output, "fields/culture/")
    assert culture.find("h1").get_text(strip=True) == "文化"
    assert "文旅合作" in culture.find("main").get_text()


def test_field_pages_are_paginated_with_working_links(tmp_path):
    files = {f"news/{n}.md": news(n, "culture", day=n) for n in range(1, 15)}
    output = build_site(files, tmp_path, PAGINATED_TEMPLATES={"index": None, "taxonomy": 5})
    first, second, third = (soup(output, p) for p in
                            ("fields/culture/", "fields/culture/page/2/", "fields/culture/page/3/"))
    assert titles(first)[0] == "第14条消息" and len(titles(first)) == 5
    assert titles(second)[0] == "第9条消息"
    assert len(titles(third)) == 4
    assert first.find("a", rel="next")["href"].endswith("/fields/culture/page/2/")
    assert second.find("a", rel="prev")["href"].endswith("/fields/culture/")


def test_pelicans_own_tag_and_author_pages_are_worked_out_only_for_a_site_that_writes_them(tmp_path):
    from pelican import signals

    seen = {}

    def look(generators):
        articles = next(generator for generator in generators if hasattr(generator, "authors"))
        if articles.articles:  # the simplified run's, not the English run's that follows it
            seen.update(tags=articles.tags, authors=articles.authors, listed=articles.context["authors"])

    signals.all_generators_finalized.connect(look)
    try:
        files = {"news/1.md": news(1, "culture").replace("Slug:", "Tags: 示范区\nSlug:")}
        output = build_site(files, tmp_path / "portal")
        assert (seen["tags"], seen["authors"]) == ({}, [])  # the portal writes neither
        assert [author.name for author, _ in seen["listed"]] == ["长三角区域合作办公室"]  # templates still have it
        assert not (output / "tag").exists() and not (output / "author").exists()
    finally:
        signals.all_generators_finalized.disconnect(look)
    # A site that does write tag pages, or author feeds, keeps them.
    site = SimpleNamespace(settings={"TAG_SAVE_AS": "tag/{slug}/", "CATEGORY_SAVE_AS": "", "AUTHOR_SAVE_AS": "",
                                     "AUTHOR_FEED_ATOM": "feeds/{slug}.atom.xml"},
                           tags={"示范区": ["item"]}, categories=[("news", ["item"])], authors=[("长三办", ["item"])])
    write_no_pelican_taxonomy_pages(site)
    assert (site.tags, site.categories, site.authors) == ({"示范区": ["item"]}, [], [("长三办", ["item"])])
