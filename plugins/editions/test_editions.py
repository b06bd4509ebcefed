"""Editions: English at /en/, Traditional at /zh-hant/, switching between them, the catalogue."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil

import feedparser
import pytest
from bs4 import BeautifulSoup

from editions import catalogue
from editions.traditional import LinkRewriter
from sitebuild import ROOT, build_site, chromium, have_chromium, serve, settings_for, soup, tree_differences, write_content

ITEM = "news/2018/g60-licensing/"
CHINESE_ONLY = "news/2019/zh-only/"
ENGLISH_ONLY = "news/2019/english-only/"
BASE = "http://localhost:8000/"
# Han characters, CJK punctuation and full-width forms: none may be interface text in English.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")

SITE = {
    "news/2018/g60.md": """
        Title: 长三角G60科创走廊营业执照一网通办
        Date: 2018-01-12 09:00
        Fields: innovation
        Provinces: 上海, 浙江
        Milestone: G60科创走廊一网通办
        Slug: g60-licensing

        九个城市的企业在家门口就能办理科创走廊沿线的营业执照。另见[仅中文的消息]({filename}../2019/zh-only.md)。

        ![长三角地图]({static}/images/长三角地图.png)
        """,
    "images/长三角地图.png": b"\x89PNG\r\n",
    "news/2018/g60.en.md": """
        Title: G60 corridor business licences go online
        Date: 2018-01-12 09:00
        Fields: innovation
        Provinces: shanghai, zhejiang
        Lang: en
        Slug: g60-licensing

        Companies in nine cities can get their licences close to home.
        """,
    "news/2019/zh-only.md": """
        Title: 长三角信用合作备忘录签署
        Date: 2019-03-01
        Fields: credit
        Slug: zh-only

        四地共同签署信用合作备忘录。
        """,
    "news/2019/english-only.md": """
        Title: Briefing for foreign investors
        Date: 2019-04-02
        Fields: credit
        Lang: en
        Slug: english-only

        A briefing in English only.
        """,
    "pages/about.md": """
        Title: 关于本站
        Slug: about

        本站由长三角区域合作办公室主办。
        """,
}


# The item in both languages, and the item and image its Chinese text links to.
G60_AND_WHAT_IT_LINKS = ("news/2018/g60.md", "news/2018/g60.en.md", "news/2019/zh-only.md", "images/长三角地图.png")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site(SITE, tmp_path_factory.mktemp("editions"), SEARCH_INDEX=False)


def alternates(page) -> dict[str, str]:
    return {link["hreflang"]: link["href"] for link in page.select('link[rel="alternate"][hreflang]')}


def switcher(page) -> dict[str, dict]:
    return {a["hreflang"]: a for a in page.select(".edition-switch a")}


def untranslated_chinese(page) -> list[str]:
    """Chinese outside elements marked as Chinese (content that has no translation)."""
    page = BeautifulSoup(str(page), "html.parser")
    for element in page(["script", "style"]):
        element.decompose()
    for element in page.select('[lang^="zh"]'):
        element.decompose()
    found = CJK.findall(page.get_text(" "))
    found += [value for tag in page.find_all(True) for value in tag.attrs.values()
              if isinstance(value, str) and CJK.search(value)]
    return found


# ---------------------------------------------------------------- switching

def test_a_translated_pair_links_to_each_other_with_hreflang(site):
    expected = {"zh-Hans": BASE + ITEM, "zh-Hant": BASE + "zh-hant/" + ITEM, "en": BASE + "en/" + ITEM,
                "x-default": BASE + ITEM}
    for prefix, current in (("", "zh-Hans"), ("en/", "en"), ("zh-hant/", "zh-Hant")):
        page = soup(site, prefix + ITEM)
        assert alternates(page) == expected
        links = switcher(page)
        assert {key: a["href"] for key, a in links.items()} == {
            "zh-Hans": "/" + ITEM, "zh-Hant": "/zh-hant/" + ITEM, "en": "/en/" + ITEM}
        assert [key for key, a in links.items() if a.get("aria-current") == "page"] == [current]
    assert [a.get_text() for a in switcher(soup(site, ITEM)).values()] == ["简", "繁", "EN"]


def test_without_a_translation_the_switcher_goes_to_the_edition_home(site):
    chinese = soup(site, CHINESE_ONLY)
    assert switcher(chinese)["en"]["href"] == "/en/"
    assert "en" not in alternates(chinese)
    english = soup(site, "en/" + ENGLISH_ONLY)
    assert switcher(english)["zh-Hans"]["href"] == "/"
    assert switcher(english)["zh-Hant"]["href"] == "/zh-hant/"
    assert alternates(english) == {}


def test_an_english_only_item_is_only_in_the_english_edition(site):
    assert (site / "en" / ENGLISH_ONLY / "index.html").exists()
    assert not (site / ENGLISH_ONLY).exists()
    assert not (site / "zh-hant" / ENGLISH_ONLY).exists()
    assert "Briefing for foreign investors" not in (site / "index.html").read_text(encoding="utf-8")
    assert "Briefing for foreign investors" in (site / "en" / "index.html").read_text(encoding="utf-8")
    assert "长三角信用合作备忘录签署" not in (site / "en" / "index.html").read_text(encoding="utf-8")


def test_section_pages_switch_to_the_same_section(site):
    links = switcher(soup(site, "en/fields/innovation/"))
    assert links["zh-Hans"]["href"] == "/fields/innovation/"
    assert links["zh-Hant"]["href"] == "/zh-hant/fields/innovation/"


# ---------------------------------------------------------------- English

@pytest.mark.parametrize("path", ["", "fields/innovation/", "provinces/shanghai/", ITEM, ENGLISH_ONLY,
                                  "timeline/", "timeline/innovation/", "feeds/", "sitemap/", "search/"])
def test_english_pages_have_no_untranslated_interface_text(site, path):
    page = soup(site, "en/" + path)
    assert page.html["lang"] == "en"
    assert untranslated_chinese(page) == []


def test_english_pages_name_fields_and_provinces_and_dates_in_english(site):
    page = soup(site, "en/" + ITEM)
    assert page.find("time").get_text() == "12 January 2018"
    assert [a.get_text() for a in page.select(".item-facts .tag")] == ["Innovation", "Shanghai", "Zhejiang"]
    field = soup(site, "en/fields/innovation/")
    assert field.h1.get_text(strip=True) == "Innovation"
    assert "G60 Science and Innovation Corridor" in field.select_one(".lead").get_text()


def test_english_feeds(site):
    for name in ("all.atom.xml", "all.rss.xml", "fields/innovation.atom.xml"):
        feed = feedparser.parse((site / "en" / "feeds" / name).read_bytes())
        assert feed.bozo == 0, feed.get("bozo_exception")
        assert feed.feed.language == "en"
        assert "中国" not in feed.feed.title
        assert [entry.link for entry in feed.entries][-1] == BASE + "en/" + ITEM
        assert all(not CJK.search(entry.title) for entry in feed.entries)
    assert 'xml:lang="en"' in (site / "en" / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    assert (site / "en" / "feeds" / "index.html").exists()


def test_one_copy_of_the_theme_assets_for_every_edition(site):
    stylesheet = soup(site, "en/").select_one('link[rel="stylesheet"]')["href"]
    assert stylesheet.startswith("/static/css/portal.")  # the file's own address, not /en/../static/
    assert not (site / "en" / "static").exists()


def test_robots_names_the_sitemap_of_every_edition(site):
    robots = (site / "robots.txt").read_text(encoding="utf-8")
    for prefix in ("", "zh-hant/", "en/"):
        assert f"Sitemap: {BASE}{prefix}sitemap.xml" in robots
    assert not (site / "en" / "robots.txt").exists()
    assert BASE + "en/" + ITEM in (site / "en" / "sitemap.xml").read_text(encoding="utf-8")


def test_the_traditional_edition_is_converted_from_the_finished_root_edition(site):
    """Made after every other receiver of the root run's `finalized`: its sitemap and OPML are there."""
    for name in ("sitemap.xml", "feeds/index.opml"):
        root = (site / name).read_text(encoding="utf-8")
        traditional = (site / "zh-hant" / name).read_text(encoding="utf-8")
        assert traditional.count("<") == root.count("<") and BASE + "zh-hant/" in traditional


