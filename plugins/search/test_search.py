"""Search: the Pagefind index of every edition, the search page, the header box, and a reader
searching in headless Chromium (Chinese, Traditional and English queries, filters, no JavaScript)."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from portal_model import model_for
from search.indexing import SEPARATOR, describe, marked_regions, region_text, spaced_text, write_index
from search.scripts import character_tables, fixes
from search.shards import IndexedPage, plan_shards
from sitebuild import build_site, chromium, serve, settings_for, soup, write_content
from theme_pages import site  # noqa: F401 (fixture: the sample portal)

# ---------------------------------------------------------------- the index, unit


def test_every_han_character_becomes_a_word_and_nothing_else_changes():
    assert spaced_text("G60科创走廊 “一网通办”") == "G60　科　创　走　廊　 “　一　网　通　办　”"
    assert spaced_text('<p class="lead">Credit platform, 2018</p>') == '<p class="lead">Credit platform, 2018</p>'


def test_the_indexed_region_is_the_marked_element_to_its_own_end_tag():
    html = ('<p>data-pagefind-body is an attribute</p><article class="x" data-pagefind-body>'
            '<article>inner</article>text</article><nav>next</nav>')
    assert marked_regions(html) == ['<article class="x" data-pagefind-body><article>inner</article>text</article>']


def test_a_page_changed_only_outside_its_region_is_indexed_as_before():
    page = ('<html lang="zh-CN"><body><article data-pagefind-body><h1>标题</h1>'
            '<time datetime="2019-03-01T09:00:00+08:00" data-pagefind-meta="date">2019年3月1日</time></article>'
            '<nav><a rel="next" href="/b/">{}</a></nav></body></html>')
    before, after = describe("a.html", page.format("下一篇")), describe("a.html", page.format("改过的下一篇"))
    assert before == after and (before.lang, before.month) == ("zh-cn", "2019-03")
    assert describe("a.html", page.replace("标题", "新标题").format("下一篇")).digest != before.digest
    assert describe("b.html", "<html><body><p>not indexed</p></body></html>") is None


def test_the_traditional_text_is_the_default_form_of_each_character_but_where_the_page_differs():
    simplified = "率先复制推广，以后发展。G60头发"
    traditional = "率先複製推廣，以後發展。G60頭髮"  # OpenCC s2t of the whole text, with its phrases
    default = dict(zip(*character_tables()["s2t"]))
    assert "".join(default.get(character, character) for character in simplified) == "率先復制推廣，以後發展。G60頭發"
    assert fixes(simplified, traditional) == [["先复制", "先複製"], ["复制推", "複製推"], ["头发", "頭髮"]]
    # A run whose length differs (not a conversion of the other) gives nothing rather than nonsense.
    assert fixes("复制", "複製品") == []
    queries = dict(zip(*character_tables()["t2s"]))
    assert "".join(queries.get(character, character) for character in "長三角一網通辦") == "长三角一网通办"


def pages_of(months: dict[str, int], lang: str = "zh-cn") -> list[IndexedPage]:
    return [IndexedPage(f"news/{month}-{number}.html", lang, month, "d")
            for month, count in months.items() for number in range(count)]


def shard_sizes(pages: list[IndexedPage], size: int) -> dict[str, int]:
    return {shard.folder: len(shard.pages) for shard in plan_shards(pages, size)}


def test_shards_are_calendar_periods_no_bigger_than_the_size():
    pages = pages_of({"2018-05": 3, "2019-02": 2, "2019-08": 2, "2020-01": 6}) + [
        IndexedPage("about.html", "zh-cn", "", "d"), IndexedPage("en/news/x.html", "en", "2019-02", "d")]
    assert shard_sizes(pages, 100) == {"en/dated": 1, "zh-cn/dated": 13, "zh-cn/undated": 1}
    assert shard_sizes(pages, 4) == {"en/dated": 1, "zh-cn/2018": 3, "zh-cn/2019": 4, "zh-cn/2020-01.1": 3,
                                     "zh-cn/2020-01.2": 3, "zh-cn/undated": 1}
    assert shard_sizes(pages, 2) == {"en/dated": 1, "zh-cn/2018-05.1": 2, "zh-cn/2018-05.2": 1, "zh-cn/2019-h1": 2,
                                     "zh-cn/2019-h2": 2, **{f"zh-cn/2020-01.{n}": 2 for n in (1, 2, 3)},
                                     "zh-cn/undated": 1}


def test_a_new_item_changes_only_the_shard_of_its_date():
    pages = pages_of({"2018-03": 300, "2019-02": 500, "2019-09": 500, "2020-05": 200})
    before = {shard.folder: shard.pages for shard in plan_shards(pages, 800)}
    added = pages + [IndexedPage("news/new.html", "zh-cn", "2019-11", "d")]
    after = {shard.folder: shard.pages for shard in plan_shards(added, 800)}
    assert sorted(before) == sorted(after) == ["zh-cn/2018", "zh-cn/2019-h1", "zh-cn/2019-h2", "zh-cn/2020"]
    assert [folder for folder in after if after[folder] != before[folder]] == ["zh-cn/2019-h2"]


# ---------------------------------------------------------------- the index of a small site

SMALL_SITE = {
    "news/credit.md": """\
        Title: 信用长三角平台上线
        Date: 2019-03-01 09:00
        Fields: credit
        Provinces: 上海
        Slug: credit-platform

        区域信用信息共享平台正式上线，企业证照实现一网通办，将在示范区率先复制推广。
        """,
    "news/credit-en.md": """\
        Title: Credit platform goes live
        Date: 2019-03-01 09:00
        Fields: credit
        Lang: en
        Slug: credit-platform

        The regional credit information platform went live.
        """,
    "news/draft.md": """\
        Title: 草稿消息
        Date: 2019-03-02
        Fields: credit
        Status: draft

        DRAFTMARKER 这条消息还没有发布。
        """,
    "news/future.md": """\
        Title: 未来消息
        Date: 2999-01-01
        Fields: credit

        FUTUREMARKER 这条消息的日期还没到。
        """,
    "pages/about.md": """\
        Title: 关于本站
        Slug: about

        本站由长三办主办。
        """,
}


@pytest.fixture(scope="module")
def small_site(tmp_path_factory):
    return build_site(SMALL_SITE, tmp_path_factory.mktemp("search"))


def manifest(output: Path) -> dict:
    return json.loads((output / "pagefind" / "shards.json").read_text(encoding="utf-8"))


def shards(output: Path) -> dict[str, list[str]]:
    """The shard folders of each language's index, as the search page finds them."""
    return {lang: [shard["path"] for shard in listed] for lang, listed in manifest(output)["indexes"].items()}


