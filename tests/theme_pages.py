"""What the theme's tests share: the sample site, one page of each kind, links and assets of a page."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sitebuild import sample_site


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The sample portal, built once per test process."""
    return sample_site(str(tmp_path_factory.getbasetemp() / "sample-site"))


def html_pages(output: Path) -> list[str]:
    """Site URL paths of every HTML page: `news/2019/slug/`, `404.html`, ... (index pages as folders)."""
    pages = []
    for path in sorted(output.rglob("*.html")):
        relative = path.relative_to(output).as_posix()
        pages.append(relative[: -len("index.html")] if relative.endswith("index.html") else relative)
    return pages


def page_kind(url_path: str, sections: set[str]) -> tuple:
    """Pages of one kind differ only in their names: news/2019/a/ and news/2018/b/ are one kind,
    fields/x/ and fields/x/page/2/ are two, en/fields/x/ is a third. `sections` are the site's
    top-level folders (news, fields, en, ...): section words are kept, every other name is a wildcard."""
    parts = [part for part in url_path.split("/") if part]
    return tuple(part if part in sections or part == "page" or part.endswith(".html") else "*" for part in parts)


def one_page_of_each_kind(output: Path) -> list[str]:
    """The first page of every kind found in the built site, so sections added later are checked too."""
    sections = {path.name for path in output.iterdir() if path.is_dir()}
    kinds = {}
    for url_path in html_pages(output):
        kinds.setdefault(page_kind(url_path, sections), url_path)
    return sorted(kinds.values())


def is_translation(url_path: str, output: Path) -> bool:
    """A page of another language edition: a top-level folder with its own 404 page (en/, zh-hant/)."""
    edition = url_path.split("/")[0]
    return "/" in url_path and (output / edition / "404.html").is_file()


# Where an HTML page or a stylesheet loads something from: everything but <a href> and the
# like, which are links a reader follows, not assets the browser fetches.
LOADING_ATTRIBUTES = {"src", "srcset", "poster", "data", "action", "formaction", "manifest", "background"}
LINK_RELATIONS_THAT_LOAD = {"stylesheet", "icon", "apple-touch-icon", "preload", "prefetch", "modulepreload",
                            "manifest", "mask-icon", "dns-prefetch", "preconnect"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)|@import\s+['"]([^'"]+)""")


class PageFacts(HTMLParser):
    """What one HTML page loads, links to and runs inline; stdlib parser, fast enough for every page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.assets: list[str] = []  # addresses the browser fetches
        self.links: list[str] = []  # <a href> addresses
        self.inline: list[str] = []  # inline scripts, styles and event handlers (a strict CSP blocks them)
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attributes.items():
            if name in LOADING_ATTRIBUTES and value:
                self.assets += ([candidate.split()[0] for candidate in value.split(",") if candidate.strip()]
                                if name == "srcset" else [value])
            if name.startswith("on"):
                self.inline.append(f"<{tag} {name}>")
        rel = set((attributes.get("rel") or "").split())
        if tag == "link" and rel & LINK_RELATIONS_THAT_LOAD:
            self.assets.append(attributes.get("href") or "")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if "style" in attributes:
            self.inline.append(f"<{tag} style>")
            self.assets += css_references(attributes["style"] or "")
        if tag == "style":
            self.inline.append("<style>")
            self._in_style = True
        if tag == "script" and not attributes.get("src") and attributes.get("type") != "application/ld+json":
            self.inline.append("<script> without src")

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.assets += css_references(data)


@functools.cache
def page_facts(path: Path) -> PageFacts:
    return PageFacts(path.read_text(encoding="utf-8"))


def page_file(output: Path, url_path: str) -> Path:
    return output / (url_path if url_path.endswith(".html") else url_path + "index.html")


def css_references(css: str) -> list[str]:
    return [url or imported for url, imported in CSS_URL.findall(css)]


def refuse_other_hosts(context) -> list[str]:
    """Make a Playwright browser context fetch only from the local test server; returns the refused URLs."""
    refused = []

    def only_this_site(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_site)
    return refused


def is_other_host(address: str) -> bool:
    """True for an address on another host (`https://cdn…`, `//cdn…`); data: and site paths are local,
    and so is the development host that absolute URLs use while SITEURL is empty."""
    parts = urlsplit(address.strip())
    return bool(parts.netloc) and parts.hostname not in {"localhost", "127.0.0.1"}
