"""The theme's pages as a reader and a search engine get them (built HTML, no browser)."""

from __future__ import annotations

import json
import re

import pytest

from sitebuild import build_site, soup
from theme_pages import (PageFacts, css_references, html_pages, is_other_host, one_page_of_each_kind, page_facts,
                         page_file, site)  # noqa: F401 (fixture)

ITEM = """\
Title: 沪苏浙皖门诊费用直接结算
Date: 2018-12-05 09:30
Fields: livelihood, transport
Provinces: 沪, 皖
Source: 新华社
Summary: 异地就医门诊费用可以直接结算。
Slug: outpatient-settlement

异地就医的老人不用再垫钱了。
"""

ITEM_WITHOUT_SUMMARY = """\
Title: 长三角异地门诊结算扩面
Date: 2019-07-09
Fields: livelihood
Slug: outpatient-expansion

试点城市和定点医疗机构的数量不断增加。

出发前先办理备案。
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_site({"news/item.md": ITEM, "news/no-summary.md": ITEM_WITHOUT_SUMMARY, "pages/about.md": "Title: 关于\nSlug: about\n\n关于本站。\n"},
                      tmp_path_factory.mktemp("tiny"))


def test_item_page_shows_date_source_fields_and_provinces_as_links(tiny):
    page = soup(tiny, "news/2018/outpatient-settlement/")
    facts = page.select_one(".item-facts")
    assert facts.find("time").get_text() == "2018年12月5日"
    assert facts.find("time")["datetime"] == "2018-12-05T09:30:00+08:00"
    assert "新华社" in facts.get_text()
    links = {a.get_text(): a["href"] for a in facts.select("a")}
    assert links == {"交通": "/fields/transport/", "民生": "/fields/livelihood/",
                     "上海": "/provinces/shanghai/", "安徽": "/provinces/anhui/"}
    assert page.select_one(".item-head .lead").get_text() == "异地就医门诊费用可以直接结算。"


def test_item_without_summary_shows_its_first_paragraph_once(tiny):
    page = soup(tiny, "news/2019/outpatient-expansion/")
    assert page.select_one(".item-head .lead") is None
    assert page.get_text().count("试点城市和定点医疗机构的数量不断增加。") == 1
    # Its first paragraph still describes it to search engines and in lists.
    assert page.select_one('meta[name="description"]')["content"] == "试点城市和定点医疗机构的数量不断增加。"


def test_item_page_has_canonical_open_graph_and_news_article_json_ld(tiny):
    page = soup(tiny, "news/2018/outpatient-settlement/")
    url = "http://localhost:8000/news/2018/outpatient-settlement/"
    assert page.select_one('link[rel="canonical"]')["href"] == url
    og = {m["property"]: m["content"] for m in page.select("meta[property]")}
    assert og["og:url"] == url
    assert og["og:type"] == "article"
    assert og["og:title"].startswith("沪苏浙皖门诊费用直接结算")
    assert og["og:description"] == "异地就医门诊费用可以直接结算。"
    assert og["article:published_time"] == "2018-12-05T09:30:00+08:00"

    (script,) = page.select('script[type="application/ld+json"]')
    data = json.loads(script.string)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "沪苏浙皖门诊费用直接结算"
    assert data["datePublished"] == "2018-12-05T09:30:00+08:00"
    assert data["mainEntityOfPage"] == url
    assert data["articleSection"] == ["交通", "民生"]


def test_json_ld_cannot_end_its_script_early(tmp_path):
    output = build_site({"news/item.md": ITEM.replace("Title: 沪苏浙皖门诊费用直接结算",
                                                      "Title: 结算</script><script>alert(1)</script>")}, tmp_path)
    page = soup(output, "news/2018/outpatient-settlement/")
    (script,) = page.select('script[type="application/ld+json"]')
    assert json.loads(script.string)["headline"] == "结算</script><script>alert(1)</script>"


def test_footer_shows_filing_numbers_only_when_set(tiny, tmp_path):
    assert soup(tiny, "").select(".site-footer .filings") == []

    output = build_site({"news/item.md": ITEM}, tmp_path, ICP_NUMBER="沪ICP备12345678号",
                        PUBLIC_SECURITY_NUMBER="沪公网安备31010402000001号", SITE_ID_CODE="3100000001")
    filings = soup(output, "news/2018/outpatient-settlement/").select_one(".site-footer .filings")
    text = filings.get_text(" ", strip=True)
    assert "沪ICP备12345678号" in text
    assert "沪公网安备31010402000001号" in text
    assert "网站标识码：3100000001" in text
    assert filings.find("a", string="沪ICP备12345678号")["href"] == "https://beian.miit.gov.cn/"


def test_footer_names_sponsor_and_contact(tiny):
    footer = soup(tiny, "").select_one(".site-footer").get_text(" ", strip=True)
    assert "主办：长三角区域合作办公室" in footer
    assert "office@csj.example" in footer


def test_sitemap_page_lists_fields_provinces_standing_pages_and_sections(tmp_path):
    output = build_site({"news/item.md": ITEM, "pages/about.md": "Title: 关于\nSlug: about\n\n关于本站。\n"},
                        tmp_path, SECTIONS=[{"url": "timeline/", "zh": "一体化时间线"}])
    links = {a["href"] for a in soup(output, "sitemap/").select("main a")}
    assert {f"/fields/{key}/" for key in
            ("culture", "education", "innovation", "transport", "ecology", "credit", "livelihood")} <= links
    assert {f"/provinces/{key}/" for key in ("shanghai", "jiangsu", "zhejiang", "anhui")} <= links
    assert {"/about/", "/timeline/", "/"} <= links
    header_sections = [a.get_text() for a in soup(output, "").select(".section-nav a")]
    assert header_sections == ["首页", "一体化时间线"]


def test_not_found_page_is_not_indexed_and_leads_back(tiny):
    page = soup(tiny, "404.html")
    assert page.find("h1").get_text() == "页面不存在"
    assert page.select('link[rel="canonical"]') == []
    assert page.select_one('meta[name="robots"]')["content"] == "noindex"
    links = {a["href"] for a in page.select("main a")}
    assert {"/", "/sitemap/", "/fields/transport/"} <= links


def test_every_kind_of_page_has_skip_link_field_navigation_and_one_h1(site):
    for url_path in one_page_of_each_kind(site):
        page = soup(site, url_path)
        assert page.find("html")["lang"] in ("zh-CN", "zh-Hant", "en"), url_path
        skip = page.select_one("body > a.skip-link")
        assert skip is not None and skip["href"] == "#main", url_path
        assert page.select_one("main#main") is not None, url_path
        fields = page.select("nav.field-nav a")
        assert len(fields) == 7 and all("/fields/" in a["href"] for a in fields), url_path
        assert len(page.find_all("h1")) == 1, url_path


def test_pages_below_home_have_breadcrumbs_to_home(site):
    for url_path in ("news/2019/yrd-office-first-year/", "fields/transport/", "fields/transport/page/2/",
                     "provinces/anhui/", "about/", "sitemap/"):
        crumbs = soup(site, url_path).select(".breadcrumbs li")
        assert crumbs[0].find("a")["href"] == "/", url_path
        assert crumbs[-1].find(attrs={"aria-current": "page"}) is not None, url_path
    field_page_two = [li.get_text(strip=True) for li in soup(site, "fields/transport/page/2/").select(".breadcrumbs li")]
    assert field_page_two == ["首页", "交通", "第2页"]


def test_field_page_is_paginated_with_description(site):
    first = soup(site, "fields/transport/")
    assert first.select_one(".term-head .lead").get_text() == "城际轨道、省际断头路与交通一卡通等互联互通。"
    assert len(first.select(".item-card")) == 12
    assert first.select_one('.pager a[rel="next"]')["href"] == "/fields/transport/page/2/"
    second = soup(site, "fields/transport/page/2/")
    assert second.select_one('.pager a[rel="prev"]')["href"] == "/fields/transport/"
    firsts = {a["href"] for a in first.select(".item-card a")}
    seconds = {a["href"] for a in second.select(".item-card a")}
    assert seconds and not firsts & seconds


def test_home_page_has_latest_news_a_block_per_field_and_links_to_every_field(site):
    home = soup(site, "")
    assert len(home.select(".latest .item-card")) >= 4
    blocks = home.select(".field-block")
    assert [block.find("h2").get_text() for block in blocks] == ["文化", "教育", "科创", "交通", "生态环境", "信用", "民生"]
    assert all(1 <= len(block.select(".item-line")) <= 3 for block in blocks)
    assert len(home.select('.field-tiles a[href^="/fields/"]')) == 7


def test_a_reader_finds_their_province_from_the_home_page(site):
    tiles = soup(site, "").select('.field-tiles a[href^="/provinces/"]')
    assert [(a["href"], a.select_one(".field-name").get_text()) for a in tiles] == [
        ("/provinces/shanghai/", "上海"), ("/provinces/jiangsu/", "江苏"),
        ("/provinces/zhejiang/", "浙江"), ("/provinces/anhui/", "安徽")]
    assert all(a.select_one(".field-count").get_text().endswith("条") for a in tiles)


def test_no_inline_scripts_or_styles_so_a_strict_csp_holds(site):
    inline = {url_path: facts.inline for url_path in html_pages(site)
              if (facts := page_facts(page_file(site, url_path))).inline}
    assert inline == {}


def test_no_page_or_stylesheet_loads_anything_from_another_host(site):
    remote = []
    for url_path in html_pages(site):
        remote += [(url_path, a) for a in page_facts(page_file(site, url_path)).assets if is_other_host(a)]
    for stylesheet in site.rglob("*.css"):
        remote += [(stylesheet.name, a) for a in css_references(stylesheet.read_text(encoding="utf-8"))
                   if is_other_host(a)]
    assert remote == []


def test_page_scan_finds_every_way_of_loading_and_every_inline_script():
    page = PageFacts("""
        <img src="https://cdn.example/a.png" srcset="/b.png 1x, //cdn.example/b2.png 2x">
        <link rel="stylesheet" href="https://fonts.googleapis.com/css">
        <a href="https://www.gov.cn/">政府网</a><link rel="canonical" href="https://www.gov.cn/">
        <div style="background: url('https://cdn.example/bg.png')"></div>
        <style>@import "https://x.example/a.css";</style>
        <button onclick="go()">走</button>
        <script>alert(1)</script><script type="application/ld+json">{}</script>
        <script src="/static/js/portal.js"></script>""")
    assert {a for a in page.assets if is_other_host(a)} == {
        "https://cdn.example/a.png", "//cdn.example/b2.png", "https://fonts.googleapis.com/css",
        "https://cdn.example/bg.png", "https://x.example/a.css"}
    assert page.links == ["https://www.gov.cn/"]
    assert page.inline == ["<div style>", "<style>", "<button onclick>", "<script> without src"]
    assert css_references("b { background: url(/i.png) }") == ["/i.png"]


def test_every_link_within_the_site_leads_to_a_page_that_exists(site):
    broken = []
    for url_path in html_pages(site):
        for href in page_facts(page_file(site, url_path)).links:
            if not href.startswith("/") or href.startswith("//"):
                continue
            path = site / href.split("#")[0].split("?")[0].lstrip("/")
            if not (path.is_file() or (path / "index.html").is_file()):
                broken.append((url_path, href))
    assert broken == []


def test_stylesheets_use_system_cjk_fonts_and_no_webfonts(site):
    css = "".join(path.read_text(encoding="utf-8") for path in site.rglob("portal*.css"))
    assert "@font-face" not in css
    assert re.search(r'font-family:[^;]*"PingFang SC"[^;]*"Microsoft YaHei"[^;]*"Noto Sans CJK SC"', css)


def test_a_news_item_with_its_css_and_js_stays_light_on_slow_links(site):
    """Budget: 20 KB gzipped for the item page and everything it loads (measured: about 9 KB)."""
    import gzip

    url_path = "news/2019/yrd-office-first-year/"
    files = [site / url_path / "index.html"]
    files += [site / (tag.get("href") or tag["src"]).lstrip("/")
              for tag in soup(site, url_path).select("link[rel~=stylesheet][href], script[src]")]
    assert any(f.suffix == ".css" for f in files) and any(f.suffix == ".js" for f in files)
    assert sum(len(gzip.compress(f.read_bytes(), 9)) for f in files) < 20_000


@pytest.mark.parametrize("url_path, own_feed", [
    ("action-plan/", "feeds/action-plan"),
    ("action-plan/tasks/", "feeds/action-plan"),
    ("en/action-plan/", "en/feeds/action-plan"),
    ("zh-hant/action-plan/", "zh-hant/feeds/action-plan"),
    ("fields/transport/", "feeds/fields/transport"),
    ("en/fields/transport/", "en/feeds/fields/transport"),
])
def test_a_page_advertises_each_of_its_feeds_in_both_formats_by_the_feeds_own_title(site, url_path, own_feed):
    """A reader's "subscribe" menu lists Atom and RSS of every feed, named as the reader will name the feed."""
    import feedparser

    english = url_path.startswith("en/")
    advertised = {}
    for link in soup(site, url_path).head.select('link[rel="alternate"][type$="+xml"]'):
        stem, kind = link["href"].lstrip("/").rsplit(".", 2)[:2]
        feed = feedparser.parse((site / link["href"].lstrip("/")).read_bytes()).feed
        format_name = {"atom": "Atom", "rss": "RSS"}[kind]
        # English puts a space before the parenthesis; Chinese has none.
        assert link["title"] == (f"{feed.title} ({format_name})" if english else f"{feed.title}({format_name})")
        advertised.setdefault(stem, set()).add(kind)
    assert own_feed in advertised
    assert all(kinds == {"atom", "rss"} for kinds in advertised.values()), advertised


@pytest.mark.parametrize("edition", ["", "en/", "zh-hant/"])
def test_the_action_plan_offers_its_reports_feed_in_both_formats(site, edition):
    links = {a["href"] for a in soup(site, f"{edition}action-plan/").select("#plan-data ~ ul a[type]")}
    assert links == {f"/{edition}feeds/action-plan.atom.xml", f"/{edition}feeds/action-plan.rss.xml"}
