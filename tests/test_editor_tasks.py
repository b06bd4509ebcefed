"""The editor's tasks, run as an editor runs them."""

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tasks
from sitebuild import NOT_PRECOMPRESSED, ROOT, SAMPLE_CONTENT, build_site, soup, tree_differences

INVOKE = str(Path(sys.executable).parent / "invoke")


def invoke(*args):
    return subprocess.run([INVOKE, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_new_writes_a_correctly_headed_draft_that_passes_the_check(tmp_path):
    content = tmp_path / "content"
    content.mkdir()  # a content folder that is not there is a mistyped --content (see below)
    result = invoke("new", "--title", "长三角生态绿色一体化发展示范区揭牌", "--fields", "ecology,民生",
                    "--provinces", "沪,苏", "--date", "2019-11-01 10:00", "--content", str(content))
    assert result.returncode == 0, result.stderr
    assert "内容检查通过" in result.stdout
    [written] = (content / "news/2019").glob("*.md")
    assert written.name.startswith("chang-san-jiao-sheng-tai-lv-se")
    header = written.read_text(encoding="utf-8").split("\n\n")[0]
    assert "Title: 长三角生态绿色一体化发展示范区揭牌\nDate: 2019-11-01 10:00\nFields: ecology,民生" in header
    assert "Status: draft" in header
    # once the editor removes the draft line, the item is published
    written.write_text(written.read_text(encoding="utf-8").replace("Status: draft\n", ""), encoding="utf-8")
    output = build_site(content, tmp_path)
    assert soup(output, "fields/ecology/").find("a", string="长三角生态绿色一体化发展示范区揭牌")


def test_new_refuses_to_overwrite_an_existing_item(tmp_path):
    args = ("new", "--title", "同一标题", "--fields", "culture", "--date", "2019-01-01", "--content", str(tmp_path))
    assert invoke(*args).returncode == 0
    second = invoke(*args)
    assert second.returncode != 0 and "已存在" in second.stderr
    # the editor is told where the item is, to edit it there
    [existing] = tmp_path.rglob("*.md")
    assert str(existing) in second.stderr and "直接编辑" in second.stderr


@pytest.mark.parametrize("date", ["2019/1/3", "明天", "2019-13-01"])
def test_new_refuses_a_bad_date_in_plain_words_and_writes_nothing(tmp_path, date):
    result = invoke("new", "--title", "测试", "--fields", "transport", "--date", date, "--content", str(tmp_path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f'--date: 日期 "{date}"')
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_unknown_fields_and_provinces_before_writing_so_the_corrected_command_works(tmp_path):
    args = ("new", "--title", "合肥至上海高铁开通", "--date", "2019-01-03", "--content", str(tmp_path))
    wrong = invoke(*args, "--fields", "tranport", "--provinces", "合肥")
    assert wrong.returncode != 0
    assert "Traceback" not in wrong.stderr
    assert "--fields: 未知领域 “tranport”" in wrong.stderr and "--provinces: 未知省市 “合肥”" in wrong.stderr
    assert list(tmp_path.iterdir()) == []
    corrected = invoke(*args, "--fields", "transport", "--provinces", "皖,沪")
    assert corrected.returncode == 0, corrected.stderr
    assert "内容检查通过" in corrected.stdout


def test_check_passes_on_the_sample_content():
    result = invoke("check")
    assert result.returncode == 0, result.stderr


def invoke_in(folder, *args):
    """A task typed in another folder than the project's."""
    return subprocess.run([INVOKE, "--search-root", str(ROOT), *args], cwd=folder, capture_output=True, text=True,
                          timeout=120)


def test_the_tasks_read_the_projects_content_from_any_folder():
    news = ROOT / "content" / "news"
    result = invoke_in(news, "check")
    assert result.returncode == 0, result.stderr
    assert "内容检查通过" in result.stdout
    assert not (news / "cache").exists(), "nothing is written into the content"


def test_a_content_folder_typed_on_the_command_line_is_found_from_where_it_was_typed(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, content)
    news = content / "news"
    written = invoke_in(news, "new", "--title", "另一个文件夹", "--fields", "transport", "--date", "2019-01-05",
                        "--content", "..")
    assert written.returncode == 0, written.stderr
    assert (news / "2019" / "ling-yi-ge-wen-jian-jia.md").exists()
    again = invoke_in(news, "check", "--content", "..")
    assert again.returncode == 0, again.stderr  # the cache went beside the project, not into the content
    assert sorted(path.name for path in news.iterdir()) == ["2018", "2019"]


@pytest.mark.parametrize("task", [("check",), ("new", "--title", "测试", "--fields", "transport")])
def test_a_content_folder_that_does_not_exist_is_named_in_plain_words(tmp_path, task):
    result = invoke_in(tmp_path, *task, "--content", "contnet")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("内容目录 contnet 不存在")
    assert list(tmp_path.iterdir()) == [], "nothing is written"


def test_every_preview_build_reports_what_it_has_to_say_even_the_same_words_as_the_last(tmp_path, caplog):
    # Pelican logs a note or warning once per process (pelican.log.LimitFilter): the editor saw
    # "3 pages rendered again in 0.35 s" after one save and nothing after the next identical one.
    from pelican import signals

    def report(pelican):
        logging.getLogger("pelican.portal_test").warning("第%d号提醒", 1)

    content = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, content)
    preview = tasks.preview_builds(content, tmp_path / "preview", wait_for_change=lambda *watched: None,
                                   CACHE_PATH=str(tmp_path / "cache"), SEARCH_INDEX=False, OTHER_EDITIONS=[],
                                   **NOT_PRECOMPRESSED["pelicanconf.py"])
    signals.finalized.connect(report)
    try:
        for build in range(2):
            caplog.clear()
            (content / "pages" / "about.md").touch()  # not only words: a full build
            assert next(preview) is None
            assert [record.getMessage() for record in caplog.records].count("第1号提醒") == 1, build
    finally:
        signals.finalized.disconnect(report)
        preview.close()


def test_the_preview_does_not_warn_of_a_static_folder_the_content_does_not_have(tmp_path, caplog, monkeypatch):
    # The sample content has no content/images (STATIC_PATHS): every rebuild printed Pelican's
    # "Unable to watch path '…/content/images' as it does not exist."
    from pelican import utils

    content = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, content)
    monkeypatch.setattr(utils.watchfiles, "watch", lambda *paths, **options: iter([set()]))  # a save, at once
    preview = tasks.preview_builds(content, tmp_path / "preview", wait_for_change=utils.wait_for_changes,
                                   CACHE_PATH=str(tmp_path / "cache"), SEARCH_INDEX=False, OTHER_EDITIONS=[],
                                   **NOT_PRECOMPRESSED["pelicanconf.py"])
    try:
        assert next(preview) is None
        caplog.clear()
        assert next(preview) is None  # waited for the save, built again
        assert [record.getMessage() for record in caplog.records if "Unable to watch" in record.getMessage()] == []
        assert not (content / "images").exists()
    finally:
        preview.close()


def test_the_preview_builds_again_after_every_edit_as_a_clean_build_would(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, content)
    preview = tasks.preview_builds(content, tmp_path / "preview", wait_for_change=lambda *watched: None,
                                   CACHE_PATH=str(tmp_path / "cache"), SEARCH_INDEX=False,
                                   **NOT_PRECOMPRESSED["pelicanconf.py"])
    assert next(preview) is None
    item = next((content / "news").rglob("three-year-action-plan.md"))
    item.write_text(item.read_text(encoding="utf-8") + "\n行动计划的实施情况将按月公开。\n", encoding="utf-8")
    assert next(preview) is None
    assert "行动计划的实施情况将按月公开" in soup(tmp_path / "preview", "news/2018/three-year-action-plan/").text
    plan = content / "action-plan" / "tasks.yaml"  # data Pelican's readers skip, read by a plugin
    plan.write_text(plan.read_text(encoding="utf-8").replace("编制长三角城际交通网整体规划", "编制长三角城际交通网规划"),
                    encoding="utf-8")
    assert next(preview) is None
    assert soup(tmp_path / "preview", "action-plan/tasks/T001/").h1.text.strip().endswith("编制长三角城际交通网规划")
    correct = item.read_text(encoding="utf-8")
    item.write_text(correct.replace("Fields: ", "Fields: 航天, "), encoding="utf-8")
    refused = next(preview)  # the preview goes on, with the editor's report
    assert "three-year-action-plan.md" in refused and "航天" in refused
    item.write_text(correct, encoding="utf-8")
    assert next(preview) is None
    assert tree_differences(tmp_path / "preview", build_site(content, tmp_path / "clean", SEARCH_INDEX=False)) == []


def test_the_preview_shows_a_draft_at_its_own_address_and_nowhere_else(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, content)
    written = invoke("new", "--title", "长三角文旅年卡发布", "--fields", "culture", "--date", "2019-12-30",
                     "--content", str(content))
    assert written.returncode == 0, written.stderr
    output = tmp_path / "preview"
    preview = tasks.preview_builds(content, output, wait_for_change=lambda *watched: None,
                                   CACHE_PATH=str(tmp_path / "cache"), SEARCH_INDEX=False,
                                   **NOT_PRECOMPRESSED["pelicanconf.py"], **tasks.DRAFTS_IN_PREVIEW)
    assert next(preview) is None
    assert {"drafts/chang-san-jiao-wen-lv-nian-ka-fa-bu/",
            "zh-hant/drafts/chang-san-jiao-wen-lv-nian-ka-fa-bu/"} <= set(tasks.drafts_in(output))
    draft = soup(output, "drafts/chang-san-jiao-wen-lv-nian-ka-fa-bu/")
    assert draft.h1.text == "长三角文旅年卡发布"
    assert "请删去 “Status: draft” 这一行" in draft.select_one(".draft-note").text
    assert draft.select("[data-pagefind-body]") == [], "not in the preview's search"
    assert "长三角文旅年卡发布" not in soup(output, "").text + (output / "feeds" / "all.atom.xml").read_text()


def answers(port: int, path: str = "/") -> bool:
    try:
        served(port, path)
        return True
    except OSError:
        return False


def served(port: int, path: str) -> str:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
        return response.read().decode("utf-8")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def started_preview(tmp_path, task: str, path: str = "/"):
    """`invoke TASK` on a copy of the sample content, as an editor starts it; returned with its
    port once it serves `path` (or has ended, or two minutes have passed)."""
    import time

    content = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, content)
    port = free_port()
    process = subprocess.Popen([INVOKE, "--search-root", str(ROOT), task, "--content", str(content),
                                "--output", str(tmp_path / "output"), "--port", str(port)],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not answers(port, path) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
    return process, port


def test_the_preview_and_its_server_stop_when_the_task_is_terminated(tmp_path):
    # A service manager or `kill` sends SIGTERM, not Ctrl-C: the server must not go on holding the port.
    # `serve` runs its server the same way (tasks.serving), after building the repository's own content.
    import signal
    import time

    task, port = started_preview(tmp_path, "livereload")
    try:
        assert answers(port), "the preview serves the site"
        task.send_signal(signal.SIGTERM)
        task.wait(timeout=30)
        deadline = time.monotonic() + 10
        while answers(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not answers(port), "the server stopped with the task"
    finally:
        task.kill()


@pytest.mark.parametrize("task_name", ["serve", "livereload"])
def test_the_previews_absolute_addresses_name_the_port_it_serves(tmp_path, task_name):
    # Feeds, OPML, JSON Feed, canonical links: pelicanconf.py's FEED_DOMAIN names port 8000.
    task, port = started_preview(tmp_path, task_name, "/feeds/index.opml")
    try:
        for path in ("/feeds/all.atom.xml", "/feeds/all.json", "/feeds/index.opml", "/"):
            text = served(port, path)
            assert f"http://localhost:{port}/" in text and "localhost:8000" not in text, path
    finally:
        task.terminate()  # as SIGTERM from a service manager: the server stops with the task
        task.wait(timeout=30)


def test_the_preview_answers_a_missing_address_with_its_editions_404_page(tmp_path):
    # Pelican's server sent no reply at all: the browser showed ERR_EMPTY_RESPONSE, not the site's page.
    import urllib.error

    output = tmp_path / "output"
    pages = {"": "页面不存在", "en/": "Page not found", "zh-hant/": "頁面不存在"}
    for edition, words in pages.items():
        (output / edition).mkdir(parents=True, exist_ok=True)
        (output / edition / "404.html").write_text(f"<title>{words}</title>", encoding="utf-8")
    port = free_port()
    with tasks.serving(port, str(output)):
        for address, edition in (("/nope/", ""), ("/news/2019/deleted-item/", ""), ("/en/nope/", "en/"),
                                 ("/zh-hant/news/2019/deleted-item/", "zh-hant/"), ("/nope.css?v=2", "")):
            with pytest.raises(urllib.error.HTTPError) as missing:
                served(port, address)
            assert missing.value.code == 404, address
            assert missing.value.read().decode("utf-8") == f"<title>{pages[edition]}</title>", address


def test_the_server_stops_if_the_task_is_stopped_while_it_checks_the_server_started(tmp_path, monkeypatch):
    # Ctrl-C, or SIGTERM (made the same by the task), in the second the task waits to see the server up.
    import time

    import pytest

    server = tmp_path / "server"
    server.write_text("#!/bin/sh\nexec sleep 60\n", encoding="utf-8")
    server.chmod(0o755)
    monkeypatch.setattr(tasks, "PYTHON", str(server))
    started, start = [], subprocess.Popen
    monkeypatch.setattr(subprocess, "Popen", lambda *arguments, **options: started.append(
        start(*arguments, **options)) or started[-1])

    def stopped(seconds):
        raise KeyboardInterrupt

    with monkeypatch.context() as waiting:
        waiting.setattr(time, "sleep", stopped)
        with pytest.raises(KeyboardInterrupt), tasks.serving(free_port()):
            pass
    assert started[0].wait(timeout=5) is not None, "the server ended with the task"
