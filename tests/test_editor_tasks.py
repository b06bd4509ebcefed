"""The editor's tasks, run as an editor runs them."""

import subprocess
import sys
from pathlib import Path

from sitebuild import ROOT, build_site, soup

INVOKE = str(Path(sys.executable).parent / "invoke")


def invoke(*args):
    return subprocess.run([INVOKE, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_new_writes_a_correctly_headed_draft_that_passes_the_check(tmp_path):
    content = tmp_path / "content"
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


def test_check_passes_on_the_sample_content():
    result = invoke("check")
    assert result.returncode == 0, result.stderr
