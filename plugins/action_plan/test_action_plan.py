"""The action plan: a tiny plan of four tasks and two reports, built into a real site."""

from __future__ import annotations

import codecs
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from pelican.settings import read_settings

from action_plan.monthly import ReportRefused, write_report
from action_plan.plan import STATUS_BY_NAME, load_plan
from action_plan.progress import StatusCount
from portal_model import ContentProblems, model_for
from sitebuild import ROOT, build_site, chromium, have_chromium, serve, soup, write_content
from editions.test_editions import untranslated_chinese
from theme_pages import site  # noqa: F401 (fixture: the sample portal)

TASKS = """
    - id: T001
      title: 编制城际交通网整体规划
      topic: 交通互联
      field: transport
      lead: {provinces: [shanghai], department: 上海市发展和改革委员会}
      start: 2018-07
      due: 2019-12
    - id: T002
      title: 推进省际输电通道建设
      topic: energy
      field: 生态环境
      lead: {provinces: [皖, 苏], department: 安徽省能源局}
      start: 2018-08
      due: 2018-10
    - id: T003
      title: 签署信用联合奖惩备忘录
      topic: 信用体系
      field: credit
      lead: {provinces: 浙江, department: 浙江省发展和改革委员会}
      start: 2018-09
      due: 2018-11
    - id: T004
      title: 推出文化旅游年卡
      topic: 教育文化
      field: culture
      lead: {provinces: [anhui], department: 安徽省文化和旅游厅}
      start: 2018-11
      due: 2019-06
"""
PLAN = {
    "action-plan/tasks.yaml": TASKS,
    "action-plan/reports/2018-10.yaml": """
        T001: {status: on-track}
        T002: {status: on-track, note: 线路走廊正在协调}
        T003: on-track
    """,
    "action-plan/reports/2018-11.yaml": """
        T001: {status: on-track, note: 规划初稿已形成}
        T002: {status: delayed, note: 跨省协调未完成}
        T003: {status: done}
        T004: {status: not-started}
    """,
    "news/credit.md": """
        Title: 四地签署信用联合奖惩备忘录
        Date: 2018-10-16
        Fields: credit
        Tasks: T003, T001

        正文。
    """,
}


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    return build_site(PLAN, tmp_path_factory.mktemp("plan"))


def texts(elements) -> list[str]:
    return [" ".join(e.get_text(" ", strip=True).split()) for e in elements]


def task_ids(page) -> list[str]:
    return [row.td.get_text(strip=True) for row in page.select("table[data-task-table] tbody tr, "
                                                               "table.plan-table tbody tr") if row.td]


# ---------------------------------------------------------------- pages

def test_shares_are_whole_per_cent_rounded_half_up():
    done = STATUS_BY_NAME["done"]
    assert StatusCount(done, 65, 144).label == "65 / 144 · 45%"
    assert StatusCount(done, 75, 144).label == "75 / 144 · 52%"
    assert StatusCount(done, 1, 8).share == 13
    assert StatusCount(done, 0, 0).share == 0


def test_dashboard_counts_the_latest_report(output):
    page = soup(output, "action-plan/")
    assert texts(page.select(".plan-count")) == [
        "✓ 已完成 1 / 4 · 25%", "→ 按期推进 1 / 4 · 25%", "! 滞后 1 / 4 · 25%", "○ 未启动 1 / 4 · 25%"]
    asof = page.select_one(".plan-asof").get_text(" ", strip=True)
    assert "2018年11月" in asof and "2018年12月5日" in asof


def test_dashboard_calls_out_overdue_tasks_only(output):
    # T002 was due 2018-10 and is delayed; T003 is done; T001 and T004 are not yet due.
    page = soup(output, "action-plan/")
    section = page.find(id="plan-overdue").parent
    assert section.h2.get_text() == "逾期未完成(1 项)"
    assert task_ids(section) == ["T002"]
    assert "已逾期" in soup(output, "action-plan/tasks/T002/").select_one(".plan-task-facts").get_text()
    assert "已逾期" not in soup(output, "action-plan/tasks/T003/").select_one(".plan-task-facts").get_text()


