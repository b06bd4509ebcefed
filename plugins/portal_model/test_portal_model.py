import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from pelican.contents import Article, Page

import portal_model
from portal_model import (
    SHANGHAI, PartialDate, build_registries, format_date, freeze_urls, parse_datetime,
    parse_partial_date, pinyin_slug, split_list,
)
from portal_model.memory import free_finished_builds, malloc_trim, return_freed_memory
from sitebuild import settings_for


@pytest.fixture(scope="module")
def registries(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site")
    return build_registries(settings_for(tmp, tmp / "output"))


def test_fields_accept_keys_chinese_names_and_english_names_in_any_mix(registries):
    fields, _ = registries
    terms, unknown = fields.resolve("innovation、交通，Culture ,  生态环境")
    assert [t.key for t in terms] == ["culture", "innovation", "transport", "ecology"]
    assert unknown == []


def test_provinces_accept_abbreviations_and_report_unknown_names(registries):
    _, provinces = registries
    terms, unknown = provinces.resolve("沪,苏、zhejiang, 安徽, 北京")
    assert [t.key for t in terms] == ["shanghai", "jiangsu", "zhejiang", "anhui"]
    assert unknown == ["北京"]


def test_registry_order_and_urls_come_from_the_settings(registries):
    fields, provinces = registries
    assert [f.key for f in fields][:4] == ["culture", "education", "innovation", "transport"]
    assert len(fields) == 7 and len(provinces) == 4
    assert fields["科创"].url == "fields/innovation/"
    assert "credit 信用" in fields.choices()


def test_a_new_field_is_one_settings_entry(tmp_path):
    settings = settings_for(tmp_path, tmp_path / "output")
    settings["FIELDS"] = settings["FIELDS"] + [
        {"key": "tourism", "zh": "旅游", "en": "Tourism", "description": "x"}]
    fields, _ = build_registries(settings)
    assert fields.resolve("旅游")[0][0].key == "tourism"


def test_split_list_takes_yaml_lists_too():
    assert split_list(["culture", " 文化 "]) == ["culture", "文化"]
    assert split_list(None) == []


def test_dates_are_shanghai_local_time():
    when = parse_datetime("2019-01-03 09:00")
    assert when.tzinfo == SHANGHAI and when.isoformat() == "2019-01-03T09:00:00+08:00"
    assert parse_datetime("2018-12-05").hour == 0


@pytest.mark.parametrize("text", ["2019-02-30", "2019-13-01", "2019/01/03", "昨天", "2019-01-03 25:00"])
def test_impossible_or_malformed_dates_are_refused_in_plain_words(text):
    with pytest.raises(ValueError, match=text.split()[0]):
        parse_datetime(text)


def test_partial_dates_sort_by_precision_and_show_at_their_own_precision():
    dates = [parse_partial_date(v) for v in ("2018-09-20", "2018", "1992", "2018-07")]
    assert [d.isoformat() for d in sorted(dates)] == ["1992", "2018", "2018-07", "2018-09-20"]
    assert [d.format() for d in sorted(dates)] == ["1992年", "2018年", "2018年7月", "2018年9月20日"]
    assert parse_partial_date(1992) == PartialDate(1992)
    assert parse_partial_date("2018-07").precision == "month"
    with pytest.raises(ValueError):
        parse_partial_date("2018-02-30")


def test_dates_format_for_readers():
    assert format_date(datetime(2018, 12, 5, 9, tzinfo=SHANGHAI)) == "2018年12月5日"
    assert format_date(datetime(2018, 1, 12, tzinfo=SHANGHAI), "en") == "12 January 2018"


def test_pinyin_slugs_are_ascii_trimmed_and_never_empty():
    assert pinyin_slug("长三角G60科创走廊") == "chang-san-jiao-g60-ke-chuang-zou-lang"
    long = pinyin_slug("长三角地区一体化发展三年行动计划正式印发标志着三省一市有了共同的路线图", 40)
    assert len(long) <= 40 and not long.endswith("-")
    assert pinyin_slug("——!!") == "item"


def test_pinyin_slugs_leave_a_process_without_pypinyin_without_it():
    # A large build's own process holds every item: pypinyin's ~55 MiB of dictionaries stay out of it.
    # The second run of a build (the English edition) asks again: answered without a second fork.
    script = ("import sys, portal_model; "
              "print(portal_model.pinyin_slugs([('长三角G60科创走廊', 60), ('长江大桥', 6)])); "
              "portal_model.ProcessPoolExecutor = None; "
              "print(portal_model.pinyin_slugs([('长江大桥', 6)])); "
              "print('pypinyin' in sys.modules)")
    plugins = Path(portal_model.__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", script], cwd=plugins, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["['chang-san-jiao-g60-ke-chuang-zou-lang', 'chang']", "['chang']", "False"]
    assert portal_model.pinyin_slugs([("长江大桥", 6)]) == [pinyin_slug("长江大桥", 6)]


def test_item_urls_are_the_ones_pelican_formats_and_are_formatted_once(tmp_path):
    settings = settings_for(tmp_path, tmp_path / "output")
    article = Article("", metadata={"title": "一", "slug": "yi", "date": datetime(2019, 1, 3, tzinfo=SHANGHAI)},
                      settings=settings, source_path=str(tmp_path / "news" / "yi.md"))
    page = Page("", metadata={"title": "关于", "slug": "about"}, settings=settings,
                source_path=str(tmp_path / "pages" / "about.md"))
    freeze_urls([SimpleNamespace(articles=[article]), SimpleNamespace(pages=[page])])
    assert (article.url, page.url) == ("news/2019/yi/", "about/")
    # Formatting anew would give another URL: every read after the freeze is the stored one.
    article.slug = page.slug = "changed"
    assert (article.url, page.url) == ("news/2019/yi/", "about/")


def test_an_items_own_relative_source_path_is_worked_out_once(tmp_path, monkeypatch):
    portal_model.answer_own_relative_source_path()  # registered with the plugins; once is enough
    settings = settings_for(tmp_path, tmp_path / "output")
    article = Article("", metadata={"title": "一", "slug": "yi", "date": datetime(2019, 1, 3, tzinfo=SHANGHAI)},
                      settings=settings, source_path=str(tmp_path / "news" / "yi.md"))
    worked_out = []
    monkeypatch.setattr("os.path.relpath", lambda *arguments: worked_out.append(arguments) or "elsewhere.md")
    # Pelican's save_as and URL both ask for it, as the generators do; the answer is the one of __init__.
    assert (article.get_relative_source_path(), article.save_as, article.url) == (
        "news/yi.md", "news/2019/yi/index.html", "news/2019/yi/")
    assert worked_out == []
    assert article.get_relative_source_path(str(tmp_path / "pages" / "about.md")) == "elsewhere.md"
    assert len(worked_out) == 1, "another file's path is worked out as before"


def resident_mib() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


@pytest.mark.skipif(not (Path("/proc/self/status").exists() and malloc_trim()),
                    reason="glibc's malloc_trim, and the resident size from /proc")
def test_memory_freed_in_the_middle_of_the_heap_goes_back_to_the_system():
    blocks = [bytes(1000) for _ in range(150_000)]  # ~150 MiB in blocks malloc keeps in its heap
    pinned = blocks[::100] + blocks[-1:]  # a heap shrinks from its top only, and these hold it up
    del blocks
    before = resident_mib()
    return_freed_memory()
    assert before - resident_mib() > 100
    del pinned


def test_a_finished_build_leaves_none_of_its_items_in_memory(tmp_path):
    # The preview builds again and again in one process: each build's items must go with it.
    import gc

    from sitebuild import build_site

    item = "Title: 长三角第{n}号消息\nDate: 2019-03-0{n} 09:00\nFields: transport\n\n第{n}号消息的正文。\n"
    build_site({f"news/item-{n}.md": item.format(n=n) for n in range(1, 4)}, tmp_path,
               SEARCH_INDEX=False, OTHER_EDITIONS=[])
    free_finished_builds()  # what the preview does between builds

    assert [obj for obj in gc.get_objects() if isinstance(obj, Article)] == []


def test_the_next_build_in_a_process_frees_the_items_the_last_one_kept_out_of_collections(tmp_path):
    # memory.py: a build's items are kept out of the cycle collector (gc.freeze), which otherwise
    # went through them again and again (~1 s of a 10,000-item rebuild). In the test suite and the
    # preview, builds follow one another in one process: each must let the last one's items go.
    import gc
    import weakref

    from pelican import signals

    from sitebuild import build_site

    made = []

    def remember(generators):
        made.extend(weakref.ref(item) for generator in generators for item in getattr(generator, "articles", ()))

    item = "Title: 第{n}号消息\nDate: 2019-03-0{n} 09:00\nFields: transport\n\n正文。\n"
    signals.all_generators_finalized.connect(remember)
    try:
        build_site({f"news/item-{n}.md": item.format(n=n) for n in range(1, 4)}, tmp_path / "first",
                   SEARCH_INDEX=False, OTHER_EDITIONS=[])
    finally:
        signals.all_generators_finalized.disconnect(remember)
    assert len(made) == 3

    build_site({"news/other.md": item.format(n=9)}, tmp_path / "second", SEARCH_INDEX=False, OTHER_EDITIONS=[])
    gc.collect()

    assert [ref for ref in made if ref() is not None] == []


def test_built_items_share_one_table_of_attribute_names_and_one_author_or_tag_per_name(tmp_path):
    # Memory (portal_model/memory.py): an item with a table of its own costs ~1.3 KB more; before
    # share_item_attribute_names every item of a build had one. A fresh process, as `pelican` is:
    # the table only takes names freely before the class's first instance. Before share_url_wrappers
    # every item had an author of its own, each tag too.
    script = f"""
import sys
sys.path[:0] = [{str(Path(__file__).resolve().parents[2] / "tests")!r}]
from pathlib import Path
from pelican import Pelican, signals
from benchmark import generate_corpus
from sitebuild import settings_for
items = []
def keep(generators):
    items.extend(item for generator in generators for item in getattr(generator, "articles", ()))
signals.all_generators_finalized.connect(keep)
content, output = Path({str(tmp_path)!r}) / "content", Path({str(tmp_path)!r}) / "output"
generate_corpus(content, 80)
Pelican(settings_for(content, output, OTHER_EDITIONS=[], SEARCH_INDEX=False)).run()
own = [item.slug for item in items if sys.getsizeof(vars(item)) >= sys.getsizeof(dict(vars(item)))]
names = set().union(*map(vars, items))
print(len(items), len(own), "override_url" in names, "tags" in names, "source" in names, "_summary" in names)
tags = [tag for item in items for tag in getattr(item, "tags", ())]
print(len({{id(item.author) for item in items}}),
      len({{id(tag) for tag in tags}}) == len({{tag.name for tag in tags}}) < len(tags))
"""
    plugins = Path(portal_model.__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", script], cwd=plugins, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # 80 items (their metadata varied), none with a table of its own, URLs frozen among their names.
    assert result.stdout.splitlines()[-2:] == ["80 0 True True True True", "1 True"]


def test_the_shared_attribute_names_are_the_metadata_keys_but_the_rarest():
    from portal_model.memory import ITEM_ATTRIBUTE_NAMES

    # Headers become attributes, but these, which Pelican keeps under another name.
    as_attribute = {"summary": "_summary", "status": "_status", "url": "override_url", "save_as": "override_save_as"}
    headers = {as_attribute.get(key, key) for key in portal_model.METADATA_KEYS}
    assert headers - set(ITEM_ATTRIBUTE_NAMES) == {"modified", "override_save_as"}
    assert len(set(ITEM_ATTRIBUTE_NAMES)) == len(ITEM_ATTRIBUTE_NAMES) <= 29  # what CPython 3.11's table holds


def test_a_linked_file_never_writes_over_the_file_it_replaces(tmp_path):
    kept, page = tmp_path / "kept", tmp_path / "page.html"
    kept.write_text("新版")
    portal_model.link_or_copy(str(kept), str(page))  # a free name: a second name of the same file
    assert page.read_text() == "新版" and page.stat().st_ino == kept.stat().st_ino

    older = tmp_path / "older"
    older.write_text("旧版")
    portal_model.link_or_copy(str(older), str(page))  # a taken name: replaced, not written into
    assert page.read_text() == "旧版" and kept.read_text() == "新版"
    portal_model.link_or_copy(str(older), str(page))  # already a name of that file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept", "older", "page.html"]
    with pytest.raises(FileNotFoundError):
        portal_model.link_or_copy(str(tmp_path / "gone"), str(page))


def test_a_build_lists_what_it_changed_in_its_output_and_names_the_build_before(tmp_path):
    from portal_model import changes

    output, cache = tmp_path / "output", tmp_path / "cache"
    (output / "news").mkdir(parents=True)
    first = SimpleNamespace(settings={"CACHE_CONTENT": True, "OUTPUT_PATH": str(output), "CACHE_PATH": str(cache)},
                            delete_outputdir=False)
    changes.start_recording(first)
    recorded = portal_model.recorded(first.settings)
    assert recorded.since is None and recorded.summary()["written"] is None, "no build before: a step walks"

    changes.start_recording(first)
    recorded = portal_model.recorded(first.settings)
    portal_model.write_whole(str(output / "news" / "index.html"), "<p>新闻</p>")
    portal_model.write_whole(str(tmp_path / "elsewhere.txt"), "不在输出里")
    (output / "gone.html").write_text("旧")
    portal_model.remove_file(str(output / "gone.html"))
    summary = recorded.summary()
    assert summary["written"] == ["news/index.html"] and summary["removed"] == ["gone.html"]
    assert summary["since"] and summary["build"] != summary["since"]

    portal_model.written_outside_a_build(first.settings)  # the preview's quick rebuild
    changes.start_recording(first)
    assert portal_model.recorded(first.settings).since not in (summary["build"], None)

    emptied = SimpleNamespace(settings=first.settings, delete_outputdir=True)
    changes.start_recording(emptied)
    assert portal_model.recorded(first.settings).summary()["written"] is None, "all new: a step walks"
