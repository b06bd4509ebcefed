"""The preview's quick rebuild writes what a full build of the same content writes, and only runs
for edits that change an item's words; anything else still makes a full build."""

from __future__ import annotations

import copy
import dataclasses
import gzip
import logging
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from pelican.contents import Article
from pelican.paginator import Paginator
from pelican.settings import DEFAULT_CONFIG

import feeds
import tasks
from feeds import write_feed
from item_neighbours import Neighbours
from quick_rebuild import Mentions, changed_files, file_stamps
from search.build import finish_index_beside_preview
from sitebuild import NOT_PRECOMPRESSED, SAMPLE_CONTENT, build_site, soup, tree_differences

NEWS = "news/2018"
QUICK = "quick_rebuild:"


@pytest.fixture
def preview(tmp_path, caplog):
    return start_preview(tmp_path, caplog, SEARCH_INDEX=False)


def start_preview(tmp_path, caplog, **overrides):
    """A preview of the sample content that builds again when asked; (content folder, output, next build)."""
    content = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, content)
    output = tmp_path / "preview"
    builds = tasks.preview_builds(content, output, wait_for_change=lambda *watched: None,
                                  CACHE_PATH=str(tmp_path / "cache"), **NOT_PRECOMPRESSED["pelicanconf.py"], **overrides)
    assert next(builds) is None
    caplog.set_level(logging.INFO, logger="quick_rebuild")

    def rebuild() -> int | None:
        """Build again; how many pages a quick rebuild rendered, None after a full build."""
        caplog.clear()
        assert next(builds) is None
        quick = [record.getMessage() for record in caplog.records if QUICK in record.getMessage()]
        return int(re.search(r"(\d+) pages rendered", quick[0]).group(1)) if quick else None

    return content, output, rebuild


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def same_as_full_build(content: Path, output: Path, tmp_path: Path, name: str) -> list[str]:
    return tree_differences(output, build_site(content, tmp_path / name, SEARCH_INDEX=False))


def test_edits_to_an_items_words_are_rebuilt_quickly_as_a_full_build_would_write_them(preview, tmp_path):
    content, output, rebuild = preview
    news = content / NEWS
    # The body, at its end: lists show nothing new, only the item's own page (and its feeds) show it.
    (news / "g60-one-network-licensing.md").write_text(
        (news / "g60-one-network-licensing.md").read_text(encoding="utf-8") + "\n走廊内第十个城市也将接入。\n",
        encoding="utf-8")
    assert rebuild() == 1
    assert "走廊内第十个城市也将接入" in soup(output, f"{NEWS}/g60-one-network-licensing/").text
    assert same_as_full_build(content, output, tmp_path, "after-body") == []
    # A milestone's summary: lists, feeds and the timelines (pages and data) show it.
    edit(news / "yrd-office-founded.md", "Summary: ", "Summary: 四地干部集中办公，")
    assert rebuild() > 1
    assert "四地干部集中办公" in soup(output, "timeline/").text
    assert "四地干部集中办公" in (output / "timeline" / "all.json").read_text(encoding="utf-8")
    assert "集中辦公" in soup(output, "zh-hant/timeline/").text  # converted (繁體)
    assert same_as_full_build(content, output, tmp_path, "after-summary") == []
    # A title, where the Slug keeps the address.
    edit(news / "metro-line-11-cross-border.md", "Title: ", "Title: 跨省地铁：")
    assert rebuild() > 1
    assert "跨省地铁：" in soup(output, f"{NEWS}/metro-line-11-huaqiao/").h1.text
    assert same_as_full_build(content, output, tmp_path, "after-title") == []
    # Without a Summary line, the first paragraph is the summary that lists show; a Source line removed.
    drafting = news / "action-plan-drafting.md"
    edit(drafting, "开年之后，", "新年伊始，")
    edit(drafting, "Source: 解放日报\n", "")
    assert rebuild() > 1
    assert "新年伊始" in soup(output, "fields/transport/page/2/").text + soup(output, "fields/transport/").text
    assert "解放日报" not in soup(output, f"{NEWS}/chang-san-ban-qi-dong-san-nian-xing-dong-ji-hua-qi-cao-guang/").text
    assert same_as_full_build(content, output, tmp_path, "after-first-paragraph") == []


