"""The incremental writer: unchanged pages are not written again, and what is written equals a clean build."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pelican.settings import read_settings

from incremental_writer import MANIFEST, IncrementalWriter
from incremental_writer.pagekeys import Fingerprints, Unkeyed, build_inputs_digest
from incremental_writer import workers
from incremental_writer.rendered import RenderedPages
from incremental_writer.workers import Job, PageContext, RenderingFailed, write_in_workers
from sitebuild import build_site, tree_differences, write_content

ITEM = """\
Title: {title}
Date: 2019-0{month}-10 09:00
Fields: {fields}
Provinces: 沪, 苏
Slug: item-{number}

{body}
"""
FIELDS = ("transport", "transport", "culture", "transport", "culture", "education")


def item(number: int, title: str | None = None, body: str | None = None) -> str:
    return ITEM.format(number=number, month=number, fields=FIELDS[number - 1],
                       title=title or f"长三角第{number}号消息", body=body or f"第{number}号消息的正文。")


def corpus() -> dict[str, str]:
    return {f"news/2019/item-{n}.md": item(n) for n in range(1, 7)}


PREVIEW = {"SEARCH_INDEX": False, "OTHER_EDITIONS": []}


def cached_build(content: Path, output: Path, cache: Path, **settings) -> Path:
    """A preview build: content cache and page keys kept in `cache` between builds."""
    return build_site(content, output.parent, CACHE_PATH=str(cache), LOAD_CONTENT_CACHE=True, **PREVIEW, **settings)


def clean_build(content: Path, tmp_path: Path) -> Path:
    (tmp_path / "clean").mkdir()
    return build_site(content, tmp_path / "clean", CACHE_CONTENT=False, **PREVIEW)


def stamps(output: Path) -> dict[str, int]:
    return {str(page.relative_to(output)): page.stat().st_mtime_ns for page in output.rglob("*.html")}


def rewritten(before: dict[str, int], output: Path) -> set[str]:
    return {page for page, stamp in stamps(output).items() if before.get(page) != stamp}


@pytest.fixture
def site(tmp_path):
    content = write_content(tmp_path / "content", corpus())
    (tmp_path / "preview").mkdir()
    output = cached_build(content, tmp_path / "preview" / "output", tmp_path / "cache")
    return content, output, tmp_path


def rebuild(site) -> tuple[Path, set[str]]:
    content, output, tmp_path = site
    before = stamps(output)
    cached_build(content, output, tmp_path / "cache")
    return output, rewritten(before, output)


def test_a_rebuild_with_nothing_changed_writes_no_page(site):
    _, changed = rebuild(site)

    assert changed == set()


def test_keys_computed_by_the_workers_hold_for_the_next_builds(tmp_path):
    content = write_content(tmp_path / "content", corpus())
    (tmp_path / "preview").mkdir()
    in_workers = {"PARALLEL_WRITING_MIN_PAGES": 1, "PARALLEL_WRITING_WORKERS": 2}
    output = cached_build(content, tmp_path / "preview" / "output", tmp_path / "cache", **in_workers)
    before = stamps(output)

    cached_build(content, output, tmp_path / "cache", **in_workers)
    assert len(before) > 50 and rewritten(before, output) == set()
    # What the next build needs not read again: every item's digests, though each worker reports only
    # those of the items whose own pages it keyed.
    manifest = json.loads(next((tmp_path / "cache").rglob(MANIFEST)).read_text(encoding="utf-8"))
    assert sorted(Path(source).name for source in manifest["items"]) == [f"item-{n}.md" for n in range(1, 7)]

    edited = content / "news/2019/item-6.md"
    edited.write_text(item(6, body="更正后的正文。"), encoding="utf-8")
    cached_build(content, output, tmp_path / "cache", **in_workers)
    # the item, and the lists that show its summary
    assert {page for page in rewritten(before, output) if page.startswith("news/")} == {"news/2019/item-6/index.html"}

    before = stamps(output)
    cached_build(content, output, tmp_path / "cache", PARALLEL_WRITING_WORKERS=1)
    assert rewritten(before, output) == set()


def test_an_edited_or_new_items_page_is_written_ahead_of_the_rest_and_again_as_the_finished_build_has_it(site, monkeypatch):
    # plugins/search indexes the edited item's period while the rest of the site is written.
    from pelican import signals

    from incremental_writer import PAGE_WRITTEN_AHEAD

    content, output, tmp_path = site
    (content / "news/2019/item-2.md").write_text(item(2, body="更正后的第二号正文。"), encoding="utf-8")
    (content / "news/2019/item-7.md").write_text(ITEM.format(number=7, month=5, fields="culture", title="新增的第七号消息",
                                                             body="第七号消息的正文。"), encoding="utf-8")
    (content / "news/2019/item-3.md").touch()  # saved unchanged: written ahead all the same
    ahead, queued, rendered_at_the_end = {}, [], []
    render_page = workers.render

    def render_and_record(template, context, path):
        rendered_at_the_end.append(str(path))
        render_page(template, context, path)

    def look(writer, path):  # the page as it is when announced
        ahead[Path(path).relative_to(output).as_posix()] = (Path(path).read_text(encoding="utf-8"), list(queued))

    def all_queued(generator, writer):
        queued.append(True)

    PAGE_WRITTEN_AHEAD.connect(look)
    signals.article_writer_finalized.connect(all_queued)
    monkeypatch.setattr(workers, "render", render_and_record)
    try:
        _, changed = rebuild(site)
    finally:
        PAGE_WRITTEN_AHEAD.disconnect(look)
        signals.article_writer_finalized.disconnect(all_queued)

    assert set(ahead) == {f"news/2019/item-{n}/index.html" for n in (2, 3, 7)}
    assert {str(output / page) for page in ahead} <= set(rendered_at_the_end)  # as every generator left it
    assert "更正后的第二号正文" in ahead["news/2019/item-2/index.html"][0]
    assert "新增的第七号消息" in ahead["news/2019/item-7/index.html"][0]
    assert all(not was_queued for _, was_queued in ahead.values())  # before every item page was queued
    assert {"news/2019/item-2/index.html", "news/2019/item-7/index.html"} <= changed
    assert tree_differences(output, clean_build(content, tmp_path)) == []


def test_a_build_that_emptied_the_output_first_is_followed_by_one_that_writes_nothing(tmp_path):
    # The preview: its first build starts from an empty output, the next ones do not.
    content = write_content(tmp_path / "content", corpus())
    (tmp_path / "preview").mkdir()
    output = cached_build(content, tmp_path / "preview" / "output", tmp_path / "cache", DELETE_OUTPUT_DIRECTORY=True)
    before = stamps(output)

    cached_build(content, output, tmp_path / "cache", DELETE_OUTPUT_DIRECTORY=False)

    assert len(before) > 50 and rewritten(before, output) == set()


def test_an_emptied_output_gets_every_unchanged_page_back_without_rendering_it(site, monkeypatch):
    # invoke build and every publication start from an empty output folder.
    content, output, tmp_path = site
    shutil.copytree(output, tmp_path / "first")
    monkeypatch.setattr(workers, "render", lambda *args: pytest.fail(f"{args[2]} was rendered again"))

    cached_build(content, output, tmp_path / "cache", DELETE_OUTPUT_DIRECTORY=True)

    assert tree_differences(tmp_path / "first", output) == []  # the stylesheets they link included
    monkeypatch.undo()
    assert tree_differences(output, clean_build(content, tmp_path)) == []


def test_an_emptied_output_keeps_what_output_retention_names_and_nothing_is_left_beside_it(site):
    content, output, tmp_path = site
    stopped = output.parent / ".output-deleted-of-a-build-that-was-stopped"
    (stopped / "news").mkdir(parents=True)
    (output / ".git").mkdir()
    (output / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (output / "old-page.html").write_text("<p>旧页面</p>", encoding="utf-8")

    cached_build(content, output, tmp_path / "cache", DELETE_OUTPUT_DIRECTORY=True, OUTPUT_RETENTION=[".git"])

    assert (output / ".git" / "HEAD").read_text(encoding="utf-8") == "ref: refs/heads/main\n"
    assert not (output / "old-page.html").exists()
    assert (output / "news/2019/item-1/index.html").exists()
    assert sorted(path.name for path in output.parent.iterdir()) == ["output"]


class KeysGivenByPage:
    """Stands in for PageKeys: each page's context gives its key."""

    def __init__(self):
        self.fingerprints = Fingerprints()

    def template_variables(self, template):
        return ()

    def key(self, template, context):
        return context["key"]