def indexed_pages(output: Path) -> list[dict]:
    """Every record of the built index (Pagefind's fragments: gzip, a signature, then JSON),
    with the edition and the shard it is in."""
    records = []
    for language, folders in shards(output).items():
        for folder in folders:
            for fragment in sorted((output / "pagefind" / folder / "fragment").glob("*.pf_fragment")):
                data = gzip.decompress(fragment.read_bytes())
                record = json.loads(data[data.index(b"{"):])
                records.append({**record, "language": language, "shard": folder})
    return records


def readable(text: str) -> str:
    return text.replace(SEPARATOR, "")


def test_one_index_per_language_which_the_traditional_edition_searches_through(small_site):
    assert set(shards(small_site)) == {"zh-cn", "en"}
    assert manifest(small_site)["converted"] == {"zh-hant": {"index": "zh-cn", "folder": "zh-hant/"}}
    languages = {record["url"]: record["language"] for record in indexed_pages(small_site)}
    assert languages == {
        "/news/2019/credit-platform/": "zh-cn",
        "/about/": "zh-cn",
        "/en/news/2019/credit-platform/": "en",
    }
    tables = json.loads((small_site / "pagefind" / manifest(small_site)["characters"]).read_text(encoding="utf-8"))
    assert tables == character_tables()


def test_each_chinese_page_carries_the_fixes_that_show_it_as_its_traditional_page(small_site):
    records = {record["url"]: record for record in indexed_pages(small_site)}
    stored = json.loads(records["/news/2019/credit-platform/"]["meta"]["fixes"])
    assert ["复制推", "複製推"] in stored["zh-hant"]  # 复 alone would be 復
    traditional = soup(small_site, "zh-hant/news/2019/credit-platform/").get_text()
    assert "複製推廣" in traditional
    assert "fixes" not in records["/en/news/2019/credit-platform/"]["meta"]
    assert "複製" not in readable(records["/news/2019/credit-platform/"]["content"]), "fixes are not searched"


