"""Tests of the integration timelines: pages, province views, data files, milestones, bad data."""

import json
from pathlib import Path

import pytest

from portal_model import ContentProblems
from sitebuild import ROOT, build_site, chromium, have_chromium, serve, soup, write_content
from strict_content import check_site
from timelines import valid_link

NEWS = {
    "news/rail.md": """
        Title: 沪苏城际示范线开通运营
        Date: 2018-09-20 10:00
        Fields: transport, innovation
        Provinces: 沪, 苏
        Summary: 两地通勤时间缩短到一小时内。
        Milestone: 示范线开通
        Slug: rail-opened

        正文。
        """,
    "news/card.md": """
        Title: 长三角文旅年卡发行
        Date: 2019-03-01 09:00
        Fields: culture
        Provinces: 浙江
        Summary: 一卡游遍三省一市的景区。
        Milestone: 文旅年卡发行
        Slug: culture-card

        正文。
        """,
    "news/plain.md": """
        Title: 交通部门例行会商
        Date: 2019-04-01 09:00
        Fields: transport
        Slug: plain-meeting

        没有里程碑的消息不上时间线。
        """,
    "news/draft.md": """
        Title: 尚未发布的草稿
        Date: 2019-05-01 09:00
        Fields: transport
        Milestone: 草稿里程碑
        Status: draft

        草稿不上时间线。
        """,
}
# All three precisions, an unquoted year and an unquoted full date, aliases for fields and provinces.
HISTORY = """
    - date: 2018-07-01
      title: 双月例会启动
      fields: [innovation]
      link: /news/2018/rail-opened/
    - date: "2018-07"
      title: 交通规划对接
      fields: 交通
      provinces: 皖
      description: 四地交通规划首次统一对接。
      link: https://example.org/plan?id=1
    - date: 1992
      title: 城市协作起步
      fields: [transport]
      provinces: [上海, 江苏, 浙江]
      description: 十四个城市建立协作机制。
    - date: "2018"
      title: 长三办组建
      fields: [transport, culture]
      provinces: [shanghai, jiangsu, zhejiang, anhui]
    """