def page(name: str, key: str) -> PageContext:
    return PageContext({}, (("name", name), ("key", key)))


def test_a_page_written_anew_leaves_the_page_kept_under_its_old_key_as_it_was(tmp_path):
    store = RenderedPages(str(tmp_path / "kept"))
    job = Job(Template(), page("第一版", "key-1"), str(tmp_path / "output/a/index.html"), "a/index.html", None)
    write_in_workers([job], workers=1, keys=KeysGivenByPage(), store=store)
    write_in_workers([job._replace(context=page("第二版", "key-2"), previous="key-1")],
                     workers=1, keys=KeysGivenByPage(), store=store)

    assert store.restore("a/index.html", "key-1", job.path)
    assert Path(job.path).read_text(encoding="utf-8") == "<p>第一版</p>"
    store.forget_all_but({"a/index.html": "key-1"})
    assert not store.restore("a/index.html", "key-2", job.path)


def test_without_a_cache_no_key_is_computed(tmp_path, monkeypatch):
    from incremental_writer.pagekeys import PageKeys

    monkeypatch.setattr(PageKeys, "key", lambda *args: pytest.fail("a key was computed"))
    output = clean_build(write_content(tmp_path / "content", corpus()), tmp_path)
    assert (output / "news/2019/item-1/index.html").exists()