def test_the_fixes_are_what_the_traditional_pages_show(small_site):
    # They are worked out from the simplified text before the Traditional pages exist: on every
    # page they must be what reading them off the Traditional page gives.
    records = [record for record in indexed_pages(small_site) if record["language"] == "zh-cn"]
    assert len(records) == 2
    for record in records:
        path = record["url"].lstrip("/") + ("index.html" if record["url"].endswith("/") else "")
        simplified, traditional = (region_text(marked_regions((small_site / edition / path).read_text(encoding="utf-8")))
                                   for edition in ("", "zh-hant/"))
        assert json.loads(record["meta"]["fixes"])["zh-hant"] == fixes(simplified, traditional)


def test_the_index_starts_before_the_other_editions_and_takes_their_pages_at_the_end(tmp_path):
    page = ('<html lang="{lang}"><body><main data-pagefind-body><h1>{title}</h1>'
            '<p>长三角信用平台上线 credit</p></main></body></html>')
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "index.html").write_text(page.format(lang="zh-CN", title="信用平台"), encoding="utf-8")
    root_shard = tmp_path / "pagefind" / "zh-cn" / "undated" / "pagefind-entry.json"

    def other_editions_built():
        for _ in range(600):  # the root edition's shard is indexed meanwhile
            if root_shard.exists():
                break
            time.sleep(0.05)
        assert root_shard.exists()
        for edition, lang in (("en", "en"), ("zh-hant", "zh-Hant")):
            (tmp_path / edition / "news").mkdir(parents=True)
            (tmp_path / edition / "news" / "index.html").write_text(page.format(lang=lang, title="信用"), encoding="utf-8")

    converted = {"zh-hant": {"index": "zh-cn", "folder": "zh-hant/", "conversion": "s2t"}}
    report = write_index(tmp_path, 10, 2, converted_editions=converted, later=["en/", "zh-hant/"],
                         wait=other_editions_built)
    assert report.pages == {"zh-cn": 1, "zh-hant": 1, "en": 1}
    assert shards(tmp_path) == {"zh-cn": ["zh-cn/undated/"], "en": ["en/undated/"]}
    assert manifest(tmp_path)["converted"] == {"zh-hant": {"index": "zh-cn", "folder": "zh-hant/"}}


def indexed_by_build_one(tmp_path: Path, pages: dict[str, str]) -> tuple[Path, Path]:
    """A site of news/<name>/index.html pages, indexed with a cache that records build "one"; (site, cache)."""
    site, cache = tmp_path / "site", tmp_path / "cache" / "search.json"
    for name, html in pages.items():
        (site / "news" / name).mkdir(parents=True)
        (site / "news" / name / "index.html").write_text(html, encoding="utf-8")
    walked = {"since": "zero", "build": "one", "written": None, "removed": None}
    write_index(site, 10, 1, cache=cache, begin=lambda: {"later": [], "changes": walked})
    return site, cache


def test_the_shard_of_a_page_written_ahead_is_indexed_before_the_edition_is_written(tmp_path):
    # plugins/incremental_writer writes an edited item's page ahead: its shard's Pagefind run goes
    # beside the rest of the build instead of after it.
    page = '<html lang="zh-CN"><body><main data-pagefind-body><h1>{title}</h1><p>{text}</p></main></body></html>'
    site, cache = indexed_by_build_one(tmp_path, {name: page.format(title=name, text="长三角") for name in ("a", "b")})
    entry = site / "pagefind" / "zh-cn" / "undated" / "pagefind-entry.json"
    first_index = entry.stat().st_mtime_ns

    (site / "news" / "a" / "index.html").write_text(page.format(title="a", text="异地就医"), encoding="utf-8")
    listed = {"since": "one", "build": "two", "written": ["news/a/index.html"], "removed": []}
    messages = iter([{"ahead": listed}, {"later": [], "changes": listed}])

    def edition_written():
        message = next(messages)
        if "changes" in message:  # the edition is written: its shard is indexed already, or being indexed
            for _ in range(600):
                if entry.exists() and entry.stat().st_mtime_ns != first_index:
                    break
                time.sleep(0.05)
            assert entry.stat().st_mtime_ns != first_index
        return message

    report = write_index(site, 10, 1, cache=cache, begin=edition_written)
    assert report.indexed == ["zh-cn/undated"]
    fragments = (site / "pagefind" / "zh-cn" / "undated").rglob("*.pf_fragment")
    assert any("异".encode() in gzip.decompress(fragment.read_bytes()) for fragment in fragments)


