"""Publishing: `invoke publish` builds the production site and deploys it; Debian's nginx
serves the deployed folder with deploy/nginx.conf; the build is reproducible and link-clean.
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import brotli
import pytest
from bs4 import BeautifulSoup

from sitebuild import ROOT, SAMPLE_CONTENT, chromium, have_chromium

NGINX = "/usr/sbin/nginx"
BROTLI_MODULE = "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so"
INVOKE = str(Path(sys.executable).parent / "invoke")
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
# Files of the build that pelican-precompress must compress (its text types plus the portal's).
TEXT_SUFFIXES = {".atom", ".css", ".csv", ".html", ".js", ".json", ".mjs", ".opml", ".rss", ".svg", ".txt",
                 ".webmanifest", ".xml", ".xsl"}
# Below this size compression may not pay; the plugin then rightly writes nothing.
WORTH_COMPRESSING = 512
FINGERPRINTED = re.compile(r"\.[0-9a-f]{10}\.(css|js)$")
# One worker runs this module, so the sample portal is published (a slow production build) once.
pytestmark = pytest.mark.xdist_group("publish")


@dataclass
class Published:
    site_url: str
    port: int
    output: Path  # what the build wrote
    deployed: Path  # where rsync put it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(site_url: str) -> dict[str, str]:
    return {**os.environ, "PORTAL_SITEURL": site_url, "PORTAL_PUBLISH_TARGET": "/nonexistent/never-used"}


def publish(content: Path, output: Path, target: Path, site_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [INVOKE, "publish", "--content", str(content), "--output", str(output), "--target", str(target)],
        cwd=ROOT, env=production_env(site_url), capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Published:
    """The sample portal published into a local folder, with SITEURL at the nginx fixture's address."""
    folder = tmp_path_factory.mktemp("publish")
    port = free_port()
    site = Published(f"http://127.0.0.1:{port}", port, folder / "output", folder / "www")
    result = publish(SAMPLE_CONTENT, site.output, site.deployed, site.site_url)
    assert result.returncode == 0, result.stdout + result.stderr
    return site