def test_a_corrected_body_rewrites_that_item_and_what_shows_its_text(site):
    content, _, tmp_path = site
    (content / "news/2019/item-3.md").write_text(item(3, body="更正后的正文。"), encoding="utf-8")

    output, changed = rebuild(site)

    assert "news/2019/item-3/index.html" in changed
    # Other items' own pages do not show item 3's body: they stay as they were.
    assert not {f"news/2019/item-{n}/index.html" for n in (1, 2, 4, 6)} & changed
    assert "更正后的正文" in (output / "news/2019/item-3/index.html").read_text(encoding="utf-8")
    assert tree_differences(output, clean_build(content, tmp_path)) == []


def test_a_new_summary_reaches_the_item_and_its_lists(site):
    content, _, tmp_path = site
    (content / "news/2019/item-3.md").write_text(
        item(3).replace("Slug:", "Summary: 一句新的摘要。\nSlug:"), encoding="utf-8")

    output, changed = rebuild(site)

    assert {"news/2019/item-3/index.html", "fields/culture/index.html"} <= changed
    assert "一句新的摘要" in (output / "news/2019/item-3/index.html").read_text(encoding="utf-8")
    assert tree_differences(output, clean_build(content, tmp_path)) == []


def test_a_new_title_reaches_the_neighbours_and_lists_but_not_unrelated_items(site):
    content, _, tmp_path = site
    (content / "news/2019/item-2.md").write_text(item(2, title="虹桥枢纽新开跨省公交"), encoding="utf-8")

    output, changed = rebuild(site)

    # Items 1 and 4 are item 2's older and newer neighbours in transport; item 6 (education) is not.
    assert {"news/2019/item-2/index.html", "news/2019/item-1/index.html",
            "news/2019/item-4/index.html", "fields/transport/index.html", "index.html"} <= changed
    assert "news/2019/item-6/index.html" not in changed
    assert tree_differences(output, clean_build(content, tmp_path)) == []