def test_a_shard_indexed_ahead_that_met_a_page_the_edition_then_removed_is_indexed_again(tmp_path):
    # A new title without a Slug: the page at the new address is written ahead, the old one is
    # removed later by the same build, perhaps while the shard's run ahead reads it.
    page = '<html lang="zh-CN"><body><main data-pagefind-body><h1>{title}</h1></main></body></html>'
    site, cache = indexed_by_build_one(tmp_path, {name: page.format(title=name) for name in ("old-title", "other")})

    (site / "news" / "new-title").mkdir()
    (site / "news" / "new-title" / "index.html").write_text(page.format(title="新标题"), encoding="utf-8")
    shutil.rmtree(site / "news" / "old-title")
    ahead = {"since": "one", "build": "two", "written": ["news/new-title/index.html"], "removed": []}
    edition = {**ahead, "removed": ["news/old-title/index.html"]}
    messages = iter([{"ahead": ahead}, {"later": [], "changes": edition}])

    report = write_index(site, 10, 1, cache=cache, begin=lambda: next(messages))
    assert report.indexed == ["zh-cn/undated"] and report.pages == {"zh-cn": 2}
    fragments = [gzip.decompress(fragment.read_bytes())
                 for fragment in (site / "pagefind" / "zh-cn" / "undated").rglob("*.pf_fragment")]
    assert any("新".encode() in fragment for fragment in fragments)
    assert not any(b"old-title" in fragment for fragment in fragments)


def test_an_index_run_left_by_a_build_that_stopped_is_ended_by_the_next_build(tmp_path):
    # The preview makes build after build in one process; one that failed half-way never ended its run.
    from types import SimpleNamespace

    from search.build import DEFAULTS, _runs, start_index

    def build(name):
        settings = {**DEFAULTS, "OUTPUT_PATH": str(tmp_path / name), "CACHE_PATH": str(tmp_path / "cache")}
        (tmp_path / name).mkdir()
        return SimpleNamespace(settings=settings)

    stopped, next_build = build("stopped"), build("next")
    start_index(stopped, pending_folders=["en/"])  # waits for the English pages that never come
    abandoned = _runs[id(stopped.settings)].process.process  # its Popen
    start_index(next_build, pending_folders=["en/"])
    assert abandoned.wait(timeout=10) != 0
    assert list(_runs) == [id(next_build.settings)]
    _runs.pop(id(next_build.settings)).report()


def test_items_carry_title_date_and_filters_in_their_editions_words(small_site):
    records = {record["url"]: record for record in indexed_pages(small_site)}
    item = records["/news/2019/credit-platform/"]
    assert readable(item["meta"]["title"]) == "信用长三角平台上线"
    assert readable(item["meta"]["date"]) == "2019年3月1日"
    assert {name: [readable(v) for v in values] for name, values in item["filters"].items()} == {
        "field": ["信用"], "province": ["上海"]}
    english = records["/en/news/2019/credit-platform/"]
    assert english["meta"]["title"] == "Credit platform goes live"
    assert english["filters"]["field"] == ["Credit"]
    # The item's facts (labels, source, tags) are metadata, not text to search or quote.
    assert "发布日期" not in readable(item["content"])


def test_chinese_is_indexed_one_character_per_word(small_site):
    records = {record["url"]: record for record in indexed_pages(small_site)}
    # Pagefind keeps the separators as a space and a zero-width space.
    words = re.split(r"[\s\u200b]+", records["/news/2019/credit-platform/"]["content"])
    position = words.index("一")
    assert words[position:position + 4] == list("一网通办")


def test_drafts_and_future_items_are_not_in_the_index(small_site):
    text = " ".join(record["content"] for record in indexed_pages(small_site))
    assert "DRAFTMARKER" not in text
    assert "FUTUREMARKER" not in text


def test_pages_without_a_marked_region_are_not_indexed(small_site):
    urls = {record["url"] for record in indexed_pages(small_site)}
    assert not urls & {"/", "/search/", "/fields/credit/", "/sitemap/", "/en/search/"}


# ---------------------------------------------------------------- the search page and the header box

