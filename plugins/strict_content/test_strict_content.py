"""Builds of small sites: what the strict reading lets through, and what it refuses."""

import os
import pickle
import re
import sys
from types import SimpleNamespace

import pytest

from portal_model import ContentProblems
from sitebuild import ROOT, build_site, soup, write_content
from strict_content import check_site, fast_reading, sanitize

ITEM = """\
Title: {title}
Date: {date}
Fields: {fields}
{extra}

{body}
"""


def item(title="长三角G60科创走廊“一网通办”", date="2018-09-20 10:00", fields="innovation",
         extra="", body="正文第一段。"):
    return ITEM.format(title=title, date=date, fields=fields, extra=extra, body=body)


def test_hostile_html_is_neutralised_and_tables_images_links_survive(tmp_path):
    body = """第一段<script>alert('x')</script>。

<iframe src="https://evil.example/"></iframe>
<a href="javascript:alert(1)" onclick="steal()">坏链接</a>
<img src="/images/map.png" alt="地图" onerror="steal()">
<a href="https://www.gov.cn/">好链接</a>

| 城市 | 数量 |
| --- | --- |
| 合肥 | 9 |

## 小标题
"""
    output = build_site({"news/a.md": item(title="<b>标题</b><script>x()</script>", extra="Slug: hostile", body=body)},
                        tmp_path)
    page = soup(output, "news/2018/hostile/")
    html = str(page.find("main"))
    assert "<script>" not in html.replace('<script type="application/ld+json">', "")
    assert "iframe" not in html and "onclick" not in html and "onerror" not in html
    assert "javascript:" not in html
    content = page.select_one(".content") or page.find("main")
    assert content.find("table") and content.find("img", alt="地图") and content.find("h2")
    assert content.find("a", href="https://www.gov.cn/")
    # the title is shown as text, never as markup
    assert page.find("h1").get_text() == "<b>标题</b><script>x()</script>"


def test_sanitize_removes_characters_xml_forbids():
    assert sanitize("<p>a\x0bb\x00c</p>") == "<p>abc</p>"


def test_slugs_are_ascii_pinyin_distinct_for_equal_titles_and_stable(tmp_path):
    files = {
        "news/2019/b.md": item(date="2018-09-21"),
        "news/a.md": item(date="2018-09-20"),
        "news/c.md": item(title="长三角区域合作办公室成立", date="2018-01-12"),
    }
    first = build_site(files, tmp_path / "one")
    second = build_site(files, tmp_path / "two")
    urls = sorted(p.parent.relative_to(first).as_posix() for p in first.glob("news/*/*/index.html"))
    assert urls == [
        "news/2018/chang-san-jiao-g60-ke-chuang-zou-lang-yi-wang-tong-ban",
        "news/2018/chang-san-jiao-g60-ke-chuang-zou-lang-yi-wang-tong-ban-2",
        "news/2018/chang-san-jiao-qu-yu-he-zuo-ban-gong-shi-cheng-li",
    ]
    assert urls == sorted(p.parent.relative_to(second).as_posix() for p in second.glob("news/*/*/index.html"))
    # the older item keeps the plain slug, whatever the file names
    older = soup(first, "news/2018/chang-san-jiao-g60-ke-chuang-zou-lang-yi-wang-tong-ban/")
    assert "2018年9月20日" in older.find("main").get_text()


def test_drafts_and_future_items_appear_nowhere(tmp_path):
    output = build_site({
        "news/draft.md": item(title="草稿稿件", extra="Status: draft\nSlug: draft-item"),
        "news/future.md": item(title="未来稿件", date="2099-01-01", extra="Slug: future-item"),
        "news/public.md": item(title="公开稿件", extra="Slug: public-item"),
    }, tmp_path)
    everything = "".join(p.read_text(encoding="utf-8", errors="ignore")
                         for p in output.rglob("*") if p.is_file())
    assert "公开稿件" in everything
    for hidden in ("草稿稿件", "未来稿件", "draft-item", "future-item"):
        assert hidden not in everything
    assert not list(output.rglob("drafts"))