def test_a_new_item_reaches_its_neighbours_and_lists_and_no_other_page(site):
    # What an editor does every day. Every page links to its own counterparts in the other
    # editions: once, each of those links counted every item, and a new one rendered every page.
    content, _, tmp_path = site
    (content / "news/2019/item-7.md").write_text(
        ITEM.format(number=7, month=7, fields="culture", title="长三角第7号消息", body="正文。"), encoding="utf-8")

    output, changed = rebuild(site)

    # Item 5 is the newest culture item before it; items 1, 2, 4 (transport) and 6 (education) do not show it.
    assert {"news/2019/item-7/index.html", "news/2019/item-5/index.html", "fields/culture/index.html",
            "index.html"} <= changed
    assert not changed & {"news/2019/item-1/index.html", "news/2019/item-2/index.html", "news/2019/item-4/index.html",
                          "news/2019/item-6/index.html", "fields/transport/index.html", "timeline/index.html",
                          "search/index.html", "404.html"}
    assert tree_differences(output, clean_build(content, tmp_path)) == []


def test_a_plugin_change_is_a_new_build_input_and_a_change_to_its_tests_is_not(tmp_path):
    plugin = tmp_path / "plugins" / "example"
    plugin.mkdir(parents=True)
    (plugin / "__init__.py").write_text("SIZE = 1\n")
    (plugin / "test_example.py").write_text("def test_size(): pass\n")
    (tmp_path / "theme").mkdir()
    settings = read_settings(None, override={"PLUGIN_PATHS": [str(tmp_path / "plugins")], "THEME": str(tmp_path / "theme")})
    first = build_inputs_digest(settings)

    (plugin / "test_example.py").write_text("def test_size(): assert True\n")
    assert build_inputs_digest(settings) == first
    (plugin / "__init__.py").write_text("SIZE = 2\n")
    assert build_inputs_digest(settings) != first


def test_a_deleted_item_disappears_as_in_a_clean_build(site):
    content, _, tmp_path = site
    (content / "news/2019/item-5.md").unlink()

    output, _ = rebuild(site)

    assert not (output / "news/2019/item-5").exists()
    assert tree_differences(output, clean_build(content, tmp_path)) == []


def test_pages_rendered_on_every_core_equal_pages_rendered_in_one_process(tmp_path):
    content = write_content(tmp_path / "content", corpus())
    (tmp_path / "parallel").mkdir()
    (tmp_path / "sequential").mkdir()

    parallel = build_site(content, tmp_path / "parallel", CACHE_CONTENT=False, SEARCH_INDEX=False,
                          PARALLEL_WRITING_MIN_PAGES=1, PARALLEL_WRITING_WORKERS=2)
    sequential = build_site(content, tmp_path / "sequential", CACHE_CONTENT=False, SEARCH_INDEX=False,
                            PARALLEL_WRITING_WORKERS=1)

    assert len(list(parallel.rglob("*.html"))) > 50
    assert tree_differences(parallel, sequential) == []


class Template:
    def __init__(self, fail_on: str = ""):
        self.fail_on = fail_on

    def render(self, context):
        if context["name"] == self.fail_on:
            raise ValueError("模板出错")
        return f"<p>{context['name']}</p>"