@pytest.mark.parametrize("edition", ["", "zh-hant/", "en/"])
def test_every_page_has_a_search_box_that_works_without_javascript(small_site, edition):
    for path in ["", "fields/credit/", "news/2019/credit-platform/"]:
        page = soup(small_site, edition + path)
        form = page.select_one("header form[role=search]")
        assert form["action"] == f"/{edition}search/" and form.get("method", "get") == "get"
        field = form.select_one("input[name=q]")
        assert page.select_one(f"label[for={field['id']}]").get_text(strip=True)
        assert int(field["maxlength"]) >= 20


@pytest.mark.parametrize("edition, lang", [("", "zh-CN"), ("zh-hant/", "zh-Hant"), ("en/", "en")])
def test_the_search_page_of_each_edition(small_site, edition, lang):
    page = soup(small_site, f"{edition}search/")
    assert page.html["lang"] == lang  # Pagefind searches the index of this language
    main = page.select_one("main")
    assert main.select_one("[data-search]")["data-bundle"] == "/pagefind/"
    form = main.select_one("form[role=search]")
    assert page.select_one(f"label[for={form.select_one('input[name=q]')['id']}]")
    status = main.select_one("[data-search-status]")
    assert status["role"] == "status" and status["aria-live"] == "polite"
    scripts = [script["src"] for script in page.select("script[src]")]
    assert any(re.search(r"/js/search\.[0-9a-f]+\.js$", src) for src in scripts)
    assert not main.select("script, [style]"), "inline scripts and styles are refused by the site's CSP"


def test_without_javascript_the_search_page_points_to_the_fields_and_the_site_map(small_site, tmp_path):
    settings = settings_for(tmp_path, tmp_path)
    nojs = soup(small_site, "search/").select_one("[data-search-nojs]")
    assert "JavaScript" in nojs.get_text()
    links = {a["href"] for a in nojs.select("a")}
    assert links == {f"/{field.url}" for field in model_for(settings).fields} | {"/sitemap/"}
    options = [option.get_text() for option in soup(small_site, "search/").select("select[data-filter=field] option")]
    assert options[1:] == [field.zh for field in model_for(settings).fields]


# ---------------------------------------------------------------- a reader in Chromium

CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'"


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def served(site, browser):
    """Chromium, and the address of the sample site served on this machine."""
    with serve(site) as url:
        yield browser, url


@pytest.fixture
def base_url(served):
    return served[1]


@pytest.fixture
def page(browser):
    """A reader under the site's strict Content-Security-Policy; fails the test on a script error."""
    context = browser.new_context()

    def with_policy(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    context.route("**/*", with_policy)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None)
    yield page
    # Requests still on their way (the search worker's) are dropped with the page.
    context.unroute_all(behavior="ignoreErrors")
    context.close()
    assert errors == []


def results(page) -> list[dict]:
    """The results shown, once the search is done."""
    page.wait_for_selector("[data-search-results][aria-busy=false]", state="attached")
    return page.eval_on_selector_all(".search-result", """items => items.map(item => ({
        href: item.querySelector('a').getAttribute('href'),
        title: item.querySelector('a').textContent,
        tags: Array.from(item.querySelectorAll('.tag'), tag => tag.textContent),
        marks: Array.from(item.querySelectorAll('mark'), mark => mark.textContent),
    }))""")


@pytest.mark.browser
@pytest.mark.parametrize("query, first", [
    ("一网通办", "/news/2018/g60-one-network-licensing/"),
    ("G60", None),
])
def test_a_chinese_query_from_the_header_box_finds_the_item_first(page, base_url, query, first):
    page.goto(f"{base_url}/")
    page.fill("header input[name=q]", query)
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**/search/?q=*")
    found = results(page)
    assert found, f"nothing found for {query}"
    if first:
        assert found[0]["href"] == first
    assert query in found[0]["title"]
    assert query in found[0]["marks"], "the match is highlighted"
    assert page.input_value("#search-query") == query
    assert query in page.inner_text("[data-search-status]")


@pytest.mark.browser
@pytest.mark.parametrize("query", ["异地就医", "2018"])
def test_queries_in_chinese_and_digits_find_pages_that_contain_them(page, base_url, query):
    page.goto(f"{base_url}/search/?q={query}")
    found = results(page)
    assert found and query in found[0]["marks"]