def test_a_translation_never_replaces_the_chinese_item(tmp_path):
    output = build_site({
        "news/zh.md": item(title="长三办成立一周年", extra="Slug: office-first-year"),
        "news/en.md": item(title="The office turns one", extra="Slug: office-first-year\nLang: en",
                           body="English body."),
    }, tmp_path)
    assert soup(output, "news/2018/office-first-year/").find("h1").get_text() == "长三办成立一周年"
    assert soup(output, "en/news/2018/office-first-year/").find("h1").get_text() == "The office turns one"
    assert "The office turns one" not in (output / "fields/innovation/index.html").read_text(encoding="utf-8")


def test_summary_defaults_to_the_shortened_first_paragraph(tmp_path):
    output = build_site({"news/a.md": item(extra="Slug: a", body="甲" * 300 + "\n\n第二段。")}, tmp_path)
    description = soup(output, "news/2018/a/").find("meta", attrs={"name": "description"})["content"]
    assert description.startswith("甲" * 100) and description.endswith("…") and len(description) <= 121


def test_summary_and_source_left_empty_as_invoke_new_writes_them_count_as_absent(tmp_path):
    output = build_site({"news/a.md": item(extra="Summary: \nSource:   \nSlug: a", body="第一段说明。\n\n第二段。")},
                        tmp_path)
    page = soup(output, "news/2018/a/")
    assert page.find("meta", attrs={"name": "description"})["content"] == "第一段说明。"
    assert "来源" not in page.select_one(".item-facts").get_text()
    # the first paragraph is the summary, shown once: as the body, not also as the lead
    assert not page.select(".lead") and page.select_one(".content").get_text().count("第一段说明。") == 1
    home = (output / "index.html").read_text(encoding="utf-8")
    assert "第一段说明。" in home


def test_one_items_definitions_do_not_reach_the_next_item_read(tmp_path):
    """The reader reuses its Markdown instances: abbreviations, references and notes stay per item
    (each item uses what the other defines, whichever is read first)."""
    first = ("G60 走廊[^1]见[规划][plan],[另见][other]。\n\n[^1]: 注释甲。\n"
             "[plan]: https://example.org/plan\n*[G60]: 沪苏浙皖九城")
    second = "G60 走廊[^1]见[规划][plan],[另见][other]。\n\n[other]: https://example.org/other"
    output = build_site({"news/a.md": item(title="甲", extra="Slug: a", body=first),
                         "news/b.md": item(title="乙", date="2018-09-21 10:00", extra="Slug: b", body=second)},
                        tmp_path)
    defining, using = soup(output, "news/2018/a/"), soup(output, "news/2018/b/")
    assert defining.find("abbr") and defining.find("a", href="https://example.org/plan")
    assert defining.select(".footnote") and not defining.find("a", href="https://example.org/other")
    assert not using.find("abbr") and not using.find("a", href="https://example.org/plan")
    assert not using.select(".footnote") and using.find("a", href="https://example.org/other")


def test_problems_of_every_file_come_in_one_report(tmp_path):
    with pytest.raises(ContentProblems) as refused:
        build_site({
            "news/a.md": item(fields="sports"),
            "news/b.md": item(date="2019-02-30"),
            "news/c.md": item(extra="Slug: same"),
            "news/d.md": item(extra="Slug: same"),
            "news/e.md": "Title: 缺日期\nFields: 文化\n\n正文\n",
        }, tmp_path)
    report = str(refused.value.code)
    for name in ("a.md", "b.md", "d.md", "e.md"):
        assert re.search(rf"/{name}(:\d+)?: ", report), report
    assert not (tmp_path / "output" / "index.html").exists()


def test_check_site_finds_the_same_problems_without_writing_anything(tmp_path):
    content = tmp_path / "content"
    (content / "news").mkdir(parents=True)
    (content / "news" / "a.md").write_text(item(fields="体育"), encoding="utf-8")
    problems = check_site(None, str(content))
    assert [p.message.split(" —")[0] for p in problems] == ["未知领域 “体育”"]