def test_dashboard_breaks_down_by_topic_field_and_province(output):
    page = soup(output, "action-plan/")
    provinces = page.find(id="plan-by-province").parent.table
    rows = {row.th.get_text(strip=True): [td.get_text() for td in row.find_all("td")]
            for row in provinces.tbody.find_all("tr")}
    # columns: done, on-track, delayed, not-started, total; T002 is led by Anhui and Jiangsu
    assert rows["安徽"] == ["0", "0", "1", "1", "2"]
    assert rows["江苏"] == ["0", "0", "1", "0", "1"]
    assert rows["上海"] == ["0", "1", "0", "0", "1"]
    topics = page.find(id="plan-by-topic").parent.table
    assert [r.th.get_text(strip=True) for r in topics.tbody.find_all("tr")][:3] == ["交通互联", "能源互济", "科技创新"]
    fields = page.find(id="plan-by-field").parent.table
    assert fields.find("a", string="生态环境")["href"] == "/action-plan/tasks/field/ecology/"


def test_chart_is_drawn_at_build_time_with_a_table_equivalent(output):
    page = soup(output, "action-plan/")
    chart = page.select_one("svg.plan-chart")
    assert chart["role"] == "img" and chart.title.get_text() == "各月任务状态"
    assert len(chart.find_all("rect")) == 2 + 4  # the non-empty segments: October has two statuses, November four
    table = page.find(id="plan-months").parent.find("table")
    assert texts(table.tbody.find_all("tr")) == [
        "2018年10月 0 / 4 · 0% 3 / 4 · 75% 0 / 4 · 0% 1 / 4 · 25%",
        "2018年11月 1 / 4 · 25% 1 / 4 · 25% 1 / 4 · 25% 1 / 4 · 25%",
    ]


def test_task_page_has_lead_dates_history_and_news(output):
    page = soup(output, "action-plan/tasks/T002/")
    facts = texts(page.select(".plan-task-facts dd"))
    assert facts[2:] == ["生态环境", "江苏 、 安徽", "安徽省能源局", "2018年8月", "2018年10月"]
    history = page.find(id="task-history").parent.table
    assert texts(history.tbody.find_all("tr")) == ["2018年10月 → 按期推进 线路走廊正在协调",
                                                  "2018年11月 ! 滞后 跨省协调未完成"]
    news = soup(output, "action-plan/tasks/T003/").find(id="task-news").parent
    assert [a["href"] for a in news.find_all("a")] == ["/news/2018/si-di-qian-shu-xin-yong-lian-he-jiang-cheng-bei-wang-lu/"]
    assert soup(output, "action-plan/tasks/T002/").find(id="task-news").parent.p.get_text() == "暂无提及这项任务的消息。"


def test_task_table_and_its_prebuilt_narrowed_pages(output):
    assert task_ids(soup(output, "action-plan/tasks/")) == ["T001", "T002", "T003", "T004"]
    assert task_ids(soup(output, "action-plan/tasks/province/anhui/")) == ["T002", "T004"]
    assert task_ids(soup(output, "action-plan/tasks/status/delayed/")) == ["T002"]
    assert task_ids(soup(output, "action-plan/tasks/topic/credit/")) == ["T003"]
    assert task_ids(soup(output, "action-plan/tasks/field/transport/")) == ["T001"]
    assert task_ids(soup(output, "action-plan/tasks/province/zhejiang/")) == ["T003"]
    assert soup(output, "action-plan/tasks/topic/energy/").h1.get_text() == "任务一览：专题 · 能源互济"


def test_report_page_lists_what_changed(output):
    page = soup(output, "action-plan/reports/2018-11/")
    changes = page.find(id="report-changes").parent.table
    assert texts(changes.tbody.find_all("tr")) == [
        "T002 推进省际输电通道建设 → 按期推进 ! 滞后 跨省协调未完成",
        "T003 签署信用联合奖惩备忘录 → 按期推进 ✓ 已完成",
    ]
    assert page.find("a", rel="prev")["href"] == "/action-plan/reports/2018-10/"


def test_section_is_in_the_navigation_and_sitemap(output):
    nav = soup(output, "").select_one(".section-nav")
    assert nav.find("a", href="/action-plan/").get_text() == "行动计划进展"
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    assert "/action-plan/tasks/T004/</loc>" in sitemap and "/action-plan/tasks/status/done/</loc>" in sitemap


# ---------------------------------------------------------------- open data and feed