def test_workers_leave_unchanged_pages_link_kept_ones_back_and_render_the_rest(tmp_path):
    store, keys = RenderedPages(str(tmp_path / "kept")), KeysGivenByPage()
    jobs = [Job(Template(), page(f"page-{n}", f"first-{n}"), str(tmp_path / f"output/{n}.html"), f"{n}.html", None)
            for n in range(6)]
    first = write_in_workers(jobs, workers=2, keys=keys, store=store)
    assert first.keys == {f"{n}.html": f"first-{n}" for n in range(6)} and first.rendered == 6

    (tmp_path / "output/1.html").unlink()  # as in an emptied output
    untouched = (tmp_path / "output/2.html").stat().st_ino  # a page written is a new file renamed into place
    again = [job._replace(previous=f"first-{n}") for n, job in enumerate(jobs)]
    again[0] = again[0]._replace(context=page("更正", "second-0"))
    second = write_in_workers(again, workers=2, keys=keys, store=store)

    assert (second.rendered, second.unchanged, second.restored) == (1, 4, 1)
    assert second.keys == {"0.html": "second-0", **{f"{n}.html": f"first-{n}" for n in range(1, 6)}}
    assert (tmp_path / "output/0.html").read_text(encoding="utf-8") == "<p>更正</p>"
    assert (tmp_path / "output/1.html").read_text(encoding="utf-8") == "<p>page-1</p>"
    assert (tmp_path / "output/2.html").stat().st_ino == untouched


def test_a_page_that_fails_in_a_worker_is_named_and_the_others_are_written(tmp_path):
    jobs = [Job(Template(fail_on="page-3"), PageContext({}, (("name", f"page-{n}"),)),
                str(tmp_path / f"page-{n}/index.html"), f"page-{n}/index.html", None) for n in range(6)]

    with pytest.raises(RenderingFailed) as failure:
        write_in_workers(jobs, workers=2)

    assert "page-3/index.html" in str(failure.value) and "模板出错" in str(failure.value)
    written = sorted(path.parent.name for path in tmp_path.rglob("index.html"))
    assert written == ["page-0", "page-1", "page-2", "page-4", "page-5"]


def test_a_deferred_page_keeps_only_what_differs_and_gets_its_whole_context_back(tmp_path):
    writer = IncrementalWriter(str(tmp_path), settings=read_settings(override={"CACHE_PATH": str(tmp_path)}))
    site = {f"SETTING_{n}": [n] for n in range(200)}  # the same objects on every page
    first = {**site, "output_file": "a/index.html", "article": "甲", "page_name": "a"}
    second = {**site, "output_file": "b/index.html", "article": "乙", "page_name": "b"}

    kept = [writer.compact(first), writer.compact(second)]

    assert [context.as_dict() for context in kept] == [first, second]
    assert list(kept[1].as_dict()) == list(second)  # in the page's own order
    assert dict(kept[1].changes) == {"output_file": "b/index.html", "article": "乙", "page_name": "b"}


@dataclass
class Node:
    name: str
    children: list = field(default_factory=list)
    parent: object = None


def plan() -> Node:
    root = Node("规划")
    root.children = [Node("任务一", parent=root), Node("任务二", parent=root)]
    return root


def test_fingerprints_follow_values_and_survive_cycles():
    first = Fingerprints().value(plan())
    revised = plan()
    revised.children[1].name = "任务二(修订)"

    assert Fingerprints().value(plan()) == first  # equal data, other objects, another build
    assert Fingerprints().value(revised) != first


def test_fingerprints_see_into_containers_of_other_types():
    # A NamedTuple (an item's neighbours), an OrderedDict: their contents count, as a list's do.
    from collections import OrderedDict, namedtuple

    Pair = namedtuple("Pair", "older newer")
    for wrapped in (lambda name: Pair(name, None), lambda name: OrderedDict(older=name)):
        assert Fingerprints().value(wrapped("甲")) == Fingerprints().value(wrapped("甲"))
        assert Fingerprints().value(wrapped("甲")) != Fingerprints().value(wrapped("乙"))


def test_a_value_it_cannot_see_into_makes_the_page_unkeyed():
    class Opaque:
        __slots__ = ("secret",)

    with pytest.raises(Unkeyed):
        Fingerprints().value([Opaque()])