def test_files_windows_explorer_hides_in_every_folder_are_ignored_like_ds_store(tmp_path):
    system_files = {f"{folder}/{name}": b"\x00\x01binary" for folder in
                    ("news", "news/2018", "pages", "images", "timeline", "action-plan/reports")
                    for name in ("Thumbs.db", "desktop.ini", ".DS_Store")}
    content = write_content(tmp_path / "content", {"news/a.md": item(extra="Slug: a"), **system_files})
    assert check_site(str(ROOT / "pelicanconf.py"), str(content)) == []
    output = build_site(content, tmp_path)
    assert soup(output, "news/2018/a/").find("h1")


def test_a_duplicate_slug_is_the_newer_items_problem_naming_the_published_one(tmp_path):
    content = write_content(tmp_path / "content", {
        "news/2019/yrd-office.md": item(title="长三办成立一周年", date="2019-01-03 09:00",
                                        extra="Slug: yrd-office-first-year"),
        "news/2019/t1.md": item(title="新稿", date="2019-06-01", extra="Slug: yrd-office-first-year"),
        # the same date: the later path is the newer item
        "news/b.md": item(title="乙", date="2018-09-20", extra="Slug: same-day"),
        "news/a.md": item(title="甲", date="2018-09-20", extra="Slug: same-day"),
    })
    problems = check_site(str(ROOT / "pelicanconf.py"), str(content))
    assert sorted((os.path.basename(p.path), p.message.split(" —")[0]) for p in problems) == [
        ("b.md", f"Slug “same-day” 已被 {content / 'news/a.md'} 使用，两篇会占用同一网址"),
        ("t1.md", f"Slug “yrd-office-first-year” 已被 {content / 'news/2019/yrd-office.md'} 使用，两篇会占用同一网址"),
    ]


LINKING = """见[上一篇]({filename}/news/missing.md)和[机制]({filename}/pages/mechanisms.md)。

![图片]({static}/images/missing.jpg) ![地图]({static}/images/map.png) [前一篇]({filename}../b.md#part)
<img src="{static}../../images/长 三角.png"> [英文版]({filename}/news/en.md)
"""


def test_links_to_files_that_are_not_there_are_problems_naming_the_link_and_a_path_that_works(tmp_path):
    content = write_content(tmp_path / "content", {
        "news/2019/a.md": item(extra="Slug: a", body=LINKING),
        "news/b.md": item(title="乙", extra="Slug: b"),
        "news/en.md": item(title="English", extra="Slug: a\nLang: en"),
        "pages/mechanism.md": "Title: 三级运作机制\n\n正文。\n",
        "images/map.png": b"\x89PNG", "images/长 三角.png": b"\x89PNG",
    })
    problems = check_site(str(ROOT / "pelicanconf.py"), str(content))
    assert [(os.path.basename(p.path), p.line, p.message.split(" — ")[0]) for p in problems] == [
        ("a.md", 6, "链接 “{filename}/news/missing.md” 指向的文章 news/missing.md 不存在"),
        ("a.md", 6, "链接 “{filename}/pages/mechanisms.md” 指向的文章 pages/mechanisms.md 不存在"),
        ("a.md", 8, "图片或附件 “{static}/images/missing.jpg” 指向的文件 images/missing.jpg 不存在"),
        ("a.md", 9, "链接 “{filename}/news/en.md” 指向的是另一种语言(Lang: en)的文章，各语言版本分开发布，这样链接不到"),
    ]
    assert "是否应为 {filename}/pages/mechanism.md？" in problems[1].message
    assert f"请写成已有文件相对 {content}/ 的路径" in problems[0].message and problems[0].message.endswith("(broken link)")
    assert f"请把文件放进 {content}/images/" in problems[2].message and problems[2].message.endswith("(missing file)")
    with pytest.raises(ContentProblems):  # the build refuses them too, publishing nothing
        build_site(content, tmp_path)
    assert not (tmp_path / "output" / "news").exists()