# ---------------------------------------------------------------- Traditional

def test_a_rebuild_leaves_robots_as_it_was(tmp_path):
    content = tmp_path / "content"
    first = build_site(SITE, tmp_path, SEARCH_INDEX=False)
    robots = (first / "robots.txt").stat().st_ino  # a file written again is a new one renamed into place
    build_site(content, tmp_path, SEARCH_INDEX=False)
    assert (first / "robots.txt").stat().st_ino == robots
    assert [line for line in (first / "robots.txt").read_text(encoding="utf-8").splitlines() if "Sitemap" in line] == [
        f"Sitemap: {BASE}{prefix}sitemap.xml" for prefix in ("", "zh-hant/", "en/")]


def test_traditional_pages_are_converted_at_the_same_urls(site):
    simplified = {p.relative_to(site) for p in site.rglob("*.html")
                  if p.relative_to(site).parts[0] not in ("en", "zh-hant", "static", "pagefind")}
    traditional = {p.relative_to(site / "zh-hant") for p in (site / "zh-hant").rglob("*.html")}
    assert simplified == traditional
    page = soup(site, "zh-hant/" + ITEM)
    assert page.html["lang"] == "zh-Hant"
    assert "長三角G60科創走廊營業執照一網通辦" in page.h1.get_text()
    assert "科創走廊" in page.select_one(".content").get_text()
    assert "科创走廊" not in str(page)


@pytest.mark.parametrize("edition, title", [("", "中国长三角 — 长三角区域合作办公室"),
                                            ("zh-hant/", "中國長三角 — 長三角區域合作辦公室"),
                                            ("en/", "China Yangtze River Delta — Yangtze River Delta Regional Cooperation Office")])
def test_each_home_page_is_titled_in_its_own_language_with_the_office_that_runs_it(site, edition, title):
    assert soup(site, edition).title.get_text() == title


def test_a_traditional_page_shows_an_image_named_in_chinese(site):
    from urllib.parse import unquote

    (image,) = soup(site, "zh-hant/" + ITEM).select(".content img")
    assert image["alt"] == "長三角地圖"
    assert (site / unquote(image["src"]).lstrip("/")).is_file()


def test_traditional_links_stay_in_the_traditional_edition(site):
    page = soup(site, "zh-hant/" + ITEM)
    for tag in page.find_all(href=True) + page.find_all(src=True) + page.find_all(action=True):
        url = tag.get("href") or tag.get("src") or tag.get("action")
        if tag.get("hreflang") or not url.startswith(("/", BASE)) or url.startswith("//"):
            continue
        path = url.removeprefix(BASE.rstrip("/"))
        assert path.startswith(("/zh-hant/", "/static/", "/images/")), (tag.name, url)  # theme, images: shared
    content_link = page.select_one(".content a")
    assert content_link["href"] == "/zh-hant/" + CHINESE_ONLY
    assert page.select_one('link[rel="canonical"]')["href"] == BASE + "zh-hant/" + ITEM


