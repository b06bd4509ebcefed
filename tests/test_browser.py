"""A reader in headless Chromium: phone (375 px) and desktop (1280 px), mouse and keyboard only."""

from __future__ import annotations

import re

import pytest

from sitebuild import chromium, serve
from theme_pages import one_page_of_each_kind, refuse_other_hosts, site  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

WIDTHS = [375, 1280]
DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
FOCUS_YELLOW = "rgb(255, 221, 0)"


@pytest.fixture(scope="module")
def base_url(site):
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def page(request, browser):
    """A fresh reader (empty storage) at one width; fails the test if anything is fetched from another
    host or anything the pages load (the icon too) is missing."""
    context = browser.new_context(viewport={"width": request.param, "height": 800})
    elsewhere = refuse_other_hosts(context)
    missing = []
    context.on("response", lambda response: response.status >= 400 and missing.append(response.url))
    page = context.new_page()
    yield page
    context.close()
    assert elsewhere == [], "requests to other hosts"
    assert missing == [], "missing files"


def large_text_on(page) -> bool:
    return page.evaluate("document.documentElement.classList.contains('large-text')")


def root_font_px(page) -> float:
    return float(page.evaluate("getComputedStyle(document.documentElement).fontSize")[:-2])


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_reader_goes_from_home_to_a_field_to_an_item_and_pages_through(page, base_url):
    page.goto(base_url + "/")
    assert page.locator("h1").inner_text() == "中国长三角"
    assert fits_width(page)

    page.locator("nav.field-nav").get_by_role("link", name="交通").click()
    page.wait_for_url("**/fields/transport/")
    assert page.locator("h1").inner_text() == "交通"
    assert page.locator("nav.field-nav a[aria-current=page]").inner_text() == "交通"
    assert fits_width(page)

    first_item = page.locator(".item-card .item-title a").first
    title = first_item.inner_text()
    first_item.click()
    page.wait_for_url("**/news/**")
    assert page.locator("h1").inner_text() == title
    assert DATE.match(page.locator(".item-facts time").inner_text())
    assert page.locator(".item-facts").get_by_role("link", name="交通").is_visible()
    assert fits_width(page)

    # previous item of the same field, from the item page itself
    transport = page.locator(".neighbour-row", has=page.get_by_role("link", name="交通", exact=True))
    older = transport.locator("a[rel=prev]")
    older_title = older.inner_text().removeprefix("上一篇").strip()
    older.click()
    assert page.locator("h1").inner_text() == older_title
    assert page.locator(".item-facts").get_by_role("link", name="交通").is_visible()

    page.goto(base_url + "/fields/transport/")
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url("**/fields/transport/page/2/")
    assert "第 2 页" in page.locator(".pager").inner_text()
    page.get_by_role("link", name="上一页").click()
    page.wait_for_url(re.compile(r".*/fields/transport/$"))


def test_on_a_phone_the_first_news_is_on_the_first_screen_and_the_menus_scroll_inside_themselves(browser, base_url):
    context = browser.new_context(viewport={"width": 375, "height": 900})
    page = context.new_page()
    page.goto(base_url + "/")
    first_news = page.locator(".latest .item-title a").first
    assert first_news.bounding_box()["y"] < 900
    assert page.locator(".site-header").bounding_box()["height"] < 0.4 * 900
    assert fits_width(page)
    field_rows = {round(box["y"]) for box in page.locator("nav.field-nav a").evaluate_all(
        "links => links.map(a => a.getBoundingClientRect().toJSON())")}
    assert len(field_rows) == 1, "the fields are one row"
    last_field = page.locator("nav.field-nav a").last
    last_field.focus()  # a menu entry beyond the screen edge is scrolled to, not cut off
    box = last_field.bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= 375 and box["height"] >= 44
    assert fits_width(page)
    context.close()


def test_on_a_phone_each_action_plan_task_reads_across_the_screen(browser, base_url):
    """Not a table squeezed to the screen, a task's title one character a line."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(base_url + "/action-plan/tasks/")
    title = page.locator(".plan-table tbody th a").first.bounding_box()
    assert title["width"] > 200 and title["height"] < 80
    lead = page.locator(".plan-table tbody td[data-label]").nth(2)
    assert lead.evaluate("cell => getComputedStyle(cell, '::before').content").startswith('"牵头')
    assert fits_width(page)
    context.close()


def test_large_text_mode_switches_on_persists_across_pages_and_switches_off(page, base_url):
    page.goto(base_url + "/")
    toggle = page.get_by_role("button", name="大字高对比")
    assert toggle.is_visible() and toggle.get_attribute("aria-pressed") == "false"
    assert root_font_px(page) == 18

    toggle.click()
    assert large_text_on(page) and toggle.get_attribute("aria-pressed") == "true"
    assert root_font_px(page) == 24
    assert fits_width(page)

    page.locator("nav.field-nav").get_by_role("link", name="民生").click()
    page.wait_for_url("**/fields/livelihood/")
    assert large_text_on(page) and root_font_px(page) == 24
    assert page.get_by_role("button", name="大字高对比").get_attribute("aria-pressed") == "true"
    page.locator(".item-card .item-title a").first.click()
    page.wait_for_url("**/news/**")
    assert large_text_on(page)
    assert fits_width(page)

    page.get_by_role("button", name="大字高对比").click()
    page.goto(base_url + "/")
    assert not large_text_on(page) and root_font_px(page) == 18


def focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        const box = el.getBoundingClientRect();
        return {text: el.innerText || "", id: el.id, tag: el.tagName, href: el.getAttribute("href"),
                background: getComputedStyle(el).backgroundColor,
                onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight};
    }""")