def test_a_link_to_a_file_removed_since_is_found_though_the_linking_item_is_unchanged(tmp_path):
    files = {"news/a.md": item(extra="Slug: a", body="见[乙]({filename}b.md)。"),
             "news/b.md": item(title="乙", extra="Slug: b")}
    content = write_content(tmp_path / "content", files)
    output = build_site(content, tmp_path, LOAD_CONTENT_CACHE=True)
    assert soup(output, "news/2018/a/").select_one(".content a")["href"] == "/news/2018/b/"
    (content / "news" / "b.md").unlink()
    with pytest.raises(ContentProblems) as refused:  # a.md's check comes from its record
        build_site(content, tmp_path, LOAD_CONTENT_CACHE=True)
    assert [(os.path.basename(p.path), p.line) for p in refused.value.problems] == [("a.md", 6)]
    assert "“{filename}b.md” 指向的文章 news/b.md 不存在" in refused.value.problems[0].message


def test_control_characters_pasted_into_the_header_are_dropped_not_misreported(tmp_path):
    output = build_site({"news/a.md": item(title="长三角\x0b一体化\x0c进展", extra="Slug: pasted")}, tmp_path)
    assert soup(output, "news/2018/pasted/").find("h1").get_text() == "长三角一体化进展"


def test_with_the_content_cache_unchanged_files_are_not_read_again_and_every_problem_still_reported(
        tmp_path, monkeypatch):
    import strict_content
    from portal_model import model_for
    from sitebuild import settings_for, write_content

    content = write_content(tmp_path / "content", {
        "news/a.md": item(date="2018-09-20"),
        "news/bad.md": item(title="另一条", fields="体育"),
        "news/explicit.md": item(title="第三条", extra="Slug: same"),
    })
    read = []
    check_source = strict_content.check_source
    monkeypatch.setattr(strict_content, "check_source", lambda model, path, kind: (
        read.append(path.rsplit("/", 1)[-1]), check_source(model, path, kind))[1])

    def check(**settings):
        read.clear()
        model = model_for(settings_for(content, tmp_path / "output", CACHE_CONTENT=True, LOAD_CONTENT_CACHE=True,
                                       **settings))
        sources = strict_content.check_content(model)
        return {path.rsplit("/", 1)[-1]: source.slug for path, source in sources.items()}, model.problems

    slugs, problems = check()
    assert sorted(read) == ["a.md", "bad.md", "explicit.md"]
    assert check() == (slugs, problems) and read == ["bad.md"]  # a file with problems is read every time
    assert [p.message.split(" —")[0] for p in problems] == ["未知领域 “体育”"]

    # a new item with an older item's title, and a slug taken from a file that was not read again
    (content / "news" / "later.md").write_text(item(date="2018-10-01", extra="Slug: same"), encoding="utf-8")
    (content / "news" / "same-title.md").write_text(item(date="2018-10-02"), encoding="utf-8")
    slugs, problems = check()
    assert sorted(read) == ["bad.md", "later.md", "same-title.md"]
    assert slugs["a.md"] == "chang-san-jiao-g60-ke-chuang-zou-lang-yi-wang-tong-ban"
    assert slugs["same-title.md"] == slugs["a.md"] + "-2"
    assert [p.path.rsplit("/", 1)[-1] for p in problems] == ["bad.md", "later.md"]
    assert problems[0].message.startswith("未知领域 “体育”")
    assert problems[1].message.startswith("Slug “same” 已被") and "explicit.md" in problems[1].message

    # a change to the registries is a change to every file's check
    fields = [field for field in settings_for(content, tmp_path)["FIELDS"] if field["key"] != "innovation"]
    slugs, problems = check(FIELDS=fields)
    assert len(read) == 5 and "未知领域 “innovation”" in {p.message.split(" —")[0] for p in problems}