def read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)  # Excel shows Chinese correctly only with a BOM
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_tasks_csv_has_every_task_with_its_latest_status(output):
    rows = read_csv(output / "action-plan" / "tasks.csv")
    assert [r["id"] for r in rows] == ["T001", "T002", "T003", "T004"]
    t002 = rows[1]
    assert (t002["status"], t002["status_zh"], t002["overdue"], t002["note"]) == ("delayed", "滞后", "yes", "跨省协调未完成")
    assert (t002["lead_provinces"], t002["lead_provinces_zh"], t002["field"], t002["topic"]) == (
        "jiangsu;anhui", "江苏;安徽", "ecology", "energy")
    assert (t002["topic_en"], t002["field_en"], t002["lead_provinces_en"], t002["status_en"]) == (
        "Energy", "Ecology and Environment", "Jiangsu;Anhui", "delayed")
    assert t002["url"] == "http://localhost:8000/action-plan/tasks/T002/"
    assert {r["report_month"] for r in rows} == {"2018-11"}


def test_tasks_json(output):
    document = json.loads((output / "action-plan" / "tasks.json").read_text(encoding="utf-8"))
    assert document["report_month"] == "2018-11"
    assert [(t["id"], t["status"], t["overdue"]) for t in document["tasks"]] == [
        ("T001", "on-track", False), ("T002", "delayed", True), ("T003", "done", False), ("T004", "not-started", False)]
    assert document["tasks"][1]["lead_provinces"] == ["jiangsu", "anhui"]


def test_history_csv_has_one_row_per_task_per_report(output):
    rows = read_csv(output / "action-plan" / "history.csv")
    assert [(r["report_month"], r["id"], r["status"]) for r in rows] == [
        ("2018-10", "T001", "on-track"), ("2018-10", "T002", "on-track"), ("2018-10", "T003", "on-track"),
        ("2018-10", "T004", "not-started"),  # not started yet, so not in that report
        ("2018-11", "T001", "on-track"), ("2018-11", "T002", "delayed"), ("2018-11", "T003", "done"),
        ("2018-11", "T004", "not-started"),
    ]


def test_open_data_is_the_same_for_the_same_content(output, tmp_path):
    again = build_site(PLAN, tmp_path)
    for name in ("tasks.csv", "tasks.json", "history.csv"):
        assert (again / "action-plan" / name).read_bytes() == (output / "action-plan" / name).read_bytes()


def test_feed_has_one_entry_per_report(output):
    feed = feedparser.parse((output / "feeds" / "action-plan.atom.xml").read_bytes())
    assert feed.bozo == 0
    assert feed.feed.title == "中国长三角：三年行动计划进展月报"
    assert [e.title for e in feed.entries] == ["2018年11月行动计划进展月报", "2018年10月行动计划进展月报"]
    latest = feed.entries[0]
    assert latest.link == "http://localhost:8000/action-plan/reports/2018-11/"
    assert latest.id == "tag:csj.example,2018:action-plan/2018-11"
    assert latest.published == "2018-11-05T00:00:00+08:00"
    assert "已完成 1 / 4 · 25%" in latest.summary and "2 项任务状态有变化" in latest.summary
    assert 'href="http://localhost:8000/action-plan/tasks/T002/"' in latest.content[0].value
    assert "feeds/action-plan.atom.xml" in (output / "feeds" / "index.opml").read_text(encoding="utf-8")


def test_a_site_without_a_plan_has_no_action_plan_pages(tmp_path):
    output = build_site({"news/credit.md": PLAN["news/credit.md"].replace("Tasks: T003, T001\n", "")}, tmp_path)
    assert not (output / "action-plan").exists()


# ---------------------------------------------------------------- the English and Traditional editions

ENGLISH_PAGES = ["", "tasks/", "tasks/topic/energy/", "tasks/province/anhui/", "tasks/status/delayed/",
                 "tasks/T001/", "tasks/T002/", "reports/2018-10/", "reports/2018-11/"]


@pytest.mark.parametrize("path", ENGLISH_PAGES)
def test_english_pages_have_no_untranslated_interface_text(output, path):
    page = soup(output, "en/action-plan/" + path)
    assert page.html["lang"] == "en"
    assert untranslated_chinese(page) == []