def test_the_traditional_pages_are_converted_by_a_process_ready_before_the_editor_saves(preview):
    # The preview's process holds the whole site: OpenCC's dictionaries and the record of every converted
    # file (~60 MiB at 20,000 items) stay out of it, and the rebuild does not wait for a Python to start.
    import editions

    content, output, rebuild = preview
    ready = list(editions._ready_for_quick_rebuild)
    assert len(ready) == 1 and ready[0].process.process.poll() is None  # waiting for the pages
    edit(content / NEWS / "yrd-office-founded.md", "Summary: ", "Summary: 四地干部集中办公，")
    assert rebuild() > 1
    assert "集中辦公" in soup(output, "zh-hant/timeline/").text
    assert ready[0].process.process.returncode == 0  # it converted them
    assert len(editions._ready_for_quick_rebuild) == 1 and editions._ready_for_quick_rebuild[0] is not ready[0]
    # A full build ends the one waiting, unused.
    waiting = editions._ready_for_quick_rebuild[0]
    (content / NEWS / "new-item.md").write_text("Title: 新消息\nDate: 2018-12-01\nFields: transport\n\n正文。\n",
                                                 encoding="utf-8")
    assert rebuild() is None
    assert waiting.process.process.poll() is not None


def test_an_edit_that_moves_the_item_or_touches_other_files_makes_a_full_build(preview, tmp_path):
    content, output, rebuild = preview
    news = content / NEWS
    item = news / "g60-one-network-licensing.md"
    edit(item, "Fields: ", "Fields: 民生, ")  # now listed under livelihood too
    assert rebuild() is None
    assert soup(output, f"{NEWS}/g60-one-network-licensing/").select('a[href$="fields/livelihood/"]')
    # A new title without a Slug: a new address (the title's pinyin).
    edit(news / "action-plan-drafting.md", "Title: ", "Title: 新")
    assert rebuild() is None
    assert (output / NEWS / "xin-chang-san-ban-qi-dong-san-nian-xing-dong-ji-hua-qi-cao").is_dir()
    # Two files at once.
    item.write_text(item.read_text(encoding="utf-8") + "\n补充。\n", encoding="utf-8")
    edit(news / "credit-case-award.md", "Title: ", "Title: 又")
    assert rebuild() is None
    # An item deleted.
    item.unlink()
    assert rebuild() is None
    assert not (output / NEWS / "g60-one-network-licensing").exists()
    assert same_as_full_build(content, output, tmp_path, "after-move") == []


def test_an_edit_rewrites_only_the_feeds_whose_newest_items_include_the_item(tmp_path, caplog, monkeypatch):
    content, output, rebuild = start_preview(tmp_path, caplog, SEARCH_INDEX=False, FEED_MAX_ITEMS=6)
    rewritten = []
    monkeypatch.setattr(feeds, "write_feed", lambda settings, spec, entries, **kw: rewritten.append((spec, entries))
                        or write_feed(settings, spec, entries, **kw))
    # An item of 2018: not among the six newest of all news (2019's), but of transport in Anhui.
    edit(content / NEWS / "action-plan-progress-2018.md", "Summary: ", "Summary: 年终盘点，")
    assert rebuild() > 1
    written = {spec.path for spec, _ in rewritten}
    assert "feeds/fields/transport/anhui" in written and "feeds/all" not in written
    assert all(any("年终盘点" in entry.summary for entry in entries) for _, entries in rewritten)
    full = build_site(content, tmp_path / "full", SEARCH_INDEX=False, FEED_MAX_ITEMS=6)
    assert tree_differences(output, full) == []