@pytest.mark.browser
def test_a_field_filter_narrows_the_results(page, base_url):
    page.goto(f"{base_url}/search/?q=G60")
    everything = results(page)
    page.select_option("#search-field", label="信用")
    page.wait_for_url(re.compile(r"[?&]field=%E4%BF%A1%E7%94%A8"))  # 信用
    narrowed = results(page)
    assert 0 < len(narrowed) < len(everything)
    assert all("信用" in result["tags"] for result in narrowed)
    # The filter is in the address, so the narrowed search can be shared or bookmarked.
    page.reload()
    assert results(page) == narrowed
    assert page.input_value("#search-field") == "信用"


@pytest.mark.browser
def test_a_traditional_query_finds_traditional_pages(page, base_url):
    page.goto(f"{base_url}/zh-hant/search/?q=長三角")
    found = results(page)
    assert found and all(result["href"].startswith("/zh-hant/") for result in found)
    assert all("長三角" in result["marks"] for result in found[:10])
    assert "結果" in page.inner_text("[data-search-status]")  # the Traditional page's own words
    # Each result reads as the Traditional page it opens: its title, its tags, its words.
    excerpts = page.eval_on_selector_all(".search-excerpt", "items => items.map(item => item.textContent)")
    for result, excerpt in list(zip(found, excerpts))[:5]:
        opened = page.context.request.get(base_url + result["href"]).text()
        assert f"<h1 data-pagefind-meta=\"title\">{result['title']}</h1>" in opened
        assert all(f">{tag}</a>" in opened for tag in result["tags"])
        words = re.sub(r"<[^>]+>|\s+", "", opened)
        # The index ends the title with 。 (indexing.HEADING_END), which the page does not show.
        assert all(part in words for part in re.split(r"\s+|…|。", excerpt) if part), excerpt


@pytest.mark.browser
@pytest.mark.parametrize("address, expected", [("/zh-hant/search/?q=长三角", "長三角"),
                                               ("/search/?q=長三角", "长三角")])
def test_either_script_finds_the_same_pages_on_either_edition(page, base_url, address, expected):
    page.goto(base_url + address)
    found = results(page)
    assert found and expected in found[0]["marks"]
    page.goto(f"{base_url}{address.split('?')[0]}?q={expected}")
    assert [result["href"] for result in results(page)] == [result["href"] for result in found]


@pytest.mark.browser
def test_a_field_filter_narrows_the_results_on_the_traditional_edition(page, base_url):
    def found_count() -> int:  # the status line counts every result, not only the ten shown
        return int(re.search(r"\d+", page.inner_text("[data-search-status]"))[0])

    page.goto(f"{base_url}/zh-hant/search/?q=長三角")
    results(page)
    everything = found_count()
    page.select_option("#search-field", label="生態環境")
    page.wait_for_url(re.compile(r"[?&]field=%E7%94%9F%E6%85%8B"))  # 生態
    narrowed = results(page)
    assert 0 < found_count() < everything
    assert all("生態環境" in result["tags"] for result in narrowed)


@pytest.mark.browser
def test_an_english_query_finds_the_english_item(page, base_url):
    page.goto(f"{base_url}/en/search/?q=credit")
    found = results(page)
    assert found and all(result["href"].startswith("/en/") for result in found)
    assert "Credit Platform" in found[0]["title"]
    assert "Credit" in found[0]["tags"]


@pytest.mark.browser
def test_the_english_search_page_says_what_it_searches_and_counts_in_english(page, base_url):
    page.goto(f"{base_url}/en/search/?q=medical+bills")
    assert len(results(page)) == 1
    assert page.inner_text("[data-search-status]") == "1 result for “medical bills”."
    assert page.inner_text("#search-hint") == ("Searches the English news: type English words or digits, for example "
                                               "G60, credit, medical bills, 2018. Chinese news is searched in the "
                                               "Chinese edition.")


@pytest.mark.browser
def test_more_results_by_keyboard_moves_focus_to_the_first_new_result(page, base_url):
    page.goto(f"{base_url}/search/?q=长三角")
    assert len(results(page)) == 10
    page.focus("[data-search-more]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".search-result:nth-child(11)")
    assert page.evaluate("document.activeElement === document.querySelectorAll('.search-result a')[10]")


@pytest.mark.browser
@pytest.mark.parametrize("address", ["/search/?q=G60&field=信用", "/en/search/?q=credit"])
def test_a_page_of_results_meets_wcag_aa(page, base_url, address):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(base_url + address)
    assert results(page)
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations] == []