def tab_until(page, wanted, limit: int = 80) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if wanted(element):
            return element
    raise AssertionError("never reached by Tab")


def test_keyboard_only_skip_link_then_an_item_then_a_field_then_large_text(page, base_url):
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["text"] == "跳到正文" and skip["onScreen"]
    assert skip["background"] == FOCUS_YELLOW  # focus is visible

    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    item_link = tab_until(page, lambda el: el["tag"] == "A")
    assert item_link["href"].startswith("/news/"), "the first stop after skipping is the news, not the menus"
    assert item_link["background"] == FOCUS_YELLOW and item_link["onScreen"]
    page.keyboard.press("Enter")
    page.wait_for_url("**/news/**")
    assert page.locator("h1").inner_text() == item_link["text"]

    tab_until(page, lambda el: el["href"] == "/fields/education/")
    page.keyboard.press("Enter")
    page.wait_for_url("**/fields/education/")

    page.keyboard.press("Tab")
    tab_until(page, lambda el: el["tag"] == "BUTTON" and el["text"].endswith("大字高对比"))
    page.keyboard.press("Enter")
    assert large_text_on(page)
    page.keyboard.press("Space")
    assert not large_text_on(page)


def test_without_javascript_the_toggle_is_a_link_to_the_explanation(browser, base_url):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(base_url + "/")
    assert page.get_by_role("button", name="大字高对比").count() == 0
    link = page.get_by_role("link", name="大字高对比")
    assert link.is_visible()
    link.click()
    page.wait_for_url("**/accessibility/#display")
    assert page.locator("#display").is_visible()
    context.close()


def test_system_high_contrast_setting_gives_the_strong_palette_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/fields/transport/")
    normal = page.locator(".item-card .item-title a").first.evaluate("a => getComputedStyle(a).color")
    page.emulate_media(contrast="more")
    strong = page.locator(".item-card .item-title a").first.evaluate("a => getComputedStyle(a).color")
    assert normal != strong == "rgb(0, 48, 122)"
    context.close()


def test_printing_an_item_leaves_out_the_navigation(page, base_url):
    page.goto(base_url + "/news/2019/yrd-office-first-year/")
    page.emulate_media(media="print")
    assert page.locator(".news-item .content").is_visible()
    assert page.locator(".item-facts").is_visible()
    for navigation in (".field-nav", ".section-nav", ".breadcrumbs", ".item-aside", ".tools", ".site-footer nav"):
        assert page.locator(navigation).first.is_hidden(), navigation


STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "object-src 'none'; base-uri 'self'")
REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => {
    (window.cspViolations = window.cspViolations || []).push(event.violatedDirective + " " + event.blockedURI);
});"""


def test_every_kind_of_page_works_under_a_strict_content_security_policy(browser, base_url, site):
    context = browser.new_context()
    context.add_init_script(REPORT_CSP_VIOLATIONS)

    def with_policy(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": STRICT_CSP})

    context.route("**/*", with_policy)
    page = context.new_page()
    violations = {}
    for url_path in one_page_of_each_kind(site):
        page.goto(f"{base_url}/{url_path}")
        if found := page.evaluate("window.cspViolations || []"):
            violations[url_path] = found
    assert violations == {}

    page.goto(base_url + "/")
    page.get_by_role("button", name="大字高对比").click()  # the switch is a script of the site itself
    page.goto(base_url + "/sitemap/")
    assert large_text_on(page)
    # A request still in flight (a late asset) would otherwise fail its handler after the close,
    # and Playwright raises that error in the next test's call.
    context.unroute_all(behavior="ignoreErrors")
    context.close()


def test_csp_violation_reporting_sees_an_inline_script(browser, base_url):
    context = browser.new_context()
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    context.route("**/*", lambda route: route.fulfill(
        status=200, content_type="text/html", headers={"content-security-policy": STRICT_CSP},
        body='<!DOCTYPE html><html lang="zh-CN"><title>t</title><script>document.title = "ran"</script></html>'))
    page = context.new_page()
    page.goto(base_url + "/")
    assert page.title() == "t"
    assert page.evaluate("window.cspViolations")
    context.unroute_all(behavior="ignoreErrors")
    context.close()