def test_an_item_saved_again_while_a_build_reads_shows_its_new_words_on_the_next_build(tmp_path, monkeypatch):
    """Pelican's content cache takes each file's time from the content check (share_file_stamps):
    an edit made after the check is not lost, and the other items still come from the cache."""
    import strict_content

    content = tmp_path / "content"
    files = {"news/a.md": item(body="第一稿。", extra="Slug: a"), "news/b.md": item(title="另一条", extra="Slug: b")}
    cached = {"CACHE_CONTENT": True, "LOAD_CONTENT_CACHE": True}
    build_site(files, tmp_path, **cached)
    edited = content / "news" / "a.md"
    check_content = strict_content.check_content

    def editor_saves_during_the_build(model):
        sources = check_content(model)
        edited.write_text(item(body="第二稿。", extra="Slug: a"), encoding="utf-8")
        later = edited.stat().st_mtime_ns + 5_000_000_000  # a file system's coarse clock still tells it apart
        os.utime(edited, ns=(later, later))
        return sources

    monkeypatch.setattr(strict_content, "check_content", editor_saves_during_the_build)
    build_site(content, tmp_path, **cached)
    monkeypatch.undo()
    read = []  # the files Pelican's cache did not serve, which the reader parses
    parsed_ahead = fast_reading.parsed_ahead
    monkeypatch.setattr(fast_reading, "parsed_ahead",
                        lambda reader, path: (read.append(path), parsed_ahead(reader, path))[1])
    output = build_site(content, tmp_path, **cached)
    assert "第二稿" in soup(output, "news/2018/a/").get_text()
    assert "b.md" not in {path.rsplit("/", 1)[-1] for path in read}


def test_an_item_saved_after_the_check_waits_for_the_next_build_which_checks_it(tmp_path, monkeypatch):
    import strict_content

    content = tmp_path / "content"
    check_content = strict_content.check_content

    def editor_adds_a_file_during_the_build(model):
        sources = check_content(model)
        (content / "news" / "late-news.md").write_text(item(title="晚到的消息", fields="体育"), encoding="utf-8")
        return sources

    monkeypatch.setattr(strict_content, "check_content", editor_adds_a_file_during_the_build)
    cached = {"CACHE_CONTENT": True, "LOAD_CONTENT_CACHE": True}
    output = build_site({"news/a.md": item(extra="Slug: a")}, tmp_path, **cached)
    assert (output / "news" / "2018" / "a" / "index.html").exists()
    assert "晚到的消息" not in (output / "index.html").read_text(encoding="utf-8")  # not published unchecked
    monkeypatch.undo()
    with pytest.raises(ContentProblems, match="未知领域"):  # checked now, and reported
        build_site(content, tmp_path, **cached)
    (content / "news" / "late-news.md").write_text(item(title="晚到的消息"), encoding="utf-8")
    output = build_site(content, tmp_path, **cached)
    assert soup(output, "news/2018/wan-dao-de-xiao-xi/").find("h1").get_text() == "晚到的消息"


def test_the_preview_keeps_the_records_it_saved_until_another_build_replaces_the_file(tmp_path):
    import shutil

    import strict_content
    from portal_model import model_for
    from sitebuild import settings_for, write_content
    from strict_content import checked_files

    content = write_content(tmp_path / "content", {"news/a.md": item(), "news/b.md": item(title="另一条")})
    settings = settings_for(content, tmp_path / "output", CACHE_CONTENT=True, LOAD_CONTENT_CACHE=True)

    def slugs():
        return {path.rsplit("/", 1)[-1]: source.slug
                for path, source in strict_content.check_content(model_for(dict(settings))).items()}

    built = slugs()
    # What this process remembers is what it uses while the file is the one it wrote …
    path, identity, fingerprint, records = checked_files._remembered
    a = next(name for name in records if name.endswith("a.md"))
    checked_files._remembered = (path, identity, fingerprint,
                                 {**records, a: records[a]._replace(meta={**records[a].meta, "slug": "remembered"})})
    assert slugs()["a.md"] == "remembered"
    # … and not once another build has written it (here: the same records, copied into place).
    shutil.copyfile(path, path + ".copy")
    os.replace(path + ".copy", path)
    assert slugs() == built