def files_of(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


# --- invoke publish ---------------------------------------------------------------------------

def test_publish_deploys_the_production_build_with_absolute_urls(published):
    deployed = files_of(published.deployed)
    assert deployed == files_of(published.output)
    home = deployed["index.html"].decode()
    assert f'href="{published.site_url}/' in home
    assert "livereload" not in home


def test_publish_refuses_bad_content_and_sends_nothing(tmp_path):
    result = publish(ROOT / "tests" / "bad-content", tmp_path / "output", tmp_path / "www", "http://127.0.0.1:9")
    assert result.returncode != 0
    assert "missing-title.md" in result.stdout + result.stderr
    assert not (tmp_path / "www").exists() and not (tmp_path / "output").exists()


def test_every_text_file_has_gzip_and_brotli_twins_with_the_same_content(published):
    checked = 0
    for path in published.output.rglob("*"):
        if path.suffix not in TEXT_SUFFIXES or path.stat().st_size < WORTH_COMPRESSING:
            continue
        original = path.read_bytes()
        assert gzip.decompress(path.with_name(path.name + ".gz").read_bytes()) == original, path
        assert brotli.decompress(path.with_name(path.name + ".br").read_bytes()) == original, path
        checked += 1
    assert checked > 100


# --- reproducibility and links -----------------------------------------------------------------

# Pagefind's index names and orders its filter files differently on each run (README, "Reproducible").
NOT_REPRODUCIBLE = re.compile(r"(^|/)pagefind/")


def reproducible_files(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if not NOT_REPRODUCIBLE.search(name)}


def test_two_production_builds_are_byte_identical(published, tmp_path):
    again = tmp_path / "again"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pelican"), str(SAMPLE_CONTENT), "-s", "publishconf.py", "-o", str(again)],
        cwd=ROOT, env=production_env(published.site_url), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    first, second = (reproducible_files(files_of(output)) for output in (published.output, again))
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert not different, f"differ between two builds: {different[:20]}"


def broken(url: str, site: Published, ids: dict[Path, set[str]]) -> str | None:
    parts = urlsplit(url)
    target = site.output / unquote(parts.path).lstrip("/")
    if parts.path.endswith("/"):
        if target.is_dir() and not any(target.glob("*.html")):
            return None  # the base of an asset bundle (data-bundle=".../pagefind/"), not a page
        target = target / "index.html"
    if not target.is_file():
        return "missing"
    if parts.fragment and target.suffix == ".html":
        if target not in ids:
            page = BeautifulSoup(target.read_text(encoding="utf-8"), "html.parser")
            ids[target] = {tag["id"] for tag in page.find_all(id=True)} | {a["name"] for a in page.find_all("a", attrs={"name": True})}
        if unquote(parts.fragment) not in ids[target]:
            return f"no id {parts.fragment!r}"
    return None


def test_no_broken_internal_link_or_asset_anywhere_in_the_built_site(published):
    site, ids, checked = published, {}, 0
    referrers: dict[str, list[str]] = {}  # "target (why)" -> files that point to it
    for path in sorted(site.output.rglob("*")):
        if path.suffix not in TEXT_SUFFIXES:
            continue
        for url in sorted(references_in(path, site)):
            checked += 1
            reason = broken(url, site, ids)
            if reason:
                target = f"{url.removeprefix(site.site_url)} ({reason})"
                referrers.setdefault(target, []).append(path.relative_to(site.output).as_posix())
    assert checked > 1000
    assert not referrers, f"{len(referrers)} broken targets:\n" + "\n".join(
        f"{target} <- {len(files)} files, e.g. {', '.join(files[:3])}" for target, files in sorted(referrers.items()))


def references_in(path: Path, site: Published) -> set[str]:
    text = path.read_text(encoding="utf-8")
    page_url = site.site_url + "/" + path.relative_to(site.output).as_posix()
    found = set(re.findall(re.escape(site.site_url) + r"/[^\s\"'<>)\\,]*", text))
    relative = []
    if path.suffix == ".html":
        page = BeautifulSoup(text, "html.parser")
        for tag in page.find_all(True):
            relative += [tag[name] for name in ("href", "src", "poster") if tag.get(name)]
            if tag.get("srcset"):
                relative += [candidate.split()[0] for candidate in tag["srcset"].split(",") if candidate.strip()]
    if path.suffix in {".css", ".html"}:
        relative += re.findall(r"url\(\s*['\"]?([^'\")]+)", text)
    for url in relative:
        if url.startswith(site.site_url) or not re.match(r"^([a-z][a-z0-9+.-]*:|//)", url, re.I):
            found.add(urljoin(page_url, url.strip()))
    return {url for url in found if not url.startswith(site.site_url + "/?")}


# --- nginx ----------------------------------------------------------------------------------

def nginx_config(folder: Path, site: Published) -> Path:
    """deploy/nginx.conf with listen/root set for this test, inside a minimal main configuration."""
    server = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for directive, value in (("listen", f"127.0.0.1:{site.port}"), ("root", str(site.deployed))):
        server, count = re.subn(rf"^(\s*){directive}\s+[^;]+;", rf"\g<1>{directive} {value};", server, flags=re.M)
        assert count == 1, directive
    (folder / "site.conf").write_text(server, encoding="utf-8")
    temp_paths = "\n".join(f"    {kind}_temp_path {folder}/{kind};"
                           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = f"""
load_module {BROTLI_MODULE};
# One foreground process, no workers: nothing is left behind when the test stops it.
daemon off;
master_process off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
{temp_paths}
    include {folder}/site.conf;
}}
"""
    (folder / "nginx.conf").write_text(main, encoding="utf-8")
    return folder / "nginx.conf"


@pytest.fixture(scope="module")
def nginx(published, tmp_path_factory):
    """Debian's nginx serving the deployed site with the shipped configuration; stopped afterwards."""
    if not os.path.exists(NGINX):
        pytest.fail("nginx is missing: apt-get install nginx-light libnginx-mod-http-brotli-static")
    folder = tmp_path_factory.mktemp("nginx")
    config = nginx_config(folder, published)
    command = [NGINX, "-p", str(folder), "-c", str(config), "-e", str(folder / "error.log")]
    test = subprocess.run(command + ["-t"], capture_output=True, text=True, timeout=30)
    assert test.returncode == 0, test.stderr
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", published.port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.1)
        yield published.site_url
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful stop
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


FETCH = urllib.request.build_opener(NoRedirects)


def fetch(url: str, encoding: str | None = None):
    """(status, headers, raw body) of a GET, without following redirects."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    try:
        with FETCH.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def first(output: Path, pattern: str) -> str:
    """URL path of the first built file matching a glob, e.g. `news/*/*/index.html`."""
    matches = sorted(output.glob(pattern))
    assert matches, f"the build has no {pattern}"
    path = matches[0].relative_to(output).as_posix()
    return path[: -len("index.html")] if path.endswith("index.html") else path


@pytest.mark.parametrize("pattern, content_type", [
    ("index.html", "text/html; charset=utf-8"),
    ("news/*/*/index.html", "text/html; charset=utf-8"),
    # Feeds as application/xml, not application/atom+xml or rss+xml: Chromium shows those as plain
    # text and ignores their <?xml-stylesheet?>; readers go by the content, not the type.
    ("feeds/all.atom.xml", "application/xml; charset=utf-8"),
    ("feeds/all.rss.xml", "application/xml; charset=utf-8"),
    ("feeds/index.opml", "text/x-opml; charset=utf-8"),
    ("**/*.json", "application/json; charset=utf-8"),
    ("**/*.csv", "text/csv; charset=utf-8"),
    ("**/*.xsl", "text/xsl; charset=utf-8"),
    ("sitemap.xml", "text/xml; charset=utf-8"),
    ("static/css/portal.css", "text/css; charset=utf-8"),
])
def test_nginx_serves_each_kind_of_file_with_its_type_and_the_security_headers(nginx, published, pattern,
                                                                             content_type):
    path = first(published.output, pattern)
    status, headers, body = fetch(f"{nginx}/{path}")
    assert status == 200, path
    assert headers["Content-Type"] == content_type
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Cache-Control"] == "public, max-age=300"
    expected = published.output / path / "index.html" if path.endswith("/") or not path else published.output / path
    assert body == expected.read_bytes()


@pytest.mark.parametrize("edition", ["", "en/", "zh-hant/"])
def test_a_missing_page_gets_the_portal_404_page_with_status_404_and_the_headers(nginx, published, edition):
    status, headers, body = fetch(f"{nginx}/{edition}news/2019/no-such-item/")
    assert status == 404
    assert body == (published.output / edition / "404.html").read_bytes()
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Type"] == "text/html; charset=utf-8"


def test_pretty_urls_and_the_redirect_that_adds_the_slash(nginx, published):
    item = first(published.output, "news/*/*/index.html")
    assert fetch(f"{nginx}/{item}")[0] == 200
    status, headers, _ = fetch(f"{nginx}/{item.rstrip('/')}")
    assert status == 301 and headers["Location"] == f"/{item}"


def test_precompressed_files_are_sent_to_clients_that_accept_them(nginx, published):
    item = first(published.output, "news/*/*/index.html")
    original = (published.output / item / "index.html").read_bytes()
    status, headers, body = fetch(f"{nginx}/{item}", "gzip")
    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    assert gzip.decompress(body) == original
    assert "Accept-Encoding" in headers["Vary"]
    status, headers, body = fetch(f"{nginx}/{item}", "br, gzip")
    assert (status, headers["Content-Encoding"]) == (200, "br")
    assert brotli.decompress(body) == original
    status, headers, body = fetch(f"{nginx}/{item}")
    assert headers["Content-Encoding"] is None and body == original
    status, headers, body = fetch(f"{nginx}/feeds/all.atom.xml", "gzip")
    assert headers["Content-Encoding"] == "gzip" and headers["Content-Type"].startswith("application/xml")


def test_fingerprinted_assets_are_cached_for_a_year(nginx, published):
    home = BeautifulSoup((published.output / "index.html").read_text(encoding="utf-8"), "html.parser")
    assets = [tag.get("href") or tag.get("src") for tag in home.select("link[rel=stylesheet], script[src]")]
    assert assets and all(FINGERPRINTED.search(url) for url in assets), assets
    for url in assets:
        status, headers, _ = fetch(url, "gzip")
        assert status == 200, url
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert headers["Content-Security-Policy"] == CSP


def test_no_page_has_inline_script_style_or_event_handler_that_the_policy_would_block(published):
    blocked = []
    for path in sorted(published.output.rglob("*.html")):
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        name = path.relative_to(published.output).as_posix()
        blocked += [f"{name}: inline <script>" for tag in page.find_all("script")
                    if not tag.get("src") and tag.get("type") not in ("application/ld+json", "application/json")]
        blocked += [f"{name}: <style>" for _ in page.find_all("style")]
        for tag in page.find_all(True):
            blocked += [f"{name}: <{tag.name} {attribute}>" for attribute in tag.attrs
                        if attribute == "style" or attribute.startswith("on")]
            if str(tag.get("href", "")).lower().startswith("javascript:"):
                blocked.append(f"{name}: javascript: link")
    assert not blocked, "\n".join(sorted(set(blocked))[:40])


def pages_to_visit(output: Path) -> list[str]:
    """The home page, an item, a field page and the first page of every top-level section."""
    pages = ["", first(output, "news/*/*/index.html"), first(output, "fields/*/index.html")]
    pages += sorted(f"{path.parent.name}/" for path in output.glob("*/index.html"))
    return list(dict.fromkeys(pages))


@pytest.mark.browser
@pytest.mark.skipif(not have_chromium(), reason="Debian chromium is not installed")
def test_chromium_loads_the_pages_under_the_policy_without_violations_or_errors(nginx, published):
    missing_page = f"{nginx}/no-such-page/"
    problems = []

    def on_console(message):
        # CSP violations are console errors too ("Refused to load/apply/execute …").
        where = message.location.get("url", "")
        if message.type in ("error", "warning") and where != missing_page:
            problems.append(f"{page.url}: console {message.type}: {message.text} ({where})")

    with chromium() as browser:
        page = browser.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
        page.on("requestfailed", lambda request: problems.append(f"{page.url}: failed {request.url}"))
        for path in pages_to_visit(published.output) + ["no-such-page/"]:
            # networkidle: what a page loads late (search's index) must finish before the next page.
            response = page.goto(f"{nginx}/{path}", wait_until="networkidle", timeout=30000)
            assert response.status == (404 if path == "no-such-page/" else 200), path
            assert page.title(), path  # the portal's own page, also for the missing one
        # Search runs Pagefind's WebAssembly and workers: the policy must let it answer.
        page.goto(f"{nginx}/search/?q=%E4%BA%A4%E9%80%9A", wait_until="load", timeout=30000)
        page.wait_for_selector("[data-search-results] > *", timeout=30000)
        page.close()
    assert not problems, "\n".join(problems)



# Chromium's own doing, not the feed's: its warning that XSLT will go, and the banner it puts into the
# page saying so (<xslt-warning-banner>, inline styles and handlers that the policy refuses).
CHROMIUM_XSLT_BANNER = ("XSLTProcessor and XSLT Processing Instructions", "Applying inline style",
                        "Executing inline event handler")


@pytest.mark.browser
@pytest.mark.skipif(not have_chromium(), reason="Debian chromium is not installed")
@pytest.mark.parametrize("feed, title, lang", [
    ("feeds/all.atom.xml", "中国长三角", "zh-CN"),
    ("feeds/all.rss.xml", "中国长三角", "zh-CN"),
    ("zh-hant/feeds/all.atom.xml", "中國長三角", "zh-Hant"),
    ("en/feeds/all.rss.xml", "China Yangtze River Delta", "en"),
])
def test_a_feed_opened_in_chromium_from_the_server_is_a_readable_page_not_raw_xml(nginx, published, feed, title,
                                                                                  lang):
    """The feed's stylesheet (its edition's feed.xsl) turns it into a page of the portal, under the policy."""
    problems = []

    def on_console(message):
        if message.type in ("error", "warning") and not message.text.startswith(CHROMIUM_XSLT_BANNER):
            problems.append(f"console {message.type}: {message.text}")

    with chromium() as browser:
        page = browser.new_page()
        page.on("console", on_console)
        page.on("requestfailed", lambda request: problems.append(f"failed {request.url}"))
        response = page.goto(f"{nginx}/{feed}", wait_until="load", timeout=30000)
        assert response.status == 200
        assert page.locator("h1").inner_text(timeout=5000).startswith(title)
        assert page.evaluate("document.documentElement.lang") == lang
        assert page.locator("article.item-card h2 a").count() > 0
        # The portal's stylesheet applies (its body font size is not the browser's 16px).
        assert page.evaluate("getComputedStyle(document.body).fontSize") != "16px"
        # What the feed's stylesheet makes needs nothing the policy refuses.
        assert page.evaluate("""[...document.querySelectorAll('body *:not(xslt-warning-banner)')]
            .filter(e => e.tagName === 'SCRIPT' || e.hasAttribute('style')
                         || [...e.attributes].some(a => a.name.startsWith('on'))).length""") == 0
        page.close()
    assert not problems, "\n".join(problems)