@pytest.mark.browser
def test_without_javascript_the_page_says_so_and_links_to_fields(served, base_url):
    context = served[0].new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/")
    page.fill("header input[name=q]", "G60")
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**/search/?q=G60")
    assert page.is_visible("[data-search-nojs]")
    assert page.is_visible("[data-search-nojs] a[href='/sitemap/']")
    assert not page.is_visible("[data-search-filters]")
    context.close()


# ---------------------------------------------------------------- shards, and indexing only what changed

def item(slug: str, title: str, date: str, field: str, body: str) -> str:
    return f"Title: {title}\nSlug: {slug}\nDate: {date}\nFields: {field}\nProvinces: 上海\n\n{body}\n"


# Two pages per shard at most: 2018, 2019 (split into its halves), 2021, and the standing page.
SHARDED_SITE = {
    "news/a.md": item("a", "生态绿色示范区挂牌", "2018-05-02", "ecology", "长三角生态绿色一体化发展示范区挂牌成立。"),
    "news/b.md": item("b", "信用平台上线", "2019-02-01", "credit", "长三角信用信息共享平台上线。"),
    "news/c.md": item("c", "信用修复互认", "2019-04-01", "credit", "长三角三省一市信用修复结果互认。"),
    "news/d.md": item("d", "信用承诺制", "2019-10-01", "credit", "长三角推行信用承诺制。"),
    "news/e.md": item("e", "异地就医结算扩围", "2021-03-01", "livelihood", "长三角门诊费用异地就医结算扩围。"),
    "pages/about.md": "Title: 关于本站\nSlug: about\n\n本站由长三办主办。\n",
}
SHARDS_OF_ONE_EDITION = ["2018/", "2019-h1/", "2019-h2/", "2021/", "undated/"]


@pytest.fixture(scope="module")
def sharded_site(tmp_path_factory):
    return build_site(SHARDED_SITE, tmp_path_factory.mktemp("sharded"), SEARCH_SHARD_SIZE=2)


def test_each_language_is_indexed_in_shards_no_bigger_than_the_size(sharded_site):
    listed = shards(sharded_site)
    assert listed["zh-cn"] == [f"zh-cn/{shard}" for shard in SHARDS_OF_ONE_EDITION]
    assert "zh-hant" not in listed
    titles = {}
    for record in indexed_pages(sharded_site):
        titles.setdefault(record["shard"], set()).add(readable(record["meta"]["title"]))
    assert titles["zh-cn/2019-h1/"] == {"信用平台上线", "信用修复互认"}
    assert titles["zh-cn/2019-h2/"] == {"信用承诺制"}
    assert max(len(shard) for shard in titles.values()) == 2


@pytest.fixture(scope="module")
def sharded_url(sharded_site):
    with serve(sharded_site) as url:
        yield url


@pytest.mark.browser
@pytest.mark.parametrize("query, first", [("生态绿色", "/news/2018/"), ("异地就医", "/news/2021/")])
def test_a_search_finds_items_in_every_shard(page, sharded_url, query, first):
    page.goto(f"{sharded_url}/search/?q={query}")
    found = results(page)
    assert len(found) == 1 and found[0]["href"].startswith(first) and query in found[0]["marks"]


@pytest.mark.browser
def test_results_of_all_shards_come_together_and_filters_apply_to_all(page, sharded_url):
    page.goto(f"{sharded_url}/search/?q=长三角")
    assert {result["href"][:11] for result in results(page)} == {"/news/2018/", "/news/2019/", "/news/2021/"}
    assert len(results(page)) == 5
    page.goto(f"{sharded_url}/search/?q=长三角&field=信用")
    narrowed = results(page)
    assert len(narrowed) == 3 and all("信用" in result["tags"] for result in narrowed)
    page.goto(f"{sharded_url}/zh-hant/search/?q=長三角")
    assert len(results(page)) == 5


def shard_files(output: Path) -> dict[str, tuple[int, int]]:
    """Each shard's entry file, as (inode, mtime): a shard indexed again is a new folder."""
    return {folder: ((entry := output / "pagefind" / folder / "pagefind-entry.json").stat().st_ino,
                     entry.stat().st_mtime_ns)
            for folders in shards(output).values() for folder in folders}


