"""Builds again in one process, as the preview does: the same site as a fresh build, unchanged items not read again."""

import gc
import os
import weakref

import item_memory
import pytest
from pelican import signals
from pelican.readers import Readers

import tasks
from portal_model.memory import free_finished_builds
from sitebuild import NOT_PRECOMPRESSED, ROOT, build_site, soup, tree_differences, write_content

ITEM = "Title: {title}\nDate: {date}\nFields: {fields}\nProvinces: 沪\n{extra}\n{body}\n"


def item(title, date, body, fields="culture", extra=""):
    return ITEM.format(title=title, date=date, fields=fields, extra=extra, body=body)


@pytest.fixture
def files_read(monkeypatch):
    """The content files Pelican makes items of, build by build."""
    builds = []
    read_file = Readers.read_file

    def counting(self, base_path, path, *args, **kwargs):
        builds[-1].add(os.path.basename(path))
        return read_file(self, base_path, path, *args, **kwargs)

    monkeypatch.setattr(Readers, "read_file", counting)
    return builds


@pytest.fixture
def models():
    """The portal model (plugins/portal_model) of every run, which only that run's settings hold."""
    built = []

    def remember_model(pelican):
        built.append(weakref.ref(pelican.settings["PORTAL"]))

    signals.finalized.connect(remember_model)
    yield built
    signals.finalized.disconnect(remember_model)


def test_a_preview_rebuild_makes_only_what_changed_and_equals_a_fresh_build(tmp_path, files_read, models):
    content = write_content(tmp_path / "content", {
        "news/meeting.md": item("合作会议", "2019-03-01", "第一次会议在上海召开，会议审议了三年行动计划的进展情况与下一步重点任务安排。"),
        "news/meeting-en.md": "Title: Cooperation meeting\nDate: 2019-03-01\nFields: culture\nProvinces: 沪\n"
                              "Lang: en\n\nThe first meeting was held in Shanghai.\n",
        "news/museum.md": item("博物馆联票", "2019-04-01", "四地博物馆推出联票。", extra="Tags: 博物馆\n"),
        "pages/about.md": "Title: 关于我们\nSlug: about\n\n长三角区域合作办公室。\n",
        # Pelican makes it a draft while its date is to come: made again, to be published in time.
        "news/future.md": item("二〇九九年的会议", "2099-01-01", "尚未到来。"),
    })

    # The settings file is read again for every build, as the preview does: edited in step 4.
    settings_file = tmp_path / "site.py"
    settings_file.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom pelicanconf import *\n"
                             f"PLUGIN_PATHS = [{str(ROOT / 'plugins')!r}]\nTHEME = {str(ROOT / 'theme')!r}\n",
                             encoding="utf-8")
    overrides = {"SEARCH_INDEX": False, **NOT_PRECOMPRESSED["pelicanconf.py"]}
    # Full builds only: a body edit would otherwise be a quick rebuild (plugins/quick_rebuild).
    preview = tasks.preview_builds(content, tmp_path / "preview", str(settings_file),
                                   wait_for_change=lambda *watched: None, CACHE_PATH=str(tmp_path / "cache"),
                                   QUICK_REBUILD=None, **overrides)

    preview_models = []

    def rebuild(step: int) -> set:
        """The preview's next build, which must equal a fresh build; the files it made items of."""
        files_read.append(set())
        runs_before = len(models)
        assert next(preview) is None
        preview_models.extend(models[runs_before:])
        made = files_read.pop()
        files_read.append(set())  # the fresh build's, not counted
        fresh = build_site(content, tmp_path / f"fresh-{step}", settings_file=str(settings_file), **overrides)
        files_read.pop()
        assert tree_differences(tmp_path / "preview", fresh) == []
        assert str(fresh) not in item_memory._outputs  # a build outside the preview remembers nothing
        return made

    rebuild(1)
    first_build = models[0]

    # 2. One body corrected: only that file is made again, in either edition's run.
    museum = content / "news" / "museum.md"
    museum.write_text(museum.read_text(encoding="utf-8") + "\n联票在四地通用。\n", encoding="utf-8")
    assert rebuild(2) == {"museum.md", "future.md"}
    assert "联票在四地通用" in soup(tmp_path / "preview", "news/2019/bo-wu-guan-lian-piao/").text
    # Copies do not keep the build their items were made in alive (its settings, every item).
    gc.collect()
    assert first_build() is None

    # 3. An older item with the same title takes the plain slug: the newer one, whose file did
    #    not change, moves to -2 (the content check numbers slugs across files).
    write_content(content, {"news/earlier.md": item("合作会议", "2019-01-01", "筹备会议召开。")})
    assert rebuild(3) == {"earlier.md", "meeting.md", "future.md"}
    assert "第一次会议" in soup(tmp_path / "preview", "news/2019/he-zuo-hui-yi-2/").text

    # 4. A setting that shapes items (the length of a summary made from the body): every item again.
    with settings_file.open("a", encoding="utf-8") as handle:
        handle.write("SUMMARY_MAX_CHARS = 12\n")
    assert {"meeting.md", "museum.md", "earlier.md", "about.md", "meeting-en.md"} <= rebuild(4)
    home = soup(tmp_path / "preview", "").text
    assert "第一次会议在上海召开" in home and "重点任务安排" not in home
    # Once the preview stops, none of its builds stays in memory (remembered tags and authors included).
    preview.close()
    free_finished_builds()  # kept out of collections until then (portal_model/memory.py)
    assert [model for model in preview_models if model() is not None] == []
