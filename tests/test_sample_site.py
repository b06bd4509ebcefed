"""The sample portal builds cleanly and fills every field and province."""

from sitebuild import SAMPLE_CONTENT, run_pelican, soup


def test_sample_portal_builds_without_warnings(tmp_path):
    result = run_pelican(SAMPLE_CONTENT, tmp_path / "output")
    assert result.returncode == 0, result.stderr
    log = result.stdout + result.stderr
    assert "WARNING" not in log and "ERROR" not in log, log
    output = tmp_path / "output"
    for url in ("", "about/", "mechanism/", "sitemap/", "fields/culture/", "provinces/anhui/"):
        assert (output / url / "index.html").exists(), url
    for name in ("404.html", "sitemap.xml", "robots.txt"):
        assert (output / name).exists()
    items = list(output.glob("news/*/*/index.html"))
    assert len(items) >= 30
    for kind in ("fields", "provinces"):
        for page in (output / kind).glob("*/index.html"):
            assert soup(output, page.parent.relative_to(output).as_posix() + "/").select("main article"), page