def test_many_files_are_checked_on_every_core_with_the_same_result(tmp_path, monkeypatch):
    import strict_content
    from portal_model import model_for
    from sitebuild import settings_for, write_content

    files = {f"news/{number}.md": item(date=f"2018-09-{number + 1:02d}", fields="innovation, 交通",
                                       extra=f"Milestone: 长三角第{number}次联席会议" if number % 3 else "")
             for number in range(12)}
    files.update({"news/bad.md": item(fields="体育", date="2019-02-30"), "news/gbk.md": "标题".encode("gbk"),
                  "pages/about.md": "Title: 关于\n\n正文\n"})
    content = write_content(tmp_path / "content", files)
    results = {}
    for name, minimum in (("sequential", 1000), ("parallel", 2)):
        monkeypatch.setattr(strict_content, "PARALLEL_CHECK_MIN_FILES", minimum)
        model = model_for(settings_for(content, tmp_path / "output"))
        sources = strict_content.check_content(model)
        results[name] = ({path: (s.slug, s.fields, s.provinces, s.meta, s.milestone_slug)
                          for path, s in sources.items()}, model.problems)
    assert results["parallel"] == results["sequential"]
    sources, problems = results["parallel"]
    assert len(sources) == 14 and len({slug for slug, *_ in sources.values()}) == 14
    # The timelines' anchors are made of the milestones' pinyin, found by the check.
    milestones = {meta["milestone"]: milestone_slug for *_, meta, milestone_slug in sources.values()
                  if "milestone" in meta}
    assert len(milestones) == 8 and milestones["长三角第1次联席会议"] == "chang-san-jiao-di-1-ci-lian-xi-hui-yi"
    assert [p.path.rsplit("/", 1)[-1] for p in problems] == ["bad.md", "bad.md", "gbk.md"]


def test_bodies_pickled_into_the_content_cache_do_not_keep_a_second_copy_in_memory(monkeypatch):
    bodies = {f"/site/content/news/{n}.md": "<p>长三角区域合作办公室在上海召开会议。</p>" * 50 + f"{n}" for n in range(20)}
    sizes = {path: sys.getsizeof(body) for path, body in bodies.items()}
    items = {path: SimpleNamespace(_content=body, source_path=path) for path, body in bodies.items()}
    readers = SimpleNamespace(_cache={path: ((1, 2), (body, {"title": "会议"})) for path, body in bodies.items()})
    del bodies  # held by the items and the cache only, as in a build
    pickle.dumps(readers._cache)  # what Pelican's save_cache does
    assert all(sys.getsizeof(item._content) > sizes[path] for path, item in items.items())  # the UTF-8 bytes inside

    held_by_the_cache = []  # when each body is copied
    copy = fast_reading.without_utf8_copy
    monkeypatch.setattr(fast_reading, "without_utf8_copy", lambda text: (
        held_by_the_cache.append(any(data[0] is text for _, data in readers._cache.values())), copy(text))[1])
    fast_reading.release_cache(SimpleNamespace(readers=readers, settings={"CACHE_CONTENT": True},
                                               context={"generated_content": items}))

    assert all(item._content.endswith(f"。</p>{n}") and sys.getsizeof(item._content) == sizes[path]
               for n, (path, item) in enumerate(items.items()))
    assert readers._cache == {}
    # The cache let go of each body before it was copied: freed as the item takes its copy, one at a
    # time, instead of every body held twice until the end.
    assert held_by_the_cache == [False] * 20


def test_items_are_parsed_ahead_in_the_order_the_build_asks_for_them(tmp_path, monkeypatch):
    """Pelican reads its files in a set's order, not the folders': fed in any other order, the workers
    parse files the build does not want yet while it waits for one at the back of their queue."""
    fed, asked = [], []
    reading = fast_reading.ParallelReading
    start, take = reading.__init__, reading.take

    def start_noting_order(self, reader_class, settings, paths):
        fed.extend(paths)
        start(self, reader_class, settings, paths)

    def take_noting_order(self, path):
        asked.append(path)
        return take(self, path)

    monkeypatch.setattr(reading, "__init__", start_noting_order)
    monkeypatch.setattr(reading, "take", take_noting_order)
    files = {f"news/{number % 4}/{number}.md": item(title=f"长三角第{number}次联席会议", date=f"2019-01-{number % 28 + 1:02d}")
             for number in range(40)}

    output = build_site(files, tmp_path, PARALLEL_READING_MIN_FILES=2)

    assert len(asked) == 40 and fed == asked
    assert len(list((output / "news").glob("*/*/index.html"))) == 40