def test_an_item_saved_again_and_again_shows_its_latest_words_each_time(preview, tmp_path):
    content, output, rebuild = preview
    item = content / NEWS / "g60-one-network-licensing.md"
    for words in ("第一次更正。", "第二次更正。", "第三次更正。"):
        item.write_text(item.read_text(encoding="utf-8") + f"\n{words}\n", encoding="utf-8")
        assert rebuild() == 1
        assert words in soup(output, f"{NEWS}/g60-one-network-licensing/").text
    assert same_as_full_build(content, output, tmp_path, "after-three-saves") == []


def test_pages_rebuilt_quickly_are_rendered_again_by_the_next_full_build(preview, tmp_path):
    """Their recorded keys are the old text's: undoing the edit in a full build must not keep the new one."""
    content, output, rebuild = preview
    item = content / NEWS / "yrd-office-founded.md"
    original = item.read_text(encoding="utf-8")
    edit(item, "Summary: ", "Summary: 临时改动。")
    assert rebuild()
    item.write_text(original, encoding="utf-8")
    (content / NEWS / "action-plan-drafting.md").touch()  # a second file: a full build
    assert rebuild() is None
    assert "临时改动" not in soup(output, "timeline/").text
    assert same_as_full_build(content, output, tmp_path, "after-undo") == []


def test_search_finds_the_new_words_once_the_index_beside_the_preview_is_done(tmp_path, caplog):
    content, output, rebuild = start_preview(tmp_path, caplog)
    item = content / NEWS / "g60-one-network-licensing.md"
    item.write_text(item.read_text(encoding="utf-8") + "\nQUICKMARKER\n", encoding="utf-8")
    assert rebuild()
    finish_index_beside_preview()  # what the next build does first
    fragments = (output / "pagefind").rglob("*.pf_fragment")  # Pagefind's records: gzip, then JSON
    assert any(b"QUICKMARKER" in gzip.decompress(fragment.read_bytes()) for fragment in fragments)


def article(title: str) -> Article:
    return Article("", metadata={"title": title, "date": datetime(2019, 1, 1)}, settings=copy.deepcopy(DEFAULT_CONFIG),
                   source_path=f"{title}.md")


def test_a_page_shows_the_item_through_lists_listing_pages_and_the_objects_holding_it():
    item, other = article("甲"), article("乙")

    @dataclasses.dataclass
    class Listing:
        name: str
        articles: list

    by_face = Mentions(item)
    assert by_face(item)
    listing = Paginator("news", "news/", [other, item], DEFAULT_CONFIG, per_page=1)
    assert by_face(listing.page(2)) and not by_face(listing.page(1))
    assert by_face({"innovation": Listing("科创", [other, item])})
    assert by_face(lambda: item)  # a closure over it
    assert not by_face(["科创", 3, None, other])
    other.neighbours = Neighbours((), [item])
    assert by_face(other)  # a page's own item, by the items it refers to
    assert not by_face([other])  # another item in a list shows only its own face
    # Objects that refer back to one another (a plan's tasks to the plan): found whichever is met first.
    plan = Listing("计划", [])
    task = Listing("任务", [plan, item])
    plan.articles.append(task)
    searching = Mentions(item)
    assert searching(task) and searching(plan)  # the plan, met first inside the task, was not done then
    only_itself = Mentions(item, by_face=False)  # the item's face did not change: only its own page
    assert only_itself(item) and not only_itself([item]) and not only_itself(other)


def test_the_files_a_save_changed_are_told_apart_and_hidden_files_ignored(tmp_path):
    (tmp_path / "a.md").write_text("甲", encoding="utf-8")
    (tmp_path / ".a.md.swp").write_text("x", encoding="utf-8")
    before = file_stamps(str(tmp_path))
    assert list(before) == [str(tmp_path / "a.md")]
    (tmp_path / "a.md").write_text("甲乙", encoding="utf-8")
    (tmp_path / ".a.md.swp").write_text("xy", encoding="utf-8")
    (tmp_path / "b.md").write_text("丙", encoding="utf-8")
    assert changed_files(before, file_stamps(str(tmp_path))) == [str(tmp_path / "a.md"), str(tmp_path / "b.md")]