# In date order, as every timeline page and data file must list them.
ORDER = ["城市协作起步", "长三办组建", "交通规划对接", "双月例会启动", "示范线开通", "文旅年卡发行"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site({**NEWS, "timeline/history.yaml": HISTORY}, tmp_path_factory.mktemp("timelines"))


def labels(page):
    return [h3.get_text(strip=True) for h3 in page.select("ol.timeline-events > li h3")]


def data(site, name):
    return json.loads((site / "timeline" / name).read_text(encoding="utf-8"))


def test_every_event_oldest_first_grouped_by_year(site):
    page = soup(site, "timeline/")
    assert labels(page) == ORDER
    years = page.select("section.timeline-year")
    assert [y.h2.get_text() for y in years] == ["1992年", "2018年", "2019年"]
    assert [len(y.select("ol > li")) for y in years] == [1, 4, 1]
    times = [(t["datetime"], t.get_text()) for t in page.select("ol.timeline-events time")]
    assert times[:5] == [("1992", "1992年"), ("2018", "2018年"), ("2018-07", "2018年7月"),
                         ("2018-07-01", "2018年7月1日"), ("2018-09-20", "2018年9月20日")]


def test_event_shows_fields_provinces_description_and_links(site):
    page = soup(site, "timeline/")
    rail = page.find("h3", string="示范线开通").parent
    assert [a["href"] for a in rail.select(".timeline-terms a")] == ["/timeline/innovation/", "/timeline/transport/"]
    assert "上海、江苏" in rail.get_text()
    assert "两地通勤时间缩短到一小时内。" in rail.get_text()
    assert rail.select_one(".timeline-link a")["href"] == "/news/2018/rail-opened/"
    plan = page.find("h3", string="交通规划对接").parent
    assert plan.select_one(".timeline-link a")["href"] == "https://example.org/plan?id=1"
    assert page.find("h3", string="城市协作起步").parent.select_one(".timeline-link") is None


def test_field_timelines_hold_only_their_events(site):
    assert labels(soup(site, "timeline/transport/")) == ["城市协作起步", "长三办组建", "交通规划对接", "示范线开通"]
    assert labels(soup(site, "timeline/culture/")) == ["长三办组建", "文旅年卡发行"]
    assert labels(soup(site, "timeline/education/")) == []
    assert soup(site, "timeline/education/").find(string="暂无节点。")


def test_province_views_work_without_javascript(site):
    assert labels(soup(site, "timeline/transport/anhui/")) == ["长三办组建", "交通规划对接"]
    assert labels(soup(site, "timeline/all/zhejiang/")) == ["城市协作起步", "长三办组建", "文旅年卡发行"]
    page = soup(site, "timeline/transport/")
    links = page.select(".timeline-filter a")
    assert [(a["href"], a.get_text()) for a in links] == [
        ("/timeline/transport/", "全部省市(4)"), ("/timeline/transport/shanghai/", "上海(3)"),
        ("/timeline/transport/jiangsu/", "江苏(3)"), ("/timeline/transport/zhejiang/", "浙江(2)"),
        ("/timeline/transport/anhui/", "安徽(2)")]
    assert links[0]["aria-current"] == "page"
    narrowed = soup(site, "timeline/transport/anhui/")
    assert narrowed.select_one('.timeline-filter a[aria-current="page"]').get_text().startswith("安徽")
    assert narrowed.h1.get_text() == "交通领域一体化时间线 · 安徽"


def test_pages_load_only_their_own_files(site):
    page = soup(site, "timeline/")
    assert not page.select("script:not([src])") and not page.select("style, [style]")
    script = page.select_one('script[src*="js/timeline."]')
    assert script.has_attr("defer") and (site / script["src"].lstrip("/")).exists()
    assert (site / page.select_one('link[href*="css/timeline."]')["href"].lstrip("/")).exists()


def test_json_gives_every_event_in_order(site):
    everything = data(site, "all.json")
    assert [e["label"] for e in everything["events"]] == ORDER
    plan = everything["events"][2]
    assert plan == {
        "id": plan["id"], "date": "2018-07", "precision": "month", "label": "交通规划对接",
        "fields": ["transport"], "provinces": ["anhui"], "link": "https://example.org/plan?id=1",
        "description": "四地交通规划首次统一对接。",
    }
    assert [(e["date"], e["precision"]) for e in everything["events"][:2]] == [("1992", "year"), ("2018", "year")]
    rail = everything["events"][4]
    assert rail["link"] == "http://localhost:8000/news/2018/rail-opened/"
    assert rail["fields"] == ["innovation", "transport"] and rail["provinces"] == ["shanghai", "jiangsu"]
    assert everything["events"][0]["link"] is None
    assert [e["label"] for e in data(site, "culture.json")["events"]] == ["长三办组建", "文旅年卡发行"]
    assert data(site, "education.json")["events"] == []


def test_json_is_deterministic(site, tmp_path):
    again = build_site({**NEWS, "timeline/history.yaml": HISTORY}, tmp_path)
    for name in ("all.json", "transport.json", "all.timelinejs.json"):
        text = (site / "timeline" / name).read_text(encoding="utf-8")
        assert text == (again / "timeline" / name).read_text(encoding="utf-8")
        assert "城市协作起步" in text  # not \\u-escaped


def test_a_rebuild_takes_the_history_labels_pinyin_from_the_cache(tmp_path, monkeypatch):
    import portal_model

    first = build_site({**NEWS, "timeline/history.yaml": HISTORY}, tmp_path, CACHE_CONTENT=True, LOAD_CONTENT_CACHE=True)
    worked_out = []
    real = portal_model._pinyin_slug_list
    monkeypatch.setattr(portal_model, "_pinyin_slug_list", lambda requests: worked_out.extend(requests) or real(requests))
    monkeypatch.setattr(portal_model, "_known_slugs", {})  # what this process has learnt: as a fresh build's
    anchors = (first / "timeline" / "all.json").read_text(encoding="utf-8")
    again = build_site(tmp_path / "content", tmp_path, CACHE_CONTENT=True, LOAD_CONTENT_CACHE=True)
    assert (again / "timeline" / "all.json").read_text(encoding="utf-8") == anchors
    assert not [label for label, _ in worked_out if "城市协作起步" in label]
    write_content(tmp_path / "content", {"timeline/history.yaml": HISTORY.replace("城市协作起步", "城市协作开局")})
    edited = build_site(tmp_path / "content", tmp_path, CACHE_CONTENT=True, LOAD_CONTENT_CACHE=True)
    assert [label for label, _ in worked_out] == ["城市协作开局"]  # only the new label
    assert "kai-ju" in (edited / "timeline" / "all.json").read_text(encoding="utf-8")


def test_timelinejs_export(site):
    export = data(site, "all.timelinejs.json")
    assert export["title"]["text"]["headline"] == "长三角一体化时间线"
    starts = [e["start_date"] for e in export["events"]]
    assert starts[0] == {"year": 1992, "display_date": "1992年"}
    assert starts[2] == {"year": 2018, "month": 7, "display_date": "2018年7月"}
    assert starts[4] == {"year": 2018, "month": 9, "day": 20, "display_date": "2018年9月20日"}
    assert all(e["text"]["headline"] for e in export["events"])
    rail = export["events"][4]
    assert 'href="http://localhost:8000/news/2018/rail-opened/"' in rail["text"]["text"]
    assert rail["group"] == "科创"
    field_export = data(site, "transport.timelinejs.json")
    assert [e["text"]["headline"] for e in field_export["events"]] == ["城市协作起步", "长三办组建", "交通规划对接", "示范线开通"]


def test_latest_milestones_on_home_and_field_pages(site):
    home = soup(site, "").select_one("section.milestones")
    assert [a.get_text() for a in home.select("li a")] == list(reversed(ORDER))[:5]
    assert home.select_one("li a")["href"] == "/news/2019/culture-card/"
    culture = soup(site, "fields/culture/").select_one("section.milestones")
    assert [a.get_text() for a in culture.select("li a")] == ["文旅年卡发行", "长三办组建"]
    history_link = culture.select("li a")[1]["href"]
    assert history_link.startswith("/timeline/culture/#event-2018-")
    anchor = history_link.split("#")[1]
    assert soup(site, "timeline/culture/").find(id=anchor).h3.get_text() == "长三办组建"
    assert soup(site, "fields/education/").select_one("section.milestones") is None
    anhui = soup(site, "provinces/anhui/").select_one("section.milestones")
    assert [a.get_text() for a in anhui.select("li a")] == ["交通规划对接", "长三办组建"]
    assert anhui.select_one("p.more a")["href"] == "/timeline/all/anhui/"


def test_timeline_is_in_the_sitemap_and_navigation(site):
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    for path in ("timeline/", "timeline/transport/", "timeline/transport/anhui/", "timeline/all/anhui/"):
        assert f"<loc>http://localhost:8000/{path}</loc>" in sitemap
    assert soup(site, "sitemap/").find("a", href="/timeline/")


BAD_FILES = {
    "timeline/broken.yaml": """
        - date: 2018
          title: 缩进错了
         fields: [transport]
        """,
    "timeline/mapping.yaml": """
        date: 2018
        title: 不是列表
        """,
    "timeline/entries.yaml": """
        - title: 没有日期
          fields: [transport]
        - date: 2018
          fields: [transport]
        - date: 2018
          title: 领域写错
          fields: [trasnport]
        - date: 2018
          title: 省市写错
          fields: [transport]
          provinces: [南京]
        - date: 2018-02-30
          title: 没有这一天
          fields: [transport]
        - date: "2018-13"
          title: 没有这个月
          fields: [transport]
        - date: 2018
          title: 链接不对
          fields: [transport]
          link: "javascript:alert(1)"
        - date: 2018
          title: 键写错
          feilds: [transport]
        - just text
        """,
    "timeline/notes.txt": "备忘\n",
    "timeline/links.yaml": """
        - date: 2018-09
          title: 链到示范线
          fields: [transport]
          link: /news/2018/rail-opened
        - date: 2019-03
          title: 链到没有的新闻
          fields: [culture]
          link: /news/2019/culture-crad/
        """,
    "timeline/emptied.yaml": "",
    "timeline/comments-only.yaml": "# 1992 年的大事待补\n",
}
# (file, line, words the message must contain) for every problem of BAD_FILES
EXPECTED = [
    ("broken.yaml", 3, ["YAML 格式错误", "(broken YAML)"]),
    ("mapping.yaml", 1, ["(not a list)"]),
    ("entries.yaml", 1, ["第 1 条“没有日期”", "(missing date)"]),
    ("entries.yaml", 3, ["第 2 条", "(missing title)"]),
    ("entries.yaml", 7, ["第 3 条“领域写错”", "trasnport", "transport 交通", "(unknown field)"]),
    ("entries.yaml", 11, ["第 4 条“省市写错”", "南京", "shanghai 上海", "(unknown province)"]),
    ("entries.yaml", 12, ["第 5 条“没有这一天”", "2018-02-30", "(bad date)"]),
    ("entries.yaml", 15, ["第 6 条“没有这个月”", "2018-13", "(bad date)"]),
    ("entries.yaml", 21, ["第 7 条“链接不对”", "javascript:alert(1)", "(bad link)"]),
    ("entries.yaml", 24, ["第 8 条“键写错”", "feilds", "(unknown key)"]),
    ("entries.yaml", 22, ["第 8 条“键写错”", "(missing fields)"]),
    ("entries.yaml", 25, ["第 9 条", "(entry is not a mapping)"]),
    ("notes.txt", None, ["(not a .yaml file)"]),
    ("links.yaml", 8, ["第 2 条“链到没有的新闻”", "/news/2019/culture-crad/", "不是本站任何一篇新闻的网址",
                       "是否应为 /news/2019/culture-card/", "(no such news item)"]),
    ("emptied.yaml", None, ["文件是空的", "- date: 2018-07", "(empty file)"]),
    ("comments-only.yaml", None, ["文件是空的", "(empty file)"]),
]


def assert_every_problem(problems):
    found = sorted((Path(p.path).name, p.line, p.message) for p in problems)
    for name, line, words in EXPECTED:
        assert any(n == name and l == line and all(w in m for w in words) for n, l, m in found), \
            (name, line, words, found)
    assert len(found) == len(EXPECTED), found


def test_every_kind_of_bad_data_is_reported_in_one_build(tmp_path):
    with pytest.raises(ContentProblems) as stopped:
        build_site({**NEWS, **BAD_FILES}, tmp_path)
    assert_every_problem(stopped.value.problems)
    assert "entries.yaml" in str(stopped.value)
    assert not (tmp_path / "output" / "timeline").exists()


def test_the_content_check_reports_bad_data_without_building(tmp_path):
    content = write_content(tmp_path / "content", {**NEWS, **BAD_FILES})
    assert_every_problem(check_site(str(ROOT / "pelicanconf.py"), str(content)))


def test_a_site_without_history_files_still_has_timelines(tmp_path):
    output = build_site(NEWS, tmp_path)
    assert labels(soup(output, "timeline/")) == ["示范线开通", "文旅年卡发行"]


@pytest.mark.parametrize("link, valid", [
    ("https://example.org/a", True), ("/news/2018/x/", True), ("http://example.org", True),
    ("javascript:alert(1)", False), ("//example.org/a", False), ("example.org/a", False),
    ("https://example.org/a b", False), ("ftp://example.org/a", False),
])
def test_links_must_be_web_addresses_or_site_paths(link, valid):
    assert valid_link(link) is valid


@pytest.mark.browser
@pytest.mark.skipif(not have_chromium(), reason="needs Debian's chromium")
def test_province_filter_in_place_and_readable_at_320px(site):
    with serve(site) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 320, "height": 640})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base}/timeline/transport/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.click(".timeline-filter a[data-province=anhui]")
        assert page.url == f"{base}/timeline/transport/anhui/"
        visible = page.locator("ol.timeline-events > li:visible h3").all_inner_texts()
        assert visible == ["长三办组建", "交通规划对接"]
        assert page.locator("[data-timeline-status]").inner_text() == "安徽：共 2 个节点"
        assert page.locator("h1").inner_text() == "交通领域一体化时间线 · 安徽"
        assert page.locator("section.timeline-year:visible h2").all_inner_texts() == ["2018年"]
        page.go_back()
        assert page.url == f"{base}/timeline/transport/"
        assert len(page.locator("ol.timeline-events > li:visible").all()) == 4
        assert errors == []


@pytest.mark.browser
@pytest.mark.skipif(not have_chromium(), reason="needs Debian's chromium")
def test_back_after_leaving_a_filtered_timeline_shows_what_the_address_says(site):
    with serve(site) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/timeline/")
        page.click(".timeline-filter a[data-province=anhui]")
        page.click(".timeline-fields a[href$='/timeline/transport/']")
        page.wait_for_url(f"{base}/timeline/transport/")
        page.go_back()  # the province's own page, loaded anew
        assert page.locator("h1").inner_text() == "长三角一体化时间线 · 安徽"
        page.go_back()
        page.wait_for_url(f"{base}/timeline/")
        page.wait_for_function("!document.querySelector('h1').textContent.includes('安徽')")
        assert len(page.locator("ol.timeline-events > li:visible").all()) == len(page.locator("ol.timeline-events > li").all())