def test_english_pages_name_statuses_topics_fields_provinces_and_months_in_english(output):
    page = soup(output, "en/action-plan/")
    assert texts(page.select(".plan-count")) == [
        "✓ Done 1 / 4 · 25%", "→ On track 1 / 4 · 25%", "! Delayed 1 / 4 · 25%", "○ Not started 1 / 4 · 25%"]
    assert "November 2018 report" in page.select_one(".plan-asof").get_text()
    assert "5 December 2018" in page.select_one(".plan-asof").get_text()
    topics = page.find(id="plan-by-topic").parent.table
    assert [r.th.get_text(strip=True) for r in topics.tbody.find_all("tr")][:3] == [
        "Transport Links", "Energy", "Science and Innovation"]
    assert [t.get_text() for t in page.select("svg.plan-chart text.plan-chart-axis")][-3:] == ["Oct", "2018", "Nov"]
    task = soup(output, "en/action-plan/tasks/T002/")
    assert texts(task.select(".plan-task-facts dd"))[1:] == [
        "Energy", "Ecology and Environment", "Jiangsu , Anhui", "安徽省能源局", "August 2018", "October 2018"]
    assert soup(output, "en/action-plan/tasks/topic/energy/").h1.get_text() == "Tasks: Topic · Energy"


def test_untranslated_content_on_english_pages_is_marked_chinese(output):
    task = soup(output, "en/action-plan/tasks/T002/")
    assert task.h1["lang"] == "zh-CN" and task.h1.get_text() == "推进省际输电通道建设"
    assert task.find("dd", string="安徽省能源局")["lang"] == "zh-CN"
    table = soup(output, "en/action-plan/tasks/")
    assert table.find("a", string="推进省际输电通道建设")["lang"] == "zh-CN"
    # the Chinese edition says nothing: the whole page is Chinese already
    assert not soup(output, "action-plan/tasks/T002/").h1.get("lang")


def test_english_feed_is_english_with_its_own_ids(output):
    chinese = feedparser.parse((output / "feeds" / "action-plan.atom.xml").read_bytes())
    english = feedparser.parse((output / "en" / "feeds" / "action-plan.atom.xml").read_bytes())
    assert english.bozo == 0, english.get("bozo_exception")
    assert english.feed.language == "en"
    assert english.feed.title == "China Yangtze River Delta: three-year action plan, monthly progress"
    assert [e.title for e in english.entries] == [
        "Action plan progress report, November 2018", "Action plan progress report, October 2018"]
    assert "Done 1 / 4 · 25%" in english.entries[0].summary
    assert english.entries[0].link == "http://localhost:8000/en/action-plan/reports/2018-11/"
    # Readers that import both editions must not take an English entry for a Chinese one.
    assert english.feed.id == "tag:csj.example,2018:en/feeds/action-plan" != chinese.feed.id
    assert [e.id for e in english.entries] == [
        e.id.replace("tag:csj.example,2018:", "tag:csj.example,2018:en/") for e in chinese.entries]
    assert not {e.id for e in english.entries} & {e.id for e in chinese.entries}
    assert "Action plan" in (output / "en" / "feeds" / "index.opml").read_text(encoding="utf-8")


def test_traditional_open_data_parses_and_points_into_the_traditional_edition(output):
    rows = read_csv(output / "zh-hant" / "action-plan" / "tasks.csv")
    assert [r["id"] for r in rows] == ["T001", "T002", "T003", "T004"]
    assert rows[1]["status_zh"] == "滯後" and rows[1]["status"] == "delayed"
    assert rows[1]["url"] == "http://localhost:8000/zh-hant/action-plan/tasks/T002/"
    assert len(read_csv(output / "zh-hant" / "action-plan" / "history.csv")) == 8
    document = json.loads((output / "zh-hant" / "action-plan" / "tasks.json").read_text(encoding="utf-8"))
    assert document["tasks"][1]["title"] == "推進省際輸電通道建設"
    assert all(t["url"].startswith("http://localhost:8000/zh-hant/") for t in document["tasks"])
    feed = feedparser.parse((output / "zh-hant" / "feeds" / "action-plan.atom.xml").read_bytes())
    assert feed.bozo == 0 and feed.feed.language == "zh-Hant"
    assert feed.entries[0].link == "http://localhost:8000/zh-hant/action-plan/reports/2018-11/"