def test_traditional_feeds_are_valid_and_traditional(site):
    for name in ("all.atom.xml", "all.rss.xml", "fields/innovation.atom.xml"):
        data = (site / "zh-hant" / "feeds" / name).read_bytes()
        feed = feedparser.parse(data)
        assert feed.bozo == 0, feed.get("bozo_exception")
        assert feed.feed.language == "zh-Hant"
        assert all(entry.link.startswith(BASE + "zh-hant/") for entry in feed.entries)
        assert "科創走廊" in feed.entries[-1].title
    atom = (site / "zh-hant" / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    assert 'xml:lang="zh-Hant"' in atom
    # Entry ids of an edition carry its prefix (plugins/feeds), so they differ from the simplified ones.
    simplified = feedparser.parse((site / "feeds" / "all.atom.xml").read_bytes())
    traditional = feedparser.parse(atom.encode())
    assert [e.id for e in traditional.entries] == [
        e.id.replace("tag:csj.example,2018:", "tag:csj.example,2018:zh-hant/") for e in simplified.entries]
    assert 'href="../feeds/feed.xsl"' in atom  # the Traditional edition's own, converted stylesheet
    assert "訂閱源" in (site / "zh-hant" / "feeds" / "feed.xsl").read_text(encoding="utf-8")
    data = json.loads((site / "zh-hant" / "feeds" / "all.json").read_text(encoding="utf-8"))
    assert data["language"] == "zh-Hant" and data["feed_url"] == BASE + "zh-hant/feeds/all.json"


# ---------------------------------------------------------------- units

REWRITER = LinkRewriter("zh-hant/", BASE, "", frozenset({"static", "images", "en", "zh-hant", "pagefind"}),
                        "tag:csj.example,2018:")


@pytest.mark.parametrize("before, after", [
    ('<a href="/news/2019/x/">', '<a href="/zh-hant/news/2019/x/">'),
    ('<a href="/">', '<a href="/zh-hant/">'),
    ('<link href="/static/css/portal.abc.css">', '<link href="/static/css/portal.abc.css">'),
    ('<img src="/images/map.png">', '<img src="/images/map.png">'),
    ('<a href="/en/news/2019/x/">', '<a href="/en/news/2019/x/">'),
    ('<a href="/news/2019/x/report.pdf">', '<a href="/news/2019/x/report.pdf">'),
    ('<a href="https://www.gov.cn/x/">', '<a href="https://www.gov.cn/x/">'),
    ('<a href="#main">', '<a href="#main">'),
    ('<?xml-stylesheet href="../static/feeds/feed.xsl"?>', '<?xml-stylesheet href="../../static/feeds/feed.xsl"?>'),
    ('<a href="../fields/x/">', '<a href="../fields/x/">'),
    ('"link": "http://localhost:8000/news/2019/x/"', '"link": "http://localhost:8000/zh-hant/news/2019/x/"'),
    ('<id>tag:csj.example,2018:news/2019/x</id>', '<id>tag:csj.example,2018:zh-hant/news/2019/x</id>'),
    ('<html lang="zh-CN">', '<html lang="zh-Hant">'),
    ('<a href="/news/2019/x/" hreflang="zh-Hans" aria-current="page">', '<a href="/news/2019/x/" hreflang="zh-Hans">'),
    ('<a href="/zh-hant/news/2019/x/" hreflang="zh-Hant">', '<a href="/zh-hant/news/2019/x/" hreflang="zh-Hant" aria-current="page">'),
    ('<link rel="alternate" hreflang="zh-Hans" href="http://localhost:8000/news/2019/x/">',
     '<link rel="alternate" hreflang="zh-Hans" href="http://localhost:8000/news/2019/x/">'),
    # Every URL attribute, after any white space; not a name that only ends like one.
    ('<img\nsrc="/news/x.json" data-href="/news/" data-pagefind-filter="field">',
     '<img\nsrc="/zh-hant/news/x.json" data-href="/zh-hant/news/" data-pagefind-filter="field">'),
    ('<form\taction="/search/"><video poster="/x/">', '<form\taction="/zh-hant/search/"><video poster="/zh-hant/x/">'),
    ('<a xhref="/news/" hreflink="/news/">', '<a xhref="/news/" hreflink="/news/">'),
    ('<a href="../static/x.css" data-x="../page/2/">', '<a href="../../static/x.css" data-x="../page/2/">'),
    # Language tags as whole words only, also at the ends of the text.
    ('zh-CN xzh-CN zh-CNx zh_CN', 'zh-Hant xzh-CN zh-CNx zh_TW'),
    # An absolute URL, a feed id and a language tag inside an attribute value.
    ('<a href="/go/?to=http://localhost:8000/news/&amp;lang=zh-CN" data-id="tag:csj.example,2018:news/x">',
     '<a href="/zh-hant/go/?to=http://localhost:8000/zh-hant/news/&amp;lang=zh-Hant" '
     'data-id="tag:csj.example,2018:zh-hant/news/x">'),
])
def test_link_rewriting(before, after):
    assert REWRITER.rewrite(before, "feeds") == after


@pytest.mark.parametrize("text", [
    '<head><link rel="alternate" hreflang="en" href="/en/"><link rel="alternate" hreflang="zh-Hans" href="/">',
    '<p>hreflang="en" in text</p><a\nhref="/en/"\nhreflang="en">EN</a> <a href="/" hreflang="zh-Hans">简</a>',
    '<a data-hreflang="x" href="/">no</a><a class="x"  hreflang="a" hreflang="b">two</a><link hreflang="x">',
    '<abbr hreflang="en">not a link</abbr><a hreflang="en"',
])
def test_hreflang_tags_are_the_patterns_matches(text):
    from editions import traditional

    assert [tag.span() for tag in traditional.hreflang_tags(text)] == [
        tag.span() for tag in traditional.HREFLANG_TAG.finditer(text)]


PAGE_CHROME = ('<html lang="zh-CN">\n<header><a href="/">长三角</a> <a href="/" hreflang="zh-Hans">简</a>'
               '<a href="/zh-hant/" hreflang="zh-Hant">繁</a></header>\n<nav><a href="/fields/">领域</a></nav>\n')
PAGE_BODIES = [
    '<p>发展</p>\n<img src="photo.png" alt="照片">\n<a href="../static/x.css">样式</a>\n<p>经济</p>',
    '<ul>\n<li><a class="x"\nhref="/news/a/"\n   data-title="发展">发展</a></li>\n<li data-x="v1.2/">一体化</li>\n</ul>\n',
    '<a class="x"\nhref="/news/b/">乙</a><a href="./">这里</a><a href="a/../b.png">图</a><a href="http://localhost:8000/news/">新闻</a>\n<p>环境',
]


@pytest.mark.parametrize("folder", ["", "news/2019/a", "feeds", "static/x"])
def test_conversion_piece_by_piece_equals_converting_the_whole_file(folder):
    """Pieces are remembered across pages (relative links, tags over lines, text without a line end)."""
    from editions import traditional

    converter, calls = traditional.opencc.OpenCC(traditional.CONVERSION), []
    conversion = traditional.Conversion(Recording(converter, calls), REWRITER, None)
    for body in PAGE_BODIES + PAGE_BODIES:
        text = PAGE_CHROME + body
        assert conversion.converted(text, folder) == REWRITER.rewrite(converter.convert(text), folder)
    if folder == "news/2019/a":  # the chrome was converted with the first page only
        assert sum("长三角" in text for text in calls) == 1


def test_addresses_with_chinese_characters_are_not_converted_with_the_text():
    """A file an editor named in Chinese keeps its name; OpenCC would make it 長三角地圖.png."""
    from editions import traditional

    conversion = traditional.Conversion(traditional.opencc.OpenCC(traditional.CONVERSION), REWRITER, None)
    page = ('<p>长三角地图</p>\n<img src="/images/长三角地图.png" alt="长三角地图">\n'
            '<meta property="og:image" content="http://localhost:8000/images/长三角地图.png">\n'
            '<a href="https://中国政府网.政务/发展/">中国政府网</a>\n<a href="/news/x/">发展</a>')
    for folder in ("news/2019/a", ""):
        assert conversion.converted(page, folder) == (
            '<p>長三角地圖</p>\n<img src="/images/%E9%95%BF%E4%B8%89%E8%A7%92%E5%9C%B0%E5%9B%BE.png" alt="長三角地圖">\n'
            '<meta property="og:image" content="http://localhost:8000/images/%E9%95%BF%E4%B8%89%E8%A7%92%E5%9C%B0%E5%9B%BE.png">\n'
            '<a href="https://xn--fiqs8sirgfmhq98a.xn--zfr164b/%E5%8F%91%E5%B1%95/">中國政府網</a>\n<a href="/zh-hant/news/x/">發展</a>')


def test_an_address_in_running_text_ends_before_chinese_punctuation_and_words():
    from editions import traditional

    conversion = traditional.Conversion(traditional.opencc.OpenCC(traditional.CONVERSION), REWRITER, None)
    text = "<p>本站网址http://localhost:8000/about/。详见http://localhost:8000/news/x/说明，谢谢</p>"
    assert conversion.converted(text, "news/2019/a") == (
        "<p>本站網址http://localhost:8000/zh-hant/about/。詳見http://localhost:8000/zh-hant/news/x/說明，謝謝</p>")


def test_a_site_below_a_folder_keeps_its_folder():
    rewriter = LinkRewriter("zh-hant/", "https://example.org/csj/", "/csj", frozenset({"static"}))
    assert rewriter.rewrite('<a href="/csj/news/x/">', "") == '<a href="/csj/zh-hant/news/x/">'
    assert rewriter.rewrite('<a href="/other/">', "") == '<a href="/other/">'


def test_every_interface_string_has_an_english_translation():
    template = catalogue.extract(ROOT)
    with open(catalogue.po_path(ROOT / "theme", "en"), "rb") as handle:
        english = catalogue.pofile.read_po(handle)
    assert len(template) > 50
    assert catalogue.untranslated(english, template) == [], "run: invoke translations"


def test_items_of_one_date_are_listed_by_slug_whatever_order_the_files_are_read_in(tmp_path):
    # Pelican lists the files in a set, whose order changes with each run of Python.
    slugs = ["delta", "alpha", "echo", "charlie", "bravo", "foxtrot"]
    output = build_site({f"news/2019/{n}.md": f"Title: 第{n}条\nDate: 2019-03-28\nFields: culture\nSlug: {slug}\n\n正文。"
                         for n, slug in enumerate(slugs)} | {"news/2019/newer.md": (
                             "Title: 更新的一条\nDate: 2019-03-29\nFields: culture\nSlug: newer\n\n正文。")},
                        tmp_path, SEARCH_INDEX=False, OTHER_EDITIONS=[])
    listed = [a["href"].split("/")[-2] for a in soup(output, "fields/culture/").select("main a[href*='/news/2019/']")]
    assert list(dict.fromkeys(listed)) == ["newer", *sorted(slugs)]


def test_the_english_run_does_not_parse_chinese_items(tmp_path):
    from strict_content import SanitizingMarkdownReader, Source

    item = tmp_path / "a.md"
    item.write_text("Title: 标题\nDate: 2019-01-01\nFields: credit\n\n正文", encoding="utf-8")
    settings = settings_for(tmp_path, tmp_path / "output", SKIP_OTHER_LANGUAGES=True, DEFAULT_LANG="en",
                            PORTAL_SOURCES={str(item): Source(str(item), "article", {}, lang="zh")})
    reader = SanitizingMarkdownReader(settings)
    assert reader.read(str(item)) == ("", {"status": "skip"})


def test_the_english_run_lists_only_the_english_sources(tmp_path):
    from editions import english_settings
    from strict_content import Source

    content = tmp_path / "content"
    content.mkdir()
    sources = [Source(str(content / path), kind, {}, lang=lang) for path, kind, lang in (
        ("news/2019/a.md", "article", "zh"), ("news/2019/a.en.md", "article", "en"),
        ("news/b.en.md", "article", "en"), ("pages/about.md", "page", "zh"), ("pages/about.en.md", "page", "en"))]
    settings = settings_for(content, tmp_path / "output", EDITIONS_SITEURL="",
                            PORTAL_SOURCES={source.path: source for source in sources})
    english = english_settings(settings)
    assert english["ARTICLE_PATHS"] == ["news/2019/a.en.md", "news/b.en.md"]
    assert english["PAGE_PATHS"] == ["pages/about.en.md"]


# ---------------------------------------------------------------- in a browser

@pytest.mark.browser
@pytest.mark.skipif(not have_chromium(), reason="needs Debian's chromium")
def test_a_reader_switches_edition_from_an_item_and_lands_on_its_translation(site):
    with serve(site) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/{ITEM}")
        page.locator('.edition-switch a[hreflang="en"]').click()
        page.wait_for_url(f"{base}/en/{ITEM}")
        assert page.locator("h1").inner_text() == "G60 corridor business licences go online"
        page.locator('.edition-switch a[hreflang="zh-Hant"]').click()
        page.wait_for_url(f"{base}/zh-hant/{ITEM}")
        assert "科創走廊" in page.locator("h1").inner_text()
        assert page.locator("html").get_attribute("lang") == "zh-Hant"


def test_a_public_siteurl_gives_absolute_links_in_every_edition(tmp_path):
    public = "https://www.csj.example"
    output = build_site({name: SITE[name] for name in G60_AND_WHAT_IT_LINKS},
                        tmp_path, SITEURL=public, FEED_DOMAIN=public, SEARCH_INDEX=False)
    traditional = soup(output, "zh-hant/" + ITEM)
    assert traditional.select_one(".site-name")["href"] == f"{public}/zh-hant/"
    assert switcher(traditional)["zh-Hans"]["href"] == f"{public}/{ITEM}"
    assert traditional.select_one('link[rel="stylesheet"]')["href"].startswith(f"{public}/static/")
    english = soup(output, "en/" + ITEM)
    assert english.select_one(".site-name")["href"] == f"{public}/en/"
    assert alternates(english)["zh-Hant"] == f"{public}/zh-hant/{ITEM}"


def test_production_compression_compresses_every_edition_once(tmp_path, monkeypatch):
    """pelican-precompress hears the English run's "compress" signal too: only the root run may act."""
    from pelican.plugins import precompress

    offered = []  # every file each run hands to the compressors
    find_paths = precompress.get_paths_to_compress

    def recording(settings):
        return [path for path in find_paths(settings) if not offered.append(path)]

    monkeypatch.setattr(precompress, "get_paths_to_compress", recording)
    output = build_site({name: SITE[name] for name in G60_AND_WHAT_IT_LINKS}, tmp_path,
                        PLUGINS=[*settings_for(tmp_path, tmp_path)["PLUGINS"], "pelican.plugins.precompress"],
                        PRECOMPRESS_OVERWRITE=True, PRECOMPRESS_BROTLI=True, PRECOMPRESS_GZIP=True,
                        SEARCH_INDEX=False)

    assert (output / "en" / ITEM / "index.html.br").exists()
    assert (output / "zh-hant" / ITEM / "index.html.gz").exists()
    assert len(offered) == len(set(offered))


def test_traditional_conversion_looks_only_at_the_files_the_build_listed(tmp_path):
    """When the last conversion caught up with the build before (portal_model.changes), the
    build's list of files written and removed stands in for a walk of the output."""
    from editions import traditional

    output, cache = tmp_path / "output", str(tmp_path / "cache")
    rewriter = LinkRewriter("zh-hant/", BASE, "", frozenset({"static", "zh-hant"}))
    for site_path in ("news/a/index.html", "news/b/index.html", "news/c/index.html"):
        (output / site_path).parent.mkdir(parents=True, exist_ok=True)
        (output / site_path).write_text("<p>发展</p>\n", encoding="utf-8")
    walked = traditional.write_traditional(str(output), rewriter, set(), cache,
                                           changes={"since": None, "build": "one", "written": None, "removed": None})
    assert walked.files == 3

    (output / "news/a/index.html").write_text("<p>经济</p>\n", encoding="utf-8")
    (output / "news/b/index.html").unlink()
    (output / "news/b").rmdir()
    (output / "news/d/index.html").parent.mkdir()
    (output / "news/d/index.html").write_text("<p>长三角</p>\n", encoding="utf-8")
    (output / "news/c/index.html").write_text("<p>变了</p>\n", encoding="utf-8")  # not listed: not seen
    listed = traditional.write_traditional(str(output), rewriter, set(), cache, changes={
        "since": "one", "build": "two", "written": ["news/a/index.html", "news/d/index.html", "static/x.css"],
        "removed": ["news/b/index.html"]})
    hant = output / "zh-hant"
    assert (listed.files, listed.written, listed.removed) == (3, 2, 1)
    assert (hant / "news/a/index.html").read_text(encoding="utf-8") == "<p>經濟</p>\n"
    assert (hant / "news/d/index.html").read_text(encoding="utf-8") == "<p>長三角</p>\n"
    assert not (hant / "news/b").exists(), "the removed page's folder goes with it"
    assert (hant / "news/c/index.html").read_text(encoding="utf-8") == "<p>發展</p>\n"

    # A build in between that no conversion caught up with (stopped half-way): the output is walked.
    walked = traditional.write_traditional(str(output), rewriter, set(), cache, changes={
        "since": "stopped", "build": "three", "written": [], "removed": []})
    assert (walked.files, walked.written) == (3, 1)
    assert (hant / "news/c/index.html").read_text(encoding="utf-8") == "<p>變了</p>\n"


def test_traditional_conversion_reuses_the_cache_for_unchanged_files_only(tmp_path, monkeypatch):
    from editions import traditional

    output, cache = tmp_path / "output", tmp_path / "cache"
    rewriter = LinkRewriter("zh-hant/", BASE, "", frozenset({"static", "zh-hant"}))
    pages = {"news/a/index.html": '<a href="/news/b/">长三角发展</a>\r\n', "news/b/index.html": "<p>经济</p>\n"}
    for site_path, text in pages.items():
        (output / site_path).parent.mkdir(parents=True, exist_ok=True)
        (output / site_path).write_bytes(text.encode("utf-8"))
    traditional.write_traditional(str(output), rewriter, set())
    plain = {path: (output / "zh-hant" / path).read_bytes() for path in pages}

    traditional.write_traditional(str(output), rewriter, set(), str(cache))
    (output / "news/b/index.html").write_text("<p>发展</p>\n", encoding="utf-8")
    converted = []
    converter = traditional.opencc.OpenCC(traditional.CONVERSION)
    monkeypatch.setattr(traditional.opencc, "OpenCC", lambda conversion: Recording(converter, converted))
    traditional.write_traditional(str(output), rewriter, set(), str(cache))

    assert converted == ["<p>发展</p>\n"]
    assert (output / "zh-hant/news/a/index.html").read_bytes() == plain["news/a/index.html"]
    assert "發展" in (output / "zh-hant/news/a/index.html").read_text(encoding="utf-8")
    assert (output / "zh-hant/news/b/index.html").read_text(encoding="utf-8") == "<p>發展</p>\n"
    assert len(set(cache.iterdir()) - {cache / traditional.MANIFEST}) == 2  # the entry of b's old text is gone


class Recording:
    def __init__(self, converter, converted):
        self.converter, self.converted = converter, converted

    def convert(self, text):
        self.converted.append(text)
        return self.converter.convert(text)


def write_pages(output, pages):
    for site_path, text in pages.items():
        (output / site_path).parent.mkdir(parents=True, exist_ok=True)
        (output / site_path).write_text(text, encoding="utf-8")


def traditional_files(output):
    edition = output / "zh-hant"
    return {str(path.relative_to(edition)): path.read_bytes() for path in edition.rglob("*") if path.is_file()}


def test_an_emptied_edition_is_filled_from_the_cache_without_reading_its_unchanged_sources(tmp_path, monkeypatch):
    # invoke build and every publication start from an empty output folder.
    from editions import traditional

    output, cache = tmp_path / "output", str(tmp_path / "cache")
    rewriter = LinkRewriter("zh-hant/", BASE, "", frozenset({"static", "zh-hant"}))
    write_pages(output, {"news/a/index.html": "<p>长三角</p>", "news/b/index.html": "<p>经济</p>"})
    traditional.write_traditional(str(output), rewriter, set(), cache)
    first = traditional_files(output)
    shutil.rmtree(output / "zh-hant")
    write_pages(output, {"news/b/index.html": "<p>长三角发展</p>"})  # edited since

    def read(path, mode="r", *args, **kwargs):
        assert "news/a" not in str(path), "an unchanged page was read"
        return open(path, mode, *args, **kwargs)

    monkeypatch.setattr(traditional, "open", read, raising=False)
    outcome = traditional.write_traditional(str(output), rewriter, set(), cache)

    assert outcome.written == 2
    assert traditional_files(output) == {**first, "news/b/index.html": "<p>長三角發展</p>".encode()}


@pytest.mark.parametrize("cached", [False, True])
def test_traditional_pages_of_removed_items_are_removed_and_unchanged_ones_left_alone(tmp_path, cached):
    from editions import traditional

    output, cache = tmp_path / "output", str(tmp_path / "cache") if cached else None
    rewriter = LinkRewriter("zh-hant/", BASE, "", frozenset({"static", "zh-hant"}))
    write_pages(output, {"news/a/index.html": "<p>长三角</p>", "news/b/index.html": "<p>经济</p>",
                         "topics/old/index.html": "<p>专题</p>"})
    traditional.write_traditional(str(output), rewriter, set(), cache)
    kept = output / "zh-hant/news/a/index.html"
    before = kept.stat().st_mtime_ns
    (output / "zh-hant/news/b/index.html.gz").write_bytes(b"compressed by an earlier build")

    (output / "news/b/index.html").unlink()
    (output / "news/b").rmdir()
    shutil.rmtree(output / "topics")
    outcome = traditional.write_traditional(str(output), rewriter, set(), cache)

    assert traditional_files(output) == {"news/a/index.html": "<p>長三角</p>".encode()}
    assert not (output / "zh-hant/news/b").exists()
    assert not (output / "zh-hant/topics").exists()  # a folder emptied by emptying the folders in it
    assert (outcome.files, outcome.removed) == (1, 3)
    if cached:  # neither read nor written again
        assert outcome.written == 0 and kept.stat().st_mtime_ns == before


def test_many_files_are_converted_on_every_core_with_the_same_result(tmp_path, monkeypatch):
    from editions import traditional

    pages = {f"news/{number}/index.html": f'<a href="/news/{number + 1}/">长三角第{number}条发展</a>\n'
             for number in range(40)}
    rewriter = LinkRewriter("zh-hant/", BASE, "", frozenset({"static", "zh-hant"}))
    results = {}
    for name, minimum in (("sequential", 1000), ("parallel", 2)):
        monkeypatch.setattr(traditional, "PARALLEL_MIN_FILES", minimum)
        monkeypatch.setattr(traditional, "CHUNK_SIZE", 3)
        write_pages(tmp_path / name, pages)
        outcome = traditional.write_traditional(str(tmp_path / name), rewriter, set(), str(tmp_path / f"{name}-cache"))
        assert outcome.written == len(pages)
        results[name] = traditional_files(tmp_path / name)
    assert results["parallel"] == results["sequential"]
    assert "長三角第39條發展" in results["parallel"]["news/39/index.html"].decode()


def test_the_traditional_edition_is_converted_by_a_process_of_its_own(tmp_path):
    # The build's process holds every item; the list of every file of the site and what was written of
    # each (~35 MiB at 20,000 items) stay out of it, and it makes the English edition meanwhile.
    from editions import traditional

    site = tmp_path / "site"
    write_pages(site, {f"news/{number}/index.html": f"<p>第{number}条发展</p>" for number in range(20)})
    run = traditional.TraditionalRun(str(site), LinkRewriter("zh-hant/", BASE, "", frozenset({"zh-hant"})), None)
    assert run.process.process.poll() is None  # started, not waited for
    assert run.outcome() == traditional.Outcome(files=20, written=20, removed=0)
    assert (site / "zh-hant" / "news" / "19" / "index.html").read_text(encoding="utf-8") == "<p>第19條發展</p>"


def conversion_settings(site):
    return {"OUTPUT_PATH": str(site), "EDITIONS_ABSOLUTE_URL": BASE, "EDITIONS_SITEURL": "",
            "THEME_STATIC_DIR": "static", "STATIC_PATHS": ["images"], "CACHE_CONTENT": False}


def process_status(pid: int) -> list[str] | None:
    """Its state, parent … from /proc/<pid>/stat (after the name, which may hold spaces); None once gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()
    except (OSError, ValueError):
        return None


def running(pid: int, parent: int | None = None) -> bool:
    """Alive (not a zombie), and a child of `parent` if given."""
    status = process_status(pid)
    return status is not None and status[0] != "Z" and parent in (None, int(status[1]))


def children_of(pid: int) -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and running(int(entry), parent=pid)]


@pytest.mark.skipif(not os.path.isdir("/proc") or (os.cpu_count() or 1) < 2, reason="workers seen in /proc")
def test_a_build_stopped_while_the_traditional_edition_is_converted_leaves_no_process_writing(tmp_path, monkeypatch):
    import time

    import editions
    from editions import convert_traditional, traditional

    site = tmp_path / "site"
    write_pages(site, {f"news/{number}/index.html": f"<p>第{number}条发展</p>" for number in range(3000)})
    runs, workers = [], []

    def started(*arguments):
        runs.append(traditional.TraditionalRun(*arguments))
        return runs[-1]

    def stopped_by_the_editor():  # Ctrl-C while the English edition is made, the conversion's workers busy
        deadline = time.monotonic() + 20
        while not workers and time.monotonic() < deadline:
            workers.extend(children_of(runs[0].process.process.pid))
            time.sleep(0.01)
        raise KeyboardInterrupt

    monkeypatch.setattr(editions, "TraditionalRun", started)
    with pytest.raises(KeyboardInterrupt):
        convert_traditional(conversion_settings(site), meanwhile=stopped_by_the_editor)
    assert workers  # the conversion had forked its workers
    time.sleep(0.5)
    # The conversion and its workers ended: nothing goes on writing into zh-hant/.
    assert not running(runs[0].process.process.pid)
    assert [pid for pid in workers if running(pid)] == []
    assert len(list((site / "zh-hant").rglob("*.html"))) < 3000  # stopped then, not waited for


def test_a_traditional_conversion_that_fails_says_so_in_one_line(tmp_path):
    from editions import convert_traditional

    site = tmp_path / "site"
    write_pages(site, {"news/1/index.html": "<p>发展</p>"})
    (site / "zh-hant").write_text("not a folder", encoding="utf-8")  # where the edition must go
    with pytest.raises(RuntimeError) as failure:
        convert_traditional(conversion_settings(site), meanwhile=lambda: None)
    message = str(failure.value)
    assert message.startswith("繁体版没有转换完(the Traditional edition was not converted): ")
    assert "zh-hant" in message and "Traceback" not in message and "\n" not in message


@pytest.mark.parametrize("links", [True, False])
def test_a_cache_entry_is_a_second_name_of_its_page_and_never_written_over(tmp_path, monkeypatch, links):
    from editions import traditional

    if not links:  # a cache on another file system: copies
        def cross_device(existing, new):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        monkeypatch.setattr(traditional.os, "link", cross_device)
    output, cache = tmp_path / "output", str(tmp_path / "cache")
    rewriter = LinkRewriter("zh-hant/", BASE, "", frozenset({"static", "zh-hant"}))
    converted = output / "zh-hant/news/a/index.html"
    write_pages(output, {"news/a/index.html": "<p>长三角</p>"})
    traditional.write_traditional(str(output), rewriter, set(), cache)
    assert converted.stat().st_nlink == (2 if links else 1)

    write_pages(output, {"news/a/index.html": "<p>经济</p>"})
    traditional.write_traditional(str(output), rewriter, set())  # a preview without the cache
    assert converted.read_text(encoding="utf-8") == "<p>經濟</p>"
    write_pages(output, {"news/a/index.html": "<p>长三角</p>"})  # the edit undone: from the cache
    outcome = traditional.write_traditional(str(output), rewriter, set(), cache)
    assert outcome.written == 1 and converted.read_text(encoding="utf-8") == "<p>長三角</p>"
    assert converted.stat().st_nlink == (2 if links else 1)


class CachedSite:
    """A site built, changed and built again into one output, with the content cache and page keys kept."""

    def __init__(self, tmp_path, files: dict[str, str]):
        self.tmp_path = tmp_path
        self.content = write_content(tmp_path / "content", files)
        self.output = self.build()

    def build(self):
        return build_site(self.content, self.tmp_path, SEARCH_INDEX=False, CACHE_PATH=str(self.tmp_path / "cache"),
                          LOAD_CONTENT_CACHE=True)

    def differences_from_a_clean_build(self) -> list[str]:
        (self.tmp_path / "clean").mkdir()
        clean = build_site(self.content, self.tmp_path / "clean", SEARCH_INDEX=False, CACHE_CONTENT=False)
        return tree_differences(self.output, clean)


def test_a_translation_added_between_builds_reaches_the_switcher_of_the_item_it_translates(tmp_path):
    # The preview keeps unchanged pages: the Chinese item's page must still learn of its new translation.
    site = CachedSite(tmp_path, {name: text for name, text in SITE.items() if name != "news/2018/g60.en.md"})
    assert switcher(soup(site.output, ITEM))["en"]["href"] == "/en/"

    write_content(site.content, {"news/2018/g60.en.md": SITE["news/2018/g60.en.md"]})
    site.build()

    assert switcher(soup(site.output, ITEM))["en"]["href"] == f"/en/{ITEM}"
    assert switcher(soup(site.output, "news/2019/zh-only/"))["en"]["href"] == "/en/"


def test_a_new_chinese_item_leaves_the_english_edition_and_the_standing_pages_as_they_were(tmp_path):
    site = CachedSite(tmp_path, SITE)
    english = {page: page.stat().st_mtime_ns for page in (site.output / "en").rglob("*.html")}
    about = (site.output / "about/index.html").stat().st_mtime_ns

    write_content(site.content, {"news/2019/new.md": """
        Title: 长三角跨省通办新增二十项
        Date: 2019-05-06
        Fields: credit
        Slug: new-services

        新增二十项跨省通办事项。
        """})
    site.build()

    assert (site.output / "news/2019/new-services/index.html").exists()
    assert [page for page, stamp in english.items() if page.stat().st_mtime_ns != stamp] == []
    assert (site.output / "about/index.html").stat().st_mtime_ns == about
    assert site.differences_from_a_clean_build() == []


def test_a_translation_removed_between_builds_leaves_the_english_edition_as_a_clean_build_has_it(tmp_path):
    # Its field's English feed goes with it, folder and all.
    site = CachedSite(tmp_path, SITE)
    assert (site.output / "en/feeds/fields/innovation").is_dir()

    (site.content / "news/2018/g60.en.md").unlink()
    site.build()

    assert not (site.output / "en" / ITEM).exists()
    assert site.differences_from_a_clean_build() == []


def test_the_traditional_conversion_starts_before_the_pages_are_written_and_converts_what_the_build_changed(
        tmp_path, monkeypatch):
    # Python's start, OpenCC's dictionaries and the record of converted files are loaded while the
    # build lists its items; the process learns what the build wrote once the root edition is there.
    import editions
    from editions import traditional

    site = CachedSite(tmp_path, SITE)
    page = site.output / CHINESE_ONLY / "index.html"
    before = page.stat().st_mtime_ns
    started, told, outcomes = [], [], []

    class Recorded(traditional.TraditionalRun):
        def __init__(self, *arguments, **options):
            super().__init__(*arguments, **options)
            started.append(page.stat().st_mtime_ns)

        def pages_written(self, changes=None):
            told.append(changes)
            super().pages_written(changes)

        def outcome(self):
            outcomes.append(super().outcome())
            return outcomes[-1]

    monkeypatch.setattr(editions, "TraditionalRun", Recorded)
    edited = site.content / "news/2019/zh-only.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("备忘录。", "备忘录，共促发展。"), encoding="utf-8")
    site.build()

    assert started == [before], "one conversion, started before the edited page was written again"
    assert page.stat().st_mtime_ns != before
    assert "共促發展" in soup(site.output, f"zh-hant/{CHINESE_ONLY}").text
    # Told what the build wrote, it looks at those files alone instead of walking the output.
    assert f"{CHINESE_ONLY}index.html" in told[0]["written"] and "about/index.html" not in told[0]["written"]
    assert 1 <= outcomes[0].written < outcomes[0].files
    assert site.differences_from_a_clean_build() == []


def test_the_next_build_takes_the_compiled_templates_from_the_cache_and_compiles_an_edited_one(tmp_path, monkeypatch):
    import jinja2

    import editions

    theme = shutil.copytree(ROOT / "theme", tmp_path / "theme")
    content = write_content(tmp_path / "content", SITE)

    def build_in_a_new_process(**settings):  # what one process compiled, the next has only from the cache
        editions.COMPILED_TEMPLATES.compiled.clear()
        # In this process: pages rendered by forked workers would compile out of the test's sight.
        return build_site(content, tmp_path, SEARCH_INDEX=False, THEME=str(theme), PARALLEL_WRITING_MIN_PAGES=10**6,
                          CACHE_PATH=str(tmp_path / "cache"), LOAD_CONTENT_CACHE=True, **settings)

    build_in_a_new_process()
    compiled, compile_template = [], jinja2.Environment.compile

    def counted(environment, source, name=None, *arguments, **options):
        compiled.append(name)
        return compile_template(environment, source, name, *arguments, **options)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    output = build_in_a_new_process()
    assert compiled == []

    page = theme / "templates" / "page.html"
    page.write_text(page.read_text(encoding="utf-8").replace("{% block content %}", "{% block content %}<p>新版式</p>"),
                    encoding="utf-8")
    build_in_a_new_process()
    assert "page.html" in compiled
    assert "新版式" in soup(output, "about/").text and "新版式" in soup(output, "zh-hant/about/").text

    # Compiled otherwise (JINJA_ENVIRONMENT's options), the pages are as a clean build has them.
    unstripped = {**settings_for(content, output)["JINJA_ENVIRONMENT"], "trim_blocks": False, "lstrip_blocks": False}
    build_in_a_new_process(JINJA_ENVIRONMENT=unstripped)
    (tmp_path / "clean").mkdir()
    clean = build_site(content, tmp_path / "clean", SEARCH_INDEX=False, THEME=str(theme), CACHE_CONTENT=False,
                       JINJA_ENVIRONMENT=unstripped)
    assert (output / "about/index.html").read_text(encoding="utf-8") == \
        (clean / "about/index.html").read_text(encoding="utf-8")
    # The same in one process (the preview reads its settings again for every build).
    build_site(content, tmp_path, SEARCH_INDEX=False, THEME=str(theme), PARALLEL_WRITING_MIN_PAGES=10**6,
               CACHE_PATH=str(tmp_path / "cache"), LOAD_CONTENT_CACHE=True)
    (tmp_path / "clean-stripped").mkdir()
    editions.COMPILED_TEMPLATES.compiled.clear()  # the clean build as a new process makes it
    clean = build_site(content, tmp_path / "clean-stripped", SEARCH_INDEX=False, THEME=str(theme), CACHE_CONTENT=False)
    assert (output / "about/index.html").read_text(encoding="utf-8") == \
        (clean / "about/index.html").read_text(encoding="utf-8")


def test_writers_compiling_at_once_each_remove_only_templates_of_other_inputs(tmp_path, monkeypatch):
    # The writer's workers compile templates at the same time: one removes an outdated file first,
    # the other finds it gone; neither touches what the other is writing.
    import jinja2
    from jinja2.bccache import Bucket

    import editions
    from incremental_writer.pagekeys import BUILD_INPUTS

    compiled = editions.CompiledTemplates()
    compiled.settings = {"CACHE_PATH": str(tmp_path), "CACHE_CONTENT": True, BUILD_INPUTS: "new"}
    folder = tmp_path / editions.KEPT_TEMPLATES
    folder.mkdir()
    (folder / "old-page").write_bytes(b"compiled from other inputs")
    (folder / "new-base.4242.partial").write_bytes(b"being written by the other worker")
    remove = os.remove

    def removed_by_the_other_worker_first(path):
        remove(path)
        remove(path)

    monkeypatch.setattr(os, "remove", removed_by_the_other_worker_first)
    bucket = Bucket(jinja2.Environment(), "article", "checksum")
    bucket.code = compile("x = 1", "article.html", "exec")
    compiled.dump_bytecode(bucket)
    assert sorted(path.name for path in folder.iterdir()) == ["new-article", "new-base.4242.partial"]


def test_compiled_templates_cut_short_are_compiled_again(tmp_path):
    import editions

    content = write_content(tmp_path / "content", SITE)

    def build_in_a_new_process():
        editions.COMPILED_TEMPLATES.compiled.clear()
        return build_site(content, tmp_path, SEARCH_INDEX=False, PARALLEL_WRITING_MIN_PAGES=10**6,
                          CACHE_PATH=str(tmp_path / "cache"), LOAD_CONTENT_CACHE=True)

    output = build_in_a_new_process()
    kept = list((tmp_path / "cache").rglob(f"{editions.KEPT_TEMPLATES}/*"))
    assert kept
    for path in kept:  # a disk that filled up while they were written
        path.write_bytes(path.read_bytes()[:40])
    (output / "about/index.html").unlink()
    build_in_a_new_process()
    assert "本站由长三角区域合作办公室主办" in soup(output, "about/").text
    # Those of the templates this build rendered with (the others are compiled once a page needs them).
    assert any(len(path.read_bytes()) > 40 for path in kept), "written anew"
