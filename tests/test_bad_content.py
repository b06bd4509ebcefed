"""A content folder with one example of every defect fails the real build, naming every file."""

import re
from pathlib import Path

from sitebuild import ROOT, run_pelican

BAD_CONTENT = ROOT / "tests" / "bad-content"
EXPECTED = {
    "missing-title.md": "缺少 Title",
    "missing-date.md": "缺少 Date",
    "missing-fields.md": "缺少 Fields",
    "unknown-field.md": "未知领域 “sports”",
    "unknown-province.md": "未知省市 “北京”",
    "impossible-date.md": "2019-02-30",
    "same-url-b.md": "same-url-a.md",
    "gbk-encoded.md": "GBK",
    "fullwidth-colon.md": "请改成半角冒号“:”",
    "no-header.md": "没有元数据",
    "misspelt-key.md": "Feilds",
    "reserved-slug.md": "栏目",
    "pasted-from-word.docx": "不是 Markdown",
    "broken-link.md": "“{filename}/news/missing.md” 指向的文章 news/missing.md 不存在",
    "missing-image.md": "“{static}/images/missing.jpg” 指向的文件 images/missing.jpg 不存在",
}


def test_every_defect_is_reported_in_one_run_and_nothing_is_published(tmp_path):
    result = run_pelican(BAD_CONTENT, tmp_path / "output")
    report = result.stderr + result.stdout
    assert result.returncode != 0
    assert "Traceback" not in report
    for name, problem in EXPECTED.items():
        lines = [line for line in report.splitlines() if f"/{name}" in line.split(": ")[0]]
        assert any(problem in line for line in lines), f"{name}: {problem!r} not in\n{report}"
    assert re.search(r"(\d+) problem\(s\) in 15 file\(s\)", report)
    assert not (tmp_path / "output" / "index.html").exists()


def test_the_check_task_reports_the_same_without_building(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [str(Path(sys.executable).parent / "invoke"), "check", "--content", str(BAD_CONTENT)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    for name in EXPECTED:
        assert name in result.stderr
    assert "Traceback" not in result.stderr