@pytest.mark.parametrize("path", ["", "tasks/", "tasks/province/anhui/", "tasks/T002/", "reports/2018-11/"])
def test_traditional_pages_link_within_the_traditional_edition(output, path):
    page = soup(output, "zh-hant/action-plan/" + path)
    assert page.html["lang"] == "zh-Hant"
    for tag in page.find_all(href=True) + page.find_all(src=True):
        url = tag.get("href") or tag.get("src")
        if tag.get("hreflang") or not url.startswith("/") or url.startswith("//"):
            continue
        assert url.startswith(("/zh-hant/", "/static/")), (tag.name, url)
        target = output / url.split("#")[0].lstrip("/")
        assert (target / "index.html" if url.endswith("/") else target).exists(), url


# ---------------------------------------------------------------- every defect, one run

BAD = {
    "action-plan/tasks.yaml": TASKS + """
    - id: T002
      title: 重复的编号
      topic: 交通互联
      field: transport
      lead: {provinces: [shanghai], department: 上海市交通委员会}
      start: 2018-07
      due: 2018-12
    - id: T005
      title: 领域和省市写错
      topic: 体育合作
      field: sports
      lead: {provinces: [shanghai, 福建], department: 上海市体育局}
      start: 2018-09
      due: 2018-06
    - id: T006
      title: 缺少牵头和时限
      topic: 交通互联
      field: transport
      start: 2018-09
""",
    "action-plan/reports/2018-10.yaml": PLAN["action-plan/reports/2018-10.yaml"],
    "action-plan/reports/2018-11.yaml": """
        T001: {status: finished}
        T002: {status: delayed}
        T003: {status: done}
        T004: {status: not-started}
        T999: {status: done}
    """,
    "action-plan/reports/december.yaml": "T001: {status: done}\n",
    "action-plan/reports/2018-12.yaml": "T001: {status: done\nT002: {status: done}\n",
    "news/credit.md": PLAN["news/credit.md"].replace("T003, T001", "T003, T404"),
}
EXPECTED = [
    ("tasks.yaml", "任务编号 T002 重复", "(duplicate task id)"),
    ("tasks.yaml", "任务 T005 的专题 “体育合作” 未知", "(unknown topic)"),
    ("tasks.yaml", "任务 T005 的领域 “sports” 未知", "(unknown field)"),
    ("tasks.yaml", "任务 T005 的牵头省市 “福建” 未知", "(unknown province)"),
    ("tasks.yaml", "任务 T005 的完成时限 due 2018-06 早于开始时间 start 2018-09", "(due before start)"),
    ("tasks.yaml", "任务 T006 缺少 lead", "(missing key)"),
    ("tasks.yaml", "任务 T006 缺少 due", "(missing key)"),
    ("reports/2018-11.yaml", "任务 T001 的状态 “finished” 未知", "(unknown status)"),
    ("reports/2018-11.yaml", "任务编号 T999 不在任务清单", "(unknown task id)"),
    ("reports/december.yaml", "月报文件名 “december.yaml” 不对", "(report file not named YYYY-MM.yaml)"),
    ("reports/2018-12.yaml", "YAML 格式错误", "(invalid YAML)"),
    ("news/credit.md", "“T404” 不在行动计划任务清单中", "(unknown task id)"),
]


def test_every_defect_is_reported_in_one_run(tmp_path):
    with pytest.raises(ContentProblems) as stopped:
        build_site(BAD, tmp_path)
    problems = stopped.value.problems
    for path, words, tag in EXPECTED:
        assert any(p.path.endswith(path) and words in p.message and p.message.endswith(tag) for p in problems), \
            (path, words, [str(p) for p in problems])
    # a task with a defect is still a known id: reports naming it get no second, misleading problem
    assert not any("T005" in p.message and "unknown task id" in p.message for p in problems)
    broken = next(p for p in problems if "invalid YAML" in p.message)
    assert broken.line == 2
    duplicate = next(p for p in problems if "duplicate task id" in p.message)
    lines = (tmp_path / "content" / "action-plan" / "tasks.yaml").read_text(encoding="utf-8").splitlines()
    first, second = [number for number, line in enumerate(lines, start=1) if line == "- id: T002"]
    assert duplicate.line == second and f"第 {first} 行已用过" in duplicate.message
    assert "T002" in str(stopped.value) and "nothing was published" in str(stopped.value)


