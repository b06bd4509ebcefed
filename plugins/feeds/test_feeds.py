import json
import random
import re
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import feedparser
import pytest
from bs4 import BeautifulSoup

import feeds
from feeds import (ROOT_EDITION, Entry, FeedSpec, absolute_links, atom_and_rss, entry_id, news_feeds, write_feed,
                   xml_text)
from portal_model import SHANGHAI, ContentProblems, model_for
from sitebuild import build_site, serve, settings_for, soup, tree_differences, write_content

SITEURL = "https://www.csj.example"
FILES = {
    # explicit slug, two fields, two provinces; links and an image to make absolute
    "news/2019/office.md": """\
        Title: 长三办成立一周年
        Date: 2019-01-03 09:00
        Fields: transport, 科创
        Provinces: 沪, 苏
        Slug: office-first-year

        一年来，长三办推动了一批合作事项。

        ![会场](images/hall.jpg) 详见[交通领域](/fields/transport/)、[同领域消息]({filename}rail.md)
        和<a href="notes/">附注</a>。
        """,
    # no slug: the URL is the title in pinyin
    "news/2018/teachers.md": """\
        Title: 浙江教师交流
        Date: 2018-12-05
        Fields: education
        Provinces: 浙江

        教师交流启动。
        """,
    "news/2019/rail.md": """\
        Title: 城际铁路开通
        Date: 2019-06-01 08:30
        Fields: 交通
        Provinces: 皖
        Slug: rail-opens

        城际铁路开通。
        """,
    "news/2019/draft.md": """\
        Title: 草稿
        Date: 2019-07-01
        Fields: transport
        Status: draft

        不公开。
        """,
    "news/2019/office-en.md": """\
        Title: Office turns one
        Date: 2019-01-03 09:00
        Fields: transport
        Lang: en
        Slug: office-first-year

        English.
        """,
}
EXPECTED_PAIRS = {"transport/shanghai", "transport/jiangsu", "innovation/shanghai",
                  "innovation/jiangsu", "education/zhejiang", "transport/anhui"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site(FILES, tmp_path_factory.mktemp("site"), SITEURL=SITEURL)


@pytest.fixture(scope="module")
def development_site(tmp_path_factory):
    """SITEURL "": the feed stylesheet's links are the site's own wherever a test serves it."""
    return build_site(FILES, tmp_path_factory.mktemp("development"), SEARCH_INDEX=False)


def feed_files(output: Path, pattern="*.xml"):
    return sorted((output / "feeds").rglob(pattern))


def parse(path: Path):
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


def ids(output: Path, feed: str) -> list[str]:
    return [entry.id for entry in parse(output / "feeds" / feed).entries]


def tag(key: str) -> str:
    return f"tag:csj.example,2018:{key}"


OFFICE, TEACHERS, RAIL = tag("news/office-first-year"), tag("news/2018/teachers.md"), tag("news/rail-opens")


# ---------------------------------------------------------------- units

def test_text_loses_the_characters_xml_forbids():
    assert xml_text("长\x0b三\x0c角\x00\ufffe\t\n") == "长三角\t\n"


def test_links_and_images_in_content_become_absolute():
    html = '<p><a href="../x/">x</a> <img src="/images/a.jpg" alt=""> <a href="https://o.example/">o</a></p>'
    assert absolute_links(html, "https://s.example/news/2019/a/") == (
        '<p><a href="https://s.example/news/2019/x/">x</a> '
        '<img src="https://s.example/images/a.jpg" alt=""> <a href="https://o.example/">o</a></p>')


def test_an_edition_built_in_its_own_run_has_ids_of_its_own(tmp_path):
    settings = settings_for(tmp_path, tmp_path / "out", FEED_ID_PREFIX="en/")
    assert entry_id(settings, "news/rail-opens") == "tag:csj.example,2018:en/news/rail-opens"


def test_write_feed_puts_any_entries_newest_first_with_the_newest_date_as_updated(tmp_path):
    settings = settings_for(tmp_path, tmp_path / "out", SITEURL=SITEURL)
    entries = [Entry(entry_id(settings, f"plan/{month}"), f"{month}月", f"plan/#{month}",
                     datetime(2019, month, 5, 10, tzinfo=SHANGHAI), "摘要", "<p>内容</p>")
               for month in (3, 5, 4)]
    spec = FeedSpec("中国长三角：行动计划", "feeds/plan", "plan/", group="行动计划")
    write_feed(settings, spec, entries)
    assert sorted(path.name for path in (tmp_path / "out/feeds").iterdir()) == ["plan.atom.xml", "plan.rss.xml"]
    atom = parse(tmp_path / "out/feeds/plan.atom.xml")
    assert [e.title for e in atom.entries] == ["5月", "4月", "3月"]
    assert atom.feed.updated == "2019-05-05T10:00:00+08:00"
    assert atom.entries[0].link == f"{SITEURL}/plan/#5"
    assert settings["PORTAL_FEEDS"]["feeds/plan"] == spec  # listed in the OPML


# ---------------------------------------------------------------- the built feeds

def test_every_feed_parses_and_pairs_exist_only_with_items(site):
    files = feed_files(site)
    for path in files:
        parse(path)
    names = {p.relative_to(site / "feeds").as_posix() for p in files}
    pairs = {n[len("fields/"):-len(".atom.xml")] for n in names
             if n.count("/") == 2 and n.endswith(".atom.xml")}
    assert pairs == EXPECTED_PAIRS
    for stem in ["all", "fields/culture", "provinces/anhui", *(f"fields/{p}" for p in pairs)]:
        assert {f"{stem}.atom.xml", f"{stem}.rss.xml"} <= names
    assert len(files) == 2 * (1 + 7 + 4 + len(EXPECTED_PAIRS))


def test_each_feed_has_only_its_own_published_items_newest_first(site):
    for kind in ("atom", "rss"):
        assert ids(site, f"all.{kind}.xml") == [RAIL, OFFICE, TEACHERS]  # no draft, no English item
        assert ids(site, f"fields/transport.{kind}.xml") == [RAIL, OFFICE]
        assert ids(site, f"provinces/shanghai.{kind}.xml") == [OFFICE]
        assert ids(site, f"fields/transport/anhui.{kind}.xml") == [RAIL]
        assert ids(site, f"fields/innovation/jiangsu.{kind}.xml") == [OFFICE]
        assert ids(site, f"fields/culture.{kind}.xml") == []


def test_feed_metadata_links_dates_and_language(site):
    atom = parse(site / "feeds/fields/transport.atom.xml")
    assert atom.feed.title == "中国长三角：交通"
    assert atom.feed.language == "zh-CN"
    links = {link.rel: link.href for link in atom.feed.links}
    assert links == {"self": f"{SITEURL}/feeds/fields/transport.atom.xml",
                     "alternate": f"{SITEURL}/fields/transport/"}
    assert atom.feed.updated == "2019-06-01T08:30:00+08:00"  # the newest item, not the build time
    rail = atom.entries[0]
    assert rail.published == "2019-06-01T08:30:00+08:00"
    assert rail.link == f"{SITEURL}/news/2019/rail-opens/"
    assert rail.summary == "城际铁路开通。" and "城际铁路开通" in rail.content[0].value
    rss = parse(site / "feeds/fields/transport.rss.xml")
    assert rss.feed.language == "zh-CN" and rss.feed.link == f"{SITEURL}/fields/transport/"
    raw = (site / "feeds/fields/transport.rss.xml").read_text(encoding="utf-8")
    assert "<lastBuildDate>Sat, 01 Jun 2019 08:30:00 +0800</lastBuildDate>" in raw
    assert "<pubDate>Thu, 03 Jan 2019 09:00:00 +0800</pubDate>" in raw
    assert f'<atom:link href="{SITEURL}/feeds/fields/transport.rss.xml" rel="self"' in raw
    empty = parse(site / "feeds/fields/culture.atom.xml")
    assert empty.feed.updated == "2019-06-01T08:30:00+08:00"  # the site's newest item


def test_every_address_in_every_feed_is_absolute(site):
    office = parse(site / "feeds/provinces/jiangsu.atom.xml").entries[0]
    content = BeautifulSoup(office.content[0].value, "html.parser")
    addresses = [a["href"] for a in content.find_all("a")] + [i["src"] for i in content.find_all("img")]
    assert addresses == [f"{SITEURL}/fields/transport/", f"{SITEURL}/news/2019/rail-opens/",
                         f"{SITEURL}/news/2019/office-first-year/notes/",
                         f"{SITEURL}/news/2019/office-first-year/images/hall.jpg"]  # as a browser would
    for path in feed_files(site):
        for url in re.findall(rb'(?:href|src)=(?:"|&quot;)([^"&]*)', path.read_bytes()):
            assert url.startswith(SITEURL.encode()) or url.endswith(b"feed.xsl"), (path, url)


def test_development_build_uses_feed_domain(tmp_path):
    output = build_site({"news/a.md": FILES["news/2019/rail.md"]}, tmp_path)
    atom = parse(output / "feeds/all.atom.xml")
    assert atom.entries[0].link == "http://localhost:8000/news/2019/rail-opens/"


def test_feeds_are_capped_at_feed_max_items(tmp_path):
    files = {f"news/{n}.md": f"Title: 第{n}条\nDate: 2019-03-{n:02d}\nFields: culture\n\n正文。\n"
             for n in range(1, 6)}
    output = build_site(files, tmp_path, FEED_MAX_ITEMS=3)
    for feed in ("all.atom.xml", "all.rss.xml", "fields/culture.atom.xml"):
        assert [e.title for e in parse(output / "feeds" / feed).entries] == ["第5条", "第4条", "第3条"]
    assert len(json.loads((output / "feeds/all.json").read_text())["items"]) == 3


def test_ids_stay_when_titles_are_edited_and_builds_are_byte_identical(tmp_path):
    content = write_content(tmp_path / "content", FILES)
    first = build_site(content, tmp_path / "first", SITEURL=SITEURL)
    again = build_site(content, tmp_path / "again", SITEURL=SITEURL)
    written = sorted(p.relative_to(first).as_posix() for p in first.rglob("*")
                     if p.is_file() and "feeds" in p.parts and p.suffix != ".html")
    assert len(written) > 30
    for name in written:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    for name in ("news/2019/office.md", "news/2018/teachers.md"):
        path = content / name
        path.write_text(path.read_text(encoding="utf-8").replace("Title: ", "Title: 更正："),
                        encoding="utf-8")
    edited = build_site(content, tmp_path / "edited", SITEURL=SITEURL)
    titles = [e.title for e in parse(edited / "feeds/all.atom.xml").entries]
    assert titles == ["城际铁路开通", "更正：长三办成立一周年", "更正：浙江教师交流"]
    assert ids(edited, "all.atom.xml") == ids(first, "all.atom.xml") == [RAIL, OFFICE, TEACHERS]


def test_a_rebuild_into_the_same_output_drops_the_feeds_a_clean_build_would_not_have(tmp_path):
    content = write_content(tmp_path / "content", FILES)
    output = build_site(content, tmp_path / "preview", SITEURL=SITEURL, SEARCH_INDEX=False)
    gone = ["feeds/fields/transport/anhui.atom.xml", "feeds/fields/transport/anhui.rss.xml",
            "zh-hant/feeds/fields/transport/anhui.atom.xml"]
    assert all((output / name).exists() for name in gone)
    rail = content / "news/2019/rail.md"  # the only item of transport in Anhui moves to Shanghai
    rail.write_text(rail.read_text(encoding="utf-8").replace("Provinces: 皖", "Provinces: 沪"), encoding="utf-8")
    build_site(content, tmp_path / "preview", SITEURL=SITEURL, SEARCH_INDEX=False)
    assert not any((output / name).exists() for name in gone)
    assert tree_differences(output, build_site(content, tmp_path / "clean", SITEURL=SITEURL, SEARCH_INDEX=False)) == []


def test_a_rebuild_rewrites_only_the_feeds_whose_items_changed(tmp_path, monkeypatch):
    """A feed rewritten unchanged would look new to the Traditional conversion and to a deployment's sync;
    one made again unchanged costs the build its time (WrittenFeeds)."""
    content = write_content(tmp_path / "content", FILES)
    output = build_site(content, tmp_path / "preview", SITEURL=SITEURL, SEARCH_INDEX=False)
    root_feeds = [path for path in (output / "feeds").rglob("*") if path.is_file()]
    written = {path: path.stat().st_mtime_ns for path in root_feeds}
    rail = content / "news/2019/rail.md"
    rail.write_text(rail.read_text(encoding="utf-8") + "\n沿线车站同日启用。\n", encoding="utf-8")
    made = []
    monkeypatch.setattr(feeds, "atom_and_rss", lambda model, spec, *args: made.append(spec.path)
                        or atom_and_rss(model, spec, *args))
    build_site(content, tmp_path / "preview", SITEURL=SITEURL, SEARCH_INDEX=False)
    rewritten = {path.relative_to(output).as_posix() for path in root_feeds if path.stat().st_mtime_ns != written[path]}
    def lists_rail(path: Path) -> bool:
        links = ([item["url"] for item in json.loads(path.read_text())["items"]] if path.suffix == ".json"
                 else [entry.link for entry in parse(path).entries])
        return any(link.endswith("/rail-opens/") for link in links)

    listing_rail = {path.relative_to(output).as_posix() for path in root_feeds
                    if path.suffix in (".xml", ".json") and lists_rail(path)}
    assert {"feeds/all.atom.xml", "feeds/fields/transport.rss.xml", "feeds/provinces/anhui.atom.xml", "feeds/all.json"} <= listing_rail
    assert rewritten == listing_rail
    # Made again: those, in the root run (the English run has no item of rail's), not the others.
    assert sorted(made) == sorted({path.rsplit(".", 2)[0] for path in listing_rail})


def test_hostile_html_and_control_characters_never_reach_a_feed(tmp_path):
    output = build_site({"news/bad.md": (
        # (a vertical tab or form feed in the header would end the line: strict_content reports that)
        "Title: 粘贴\x08自 Word\x1b的标题\nDate: 2019-02-01\nFields: credit\nProvinces: 沪\n"
        "Summary: 摘要\x01含控制字符\n\n"
        "正文\x0b有垂直制表符\x0c和换页符。<script>alert(1)</script>\n\n"
        '<a href="javascript:alert(2)" onclick="steal()">点我</a> <img src="x.png" onerror="bad()">\n')},
        tmp_path)
    files = feed_files(output) + [output / "feeds/all.json"]
    for path in files:
        raw = path.read_bytes()
        for bad in (b"\x0b", b"\x0c", b"\x08", b"\x1b", b"\x01", b"<script", b"&lt;script", b"onclick", b"onerror", b"javascript:"):
            assert bad not in raw.lower(), (path, bad)
    for path in feed_files(output):
        entries = parse(path).entries
        if "credit" in path.name or "shanghai" in path.name or "all" in path.name:
            assert entries[0].title == "粘贴自 Word的标题"
            assert entries[0].summary == "摘要含控制字符"
            assert "点我" in entries[0].content[0].value
    item = json.loads((output / "feeds/all.json").read_text())["items"][0]
    assert item["title"] == "粘贴自 Word的标题"


def test_opml_lists_every_feed_with_its_chinese_title(site):
    root = ElementTree.parse(site / "feeds/index.opml").getroot()
    outlines = [o for o in root.iter("outline") if o.get("xmlUrl")]
    listed = {o.get("xmlUrl") for o in outlines}
    assert listed == {f"{SITEURL}/feeds/{p.relative_to(site / 'feeds').as_posix()}"
                      for p in feed_files(site, "*.atom.xml")}
    titles = {o.get("text") for o in outlines}
    assert {"中国长三角：全部消息", "中国长三角：交通", "中国长三角：安徽", "中国长三角：交通 · 安徽"} <= titles
    assert [group.get("text") for group in root.find("body")] == ["全部消息", "按领域", "按省市", "按领域和省市"]


def test_json_feed_follows_version_1_1(site):
    document = json.loads((site / "feeds/all.json").read_text(encoding="utf-8"))
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == f"{SITEURL}/feeds/all.json"
    assert document["home_page_url"] == f"{SITEURL}/"
    assert document["language"] == "zh-CN"
    assert [item["id"] for item in document["items"]] == [RAIL, OFFICE, TEACHERS]
    office = document["items"][1]
    assert office["url"] == f"{SITEURL}/news/2019/office-first-year/"
    assert office["date_published"] == "2019-01-03T09:00:00+08:00"
    assert office["title"] == "长三办成立一周年" and office["content_html"].startswith("<p>")
    assert office["tags"] == ["科创", "交通", "上海", "江苏"]  # registry order


def stylesheet_of(feed: Path) -> Path:
    href = re.search(rb'<\?xml-stylesheet type="text/xsl" href="([^"]+)"\?>', feed.read_bytes())[1]
    return (feed.parent / href.decode()).resolve()


def test_feeds_are_styled_by_their_own_editions_stylesheet_from_the_site(site):
    for edition in ("", "en/", "zh-hant/"):
        feeds = sorted((site / edition / "feeds").rglob("*.xml"))
        assert feeds
        for path in feeds:
            assert stylesheet_of(path) == (site / edition / "feeds/feed.xsl").resolve(), path


def browser_view(feed: Path) -> BeautifulSoup:
    """The page a browser shows for a feed: the feed through its own stylesheet (libxslt, as in Chromium)."""
    from lxml import etree

    transform = etree.XSLT(etree.parse(str(stylesheet_of(feed))))
    return BeautifulSoup(str(transform(etree.parse(str(feed)))), "html.parser")


def view_words(view: BeautifulSoup) -> str:
    """What the stylesheet itself says on the page: the feed's own titles and summaries left out."""
    for own in view.select("h1, .lead, article h2, article .summary"):
        own.decompose()
    return " ".join(f"{view.title.get_text()} {view.body.get_text()}".split())


@pytest.mark.parametrize("edition, lang, words, date", [
    ("", "zh-CN", ["(订阅源)", "这是一个订阅源", "打开对应的网页", "什么是订阅？查看全部订阅"], "2019年1月3日"),
    ("zh-hant/", "zh-Hant", ["(訂閱源)", "這是一個訂閱源", "打開對應的網頁", "什麼是訂閱？查看全部訂閱"], "2019年1月3日"),
    ("en/", "en", [" (feed)", "This is a feed", "Open the web page of this feed", "What is a feed? See every feed"],
     "3 January 2019"),
])
def test_a_feed_in_a_browser_speaks_its_editions_language_with_its_dates(site, edition, lang, words, date):
    for kind in ("atom", "rss"):
        view = browser_view(site / edition / f"feeds/fields/transport.{kind}.xml")
        assert view.html["lang"] == lang
        assert view.title.get_text().startswith(view.h1.get_text())
        # The item's date as the edition's own item page shows it.
        item = soup(site, f"{edition}news/2019/office-first-year/")
        card = view.select_one('article:has(a[href$="/office-first-year/"])')
        assert card.time.get_text(strip=True) == item.select_one("main time").get_text(strip=True) == date
        text = view_words(view)
        assert all(word in text for word in words), (kind, text)
        if lang == "en":
            assert not re.search(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]", text), text
        if lang == "zh-Hant":
            assert not re.search("订阅|这是|对应|网页|什么", text), text
    empty = {"": "暂无消息。", "zh-hant/": "暫無消息。", "en/": "No news yet."}[edition]
    assert empty in view_words(browser_view(site / edition / "feeds/fields/culture.atom.xml"))


def test_subscription_page_lists_every_feed_and_the_opml(site):
    page = soup(site, "feeds/")
    hrefs = {a["href"] for a in page.select("main a")}
    for path in feed_files(site):
        assert f"{SITEURL}/feeds/{path.relative_to(site / 'feeds').as_posix()}" in hrefs
    assert f"{SITEURL}/feeds/index.opml" in hrefs and f"{SITEURL}/feeds/all.json" in hrefs
    text = page.find("main").get_text()
    assert "什么是订阅" in text and "阅读器" in text
    assert "交通 · 安徽" in text and "文化 · 上海" not in text


@pytest.mark.parametrize("url_path, own_feeds", [
    ("fields/transport/", ["fields/transport"]),
    ("provinces/anhui/", ["provinces/anhui"]),
    ("news/2019/office-first-year/", ["fields/innovation", "fields/transport",
                                     "provinces/shanghai", "provinces/jiangsu"]),
    ("", []),
])
def test_pages_advertise_their_feeds(site, url_path, own_feeds):
    page = soup(site, url_path)
    expected = [f"{SITEURL}/feeds/{stem}.atom.xml" for stem in [*own_feeds, "all"]]
    head = page.head.find_all("link", rel="alternate", type="application/atom+xml")
    assert [link["href"] for link in head] == expected
    assert all(link["title"].startswith("中国长三角：") for link in head)
    assert len(page.head.find_all("link", rel="alternate", type="application/rss+xml")) == len(expected)
    if own_feeds:
        visible = {a["href"] for a in page.select("main .subscribe a")}
        assert set(expected) <= visible and f"{SITEURL}/feeds/" in visible


@pytest.mark.parametrize("setting", [{"FEED_MAX_ITEMS": 0}, {"FEED_ID_AUTHORITY": "csj"},
                                     {"FEED_ALL_ATOM": "feeds/all.atom.xml"}])
def test_wrong_feed_settings_are_reported(tmp_path, setting):
    with pytest.raises(ContentProblems) as refused:
        build_site({"news/a.md": FILES["news/2019/rail.md"]}, tmp_path, **setting)
    assert next(iter(setting)) in str(refused.value)


@pytest.mark.browser
@pytest.mark.parametrize("feeds, title, first_item, date, lang, note", [
    (("feeds/fields/transport/anhui.atom.xml", "feeds/fields/transport.rss.xml"), "中国长三角：交通",
     "城际铁路开通", "2019年6月1日", "zh-CN", "这是一个订阅源"),
    (("zh-hant/feeds/fields/transport/anhui.atom.xml", "zh-hant/feeds/fields/transport.rss.xml"), "中國長三角：交通",
     "城際鐵路開通", "2019年6月1日", "zh-Hant", "這是一個訂閱源"),
    (("en/feeds/fields/transport.atom.xml", "en/feeds/fields/transport.rss.xml"), "China Yangtze River Delta: Transport",
     "Office turns one", "3 January 2019", "en", "This is a feed"),
])
def test_a_feed_opened_in_a_browser_is_a_readable_page_in_its_editions_language(
        development_site, feeds, title, first_item, date, lang, note):
    from sitebuild import chromium, have_chromium

    if not have_chromium():
        pytest.skip("needs Debian's chromium")
    with serve(development_site) as base, chromium() as browser:
        page = browser.new_page()
        missing = []
        page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)
        for feed in feeds:
            page.goto(f"{base}/{feed}")
            assert page.locator("h1").inner_text().startswith(title)
            assert page.title().startswith(title) and page.title() != page.locator("h1").inner_text()
            assert page.locator(".feed-preview-note").inner_text().startswith(note)
            assert page.locator("article h2 a").first.inner_text() == first_item
            assert page.locator("article time").first.inner_text() == date
            assert page.evaluate("document.documentElement.lang") == lang
            # the site's own stylesheet applies (its body font size is not the browser's 16px)
            assert page.evaluate("getComputedStyle(document.body).fontSize") != "16px"
        assert missing == []


def test_each_news_feed_has_exactly_the_items_naming_its_field_and_province_in_their_order(tmp_path):
    model = model_for(settings_for(tmp_path, tmp_path / "output"))
    rng = random.Random(7)
    fields, provinces = list(model.fields), list(model.provinces)
    items = [SimpleNamespace(fields=sorted(rng.sample(fields, rng.randint(1, 3)), key=fields.index),
                             provinces=sorted(rng.sample(provinces, rng.randint(0, 2)), key=provinces.index))
             for _ in range(300)]
    feeds = {spec.path: own for spec, own in news_feeds(model, ROOT_EDITION, items)}
    assert feeds["feeds/all"] == items
    for field in fields:
        assert feeds[f"feeds/fields/{field.key}"] == [i for i in items if field in i.fields]
        for province in provinces:
            pair = [i for i in items if field in i.fields and province in i.provinces]
            # a field-and-province feed exists only when it has items
            assert feeds.get(f"feeds/fields/{field.key}/{province.key}", []) == pair
    for province in provinces:
        assert feeds[f"feeds/provinces/{province.key}"] == [i for i in items if province in i.provinces]