def test_an_emptied_output_gets_its_shards_back_without_indexing_them_again(tmp_path):
    # invoke build and every publication start from an empty output folder.
    output = build_site(SHARDED_SITE, tmp_path, SEARCH_SHARD_SIZE=2)
    first = shard_files(output)
    manifest = (output / "pagefind" / "shards.json").read_text(encoding="utf-8")

    build_site(tmp_path / "content", tmp_path, SEARCH_SHARD_SIZE=2, DELETE_OUTPUT_DIRECTORY=True)

    assert shard_files(output) == first, "the very files of the first build, not a new Pagefind run"
    assert (output / "pagefind" / "shards.json").read_text(encoding="utf-8") == manifest


def test_a_rebuild_indexes_again_only_the_shards_whose_pages_changed(tmp_path):
    output = build_site(SHARDED_SITE, tmp_path, SEARCH_SHARD_SIZE=2)
    first = shard_files(output)
    build_site(tmp_path / "content", tmp_path, SEARCH_SHARD_SIZE=2)
    assert shard_files(output) == first, "nothing changed, nothing indexed again"

    # An edited title also changes the prev/next links of the items beside it, in other
    # shards, outside their indexed region: those shards stay as they are.
    write_content(tmp_path / "content", {"news/c.md": item(
        "c", "信用修复结果互认", "2019-04-01", "credit", "长三角三省一市信用修复结果互认，EDITEDMARKER。")})
    # Pelican leaves a deleted item's pages in the output (unless DELETE_OUTPUT_DIRECTORY):
    # once they are gone, so is the shard they were alone in.
    (tmp_path / "content" / "news" / "e.md").unlink()
    for edition in ("", "zh-hant/"):
        shutil.rmtree(output / f"{edition}news/2021/e")
    build_site(tmp_path / "content", tmp_path, SEARCH_SHARD_SIZE=2)
    after = shard_files(output)
    assert "信用修复结果互认" in (output / "news/2019/d/index.html").read_text(encoding="utf-8")  # its prev link
    assert sorted(set(first) - set(after)) == ["zh-cn/2021/"]
    assert not (output / "pagefind" / "zh-cn" / "2021").exists()
    assert sorted(folder for folder in after if after[folder] != first[folder]) == ["zh-cn/2019-h1/"]
    edited = [record for record in indexed_pages(output) if "EDITEDMARKER" in record["content"]]
    assert [(record["shard"], readable(record["meta"]["title"])) for record in edited] == [
        ("zh-cn/2019-h1/", "信用修复结果互认")]


def test_the_pages_looked_at_are_those_the_build_listed_when_the_record_is_of_the_build_before(tmp_path):
    from search.indexing import scan_listed, scan_site

    site = tmp_path / "site"
    for path, title in (("news/a/index.html", "甲"), ("news/b/index.html", "乙"), ("en/news/a/index.html", "A")):
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(f'<html lang="zh-CN"><main data-pagefind-body><h1>{title}</h1></main></html>',
                                 encoding="utf-8")
    _, known = scan_site(site, {})
    (site / "news/a/index.html").write_text('<html lang="zh-CN"><main data-pagefind-body><h1>甲乙</h1></main></html>',
                                            encoding="utf-8")
    (site / "news/b/index.html").write_text('<html lang="zh-CN"><main data-pagefind-body><h1>丙</h1></main></html>',
                                            encoding="utf-8")  # not listed: not read
    (site / "news/c/index.html").parent.mkdir()
    (site / "news/c/index.html").write_text('<html lang="zh-CN"><main data-pagefind-body><h1>丁</h1></main></html>',
                                            encoding="utf-8")
    changes = {"since": "one", "build": "two", "written": ["news/a/index.html", "news/c/index.html", "feeds/x.xml"],
               "removed": ["news/gone/index.html"]}
    pages, record = scan_listed(site, {**known, "news/gone/index.html": known["news/b/index.html"]}, changes,
                                left_out={"en"})
    assert sorted(record) == ["news/a/index.html", "news/b/index.html", "news/c/index.html"]
    assert record["news/b/index.html"] == known["news/b/index.html"]
    assert record["news/a/index.html"] != known["news/a/index.html"]
    assert sorted(page.path for page in pages) == sorted(record)