def test_a_report_must_cover_every_started_task(tmp_path):
    files = {**PLAN, "action-plan/reports/2018-11.yaml": "T001: {status: done}\nT003: {status: done}\n"}
    with pytest.raises(ContentProblems) as stopped:
        build_site(files, tmp_path)
    messages = [p.message for p in stopped.value.problems]
    # T002 started in August; T004 starts in November too, so both are missing
    assert [m.split(" 的进展")[0] for m in messages if "(missing task)" in m] == ["缺少任务 T002", "缺少任务 T004"]


@pytest.mark.parametrize("emptied", ["", "# 2018年11月月报，待填\n"])
def test_an_emptied_report_is_a_problem_not_a_month_gone_from_the_dashboard(tmp_path, emptied):
    files = {**PLAN, "action-plan/reports/2018-11.yaml": emptied}
    with pytest.raises(ContentProblems) as stopped:
        build_site(files, tmp_path)
    [problem] = stopped.value.problems
    assert problem.path.endswith("reports/2018-11.yaml")
    assert "文件是空的" in problem.message and "T001: {status: on-track" in problem.message
    assert problem.message.endswith("(empty file)")


INDENTED_WRONG = TASKS.replace("      topic: 交通互联", "       topic: 交通互联", 1)


@pytest.mark.parametrize("tasks, line, words", [
    (INDENTED_WRONG, 3, "YAML 格式错误"),
    ("", None, "文件是空的"),
    ("# 任务清单待补\n", None, "文件是空的"),
])
def test_an_unreadable_task_list_is_the_only_problem_not_buried_under_every_reports_ids(tmp_path, tasks, line, words):
    files = {**PLAN, "action-plan/tasks.yaml": tasks}
    with pytest.raises(ContentProblems) as stopped:
        build_site(files, tmp_path)
    # neither the reports' ids nor a news item's Tasks: can be checked against a list that cannot be read
    assert [(Path(p.path).name, p.line) for p in stopped.value.problems] == [("tasks.yaml", line)]
    assert words in stopped.value.problems[0].message


# ---------------------------------------------------------------- invoke report

def settings_for(content: Path, **overrides):
    return read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(content), **overrides})


def test_invoke_report_prefills_next_month_and_never_overwrites(tmp_path):
    content = write_content(tmp_path / "content", PLAN)
    path = Path(write_report(settings_for(content), "2018-12"))
    assert path == content / "action-plan" / "reports" / "2018-12.yaml"
    plan = load_plan(model_for(settings_for(content)), str(content / "action-plan"))
    assert [(t.id, t.current.status.key, t.current.note) for t in plan.tasks] == [
        ("T001", "on-track", "规划初稿已形成"), ("T002", "delayed", "跨省协调未完成"),
        ("T003", "done", ""), ("T004", "not-started", "")]
    before = path.read_bytes()
    with pytest.raises(ReportRefused, match="已存在，不会覆盖"):
        write_report(settings_for(content), "2018-12")
    with pytest.raises(ReportRefused, match="早于最新月报"):
        write_report(settings_for(content), "2018-09")
    with pytest.raises(ReportRefused, match="YYYY-MM"):
        write_report(settings_for(content), "2019")
    assert path.read_bytes() == before


def test_a_report_for_a_month_not_yet_begun_is_refused_by_the_check_and_by_invoke_report(tmp_path):
    december = {**PLAN, "action-plan/reports/2018-12.yaml": PLAN["action-plan/reports/2018-11.yaml"]}
    with pytest.raises(ContentProblems) as stopped:
        build_site(december, tmp_path, PORTAL_TODAY="2018-11-30")  # Asia/Shanghai's date
    [problem] = stopped.value.problems
    assert problem.path.endswith("reports/2018-12.yaml")
    assert problem.message.startswith("2018年12月还没有到(今天是2018年11月30日，上海时间)")
    assert problem.message.endswith("(report for a month not yet begun)")
    first_day = settings_for(write_content(tmp_path / "first-day", december), PORTAL_TODAY="2018-12-01")
    assert load_plan(model_for(first_day), str(tmp_path / "first-day" / "action-plan")).latest.key == "2018-12"
    assert model_for(first_day).problems == []

    content = write_content(tmp_path / "november", PLAN)
    for month in ("2018-12", ""):  # named, or the month after the latest report
        with pytest.raises(ReportRefused, match="2018年12月还没有到"):
            write_report(settings_for(content, PORTAL_TODAY="2018-11-30"), month)
    assert not (content / "action-plan" / "reports" / "2018-12.yaml").exists()
    assert Path(write_report(settings_for(content, PORTAL_TODAY="2018-12-01"), "")).name == "2018-12.yaml"


def test_invoke_report_and_invoke_check_as_an_editor_runs_them(tmp_path):
    content = write_content(tmp_path / "content", PLAN)
    invoke = str(Path(sys.executable).parent / "invoke")

    def run(*args):
        return subprocess.run([invoke, *args, "--content", str(content)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    written = run("report", "2018-12")
    assert written.returncode == 0 and "2018-12.yaml" in written.stdout, written.stderr
    again = run("report", "2018-12")
    assert again.returncode == 1 and "已存在，不会覆盖" in again.stderr
    (content / "action-plan" / "reports" / "2018-12.yaml").write_text("T001: {status: finished}\n", encoding="utf-8")
    checked = run("check")
    assert checked.returncode == 1
    assert "reports/2018-12.yaml:1: 任务 T001 的状态 “finished” 未知" in checked.stderr
    assert "缺少任务 T002 的进展" in checked.stderr


# ---------------------------------------------------------------- the sample portal

def test_sample_plan_matches_the_published_december_figures(site):
    page = soup(site, "action-plan/")
    assert texts(page.select(".plan-count-figure")) == [
        "65 / 144 · 45%", "75 / 144 · 52%", "3 / 144 · 2%", "1 / 144 · 1%"]
    assert len(soup(site, "action-plan/tasks/").select("table[data-task-table] tbody tr")) == 144
    assert len(page.find(id="plan-by-topic").parent.table.tbody.find_all("tr")) == 12
    english = soup(site, "en/action-plan/")
    assert texts(english.select(".plan-count-figure")) == texts(page.select(".plan-count-figure"))
    assert untranslated_chinese(english) == []


# ---------------------------------------------------------------- in the browser

@pytest.mark.browser
@pytest.mark.skipif(not have_chromium(), reason="needs Debian's chromium")
def test_task_table_narrows_by_province_and_status_in_place_and_without_script(output):
    def visible_ids(page):
        return page.locator("table[data-task-table] tbody tr:visible td:first-child").all_inner_texts()

    with serve(output) as base, chromium() as browser:
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base}/action-plan/tasks/")
        page.select_option("#filter-province", "anhui")
        assert visible_ids(page) == ["T002", "T004"]
        page.select_option("#filter-status", "delayed")
        assert visible_ids(page) == ["T002"]
        assert page.locator("[data-task-count]").inner_text() == "显示 1 / 4 项任务"
        assert page.url == f"{base}/action-plan/tasks/?province=anhui&status=delayed"
        page.reload()  # the narrowed table can be bookmarked
        assert visible_ids(page) == ["T002"]
        page.click("[data-task-filter-reset]")
        assert len(visible_ids(page)) == 4
        page.goto(f"{base}/en/action-plan/tasks/?province=anhui&status=delayed")
        assert visible_ids(page) == ["T002"]
        assert page.locator("[data-task-count]").inner_text() == "Showing 1 of 4 tasks"
        assert errors == []

        without_script = browser.new_page(java_script_enabled=False)
        without_script.goto(f"{base}/action-plan/tasks/")
        assert not without_script.locator("[data-task-filter]").is_visible()
        without_script.click(".plan-facets summary")
        without_script.click(".plan-facets a[href='/action-plan/tasks/province/anhui/']")
        assert without_script.url == f"{base}/action-plan/tasks/province/anhui/"
        assert visible_ids_static(without_script) == ["T002", "T004"]
        without_script.click(".plan-facets summary")
        without_script.click(".plan-facets a[href='/action-plan/tasks/status/delayed/']")
        assert visible_ids_static(without_script) == ["T002"]


def visible_ids_static(page) -> list[str]:
    return page.locator("table.plan-table tbody tr:visible td:first-child").all_inner_texts()
