"""Helpers for tests: build a small site into a temp folder, serve it, drive Chromium.

Imported by the tests of every plugin (pytest puts tests/ and plugins/ on the path).
"""

from __future__ import annotations

import contextlib
import filecmp
import functools
import http.server
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from bs4 import BeautifulSoup
from editions import PRECOMPRESS_ALGORITHMS

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CONTENT = ROOT / "content"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def write_content(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: text} into a content folder; text is dedented."""
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


# Development builds are not precompressed. But signal receivers outlive a build: once another test
# of the same process has made a production build (publishconf.py), pelican-precompress would
# compress every later build's output too.
NOT_PRECOMPRESSED = {"pelicanconf.py": dict.fromkeys(PRECOMPRESS_ALGORITHMS, False)}


def settings_for(content: Path, output: Path, settings_file: str = "pelicanconf.py", **overrides):
    from pelican.settings import read_settings

    overrides = {"PATH": str(content), "OUTPUT_PATH": str(output), "CACHE_PATH": str(output.parent / "cache"),
                 "LOAD_CONTENT_CACHE": False, **NOT_PRECOMPRESSED.get(settings_file, {}), **overrides}
    return read_settings(str(ROOT / settings_file), override=overrides)


def build_site(content: Path | dict, tmp_path: Path, **overrides) -> Path:
    """Build `content` (a folder, or files for write_content) in-process; return the output folder.

    Raises portal_model.ContentProblems when the content is refused.
    """
    from pelican import Pelican

    if isinstance(content, dict):
        content = write_content(tmp_path / "content", content)
    output = tmp_path / "output"
    Pelican(settings_for(Path(content), output, **overrides)).run()
    return output


def run_pelican(content: Path, output: Path, settings_file: str = "pelicanconf.py"):
    """Build with the real command line, as an editor would; return the completed process."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "pelican"), str(content), "-s", settings_file, "-o", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )


def soup(output: Path, url_path: str) -> BeautifulSoup:
    """Parse the page at a site URL path such as `news/2019/slug/`."""
    path = output / url_path.lstrip("/")
    if url_path.endswith("/") or not url_path:
        path = path / "index.html"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def tree_differences(left: Path, right: Path, ignore=("pagefind",)) -> list[str]:
    """Files that differ, or exist on one side only, between two built sites."""
    comparison = filecmp.dircmp(left, right, ignore=list(ignore))
    differences = []

    def walk(node, prefix):
        differences.extend(f"{prefix}{name} (only on one side)" for name in node.left_only + node.right_only)
        _, mismatch, errors = filecmp.cmpfiles(node.left, node.right, node.common_files, shallow=False)
        differences.extend(f"{prefix}{name}" for name in mismatch + errors)
        for name, child in node.subdirs.items():
            walk(child, f"{prefix}{name}/")

    walk(comparison, "")
    return differences


@functools.cache
def sample_site(folder: str) -> Path:
    """The sample portal, built once per test process into `folder`."""
    output = Path(folder)
    shutil.rmtree(output, ignore_errors=True)
    result = run_pelican(SAMPLE_CONTENT, output)
    assert result.returncode == 0, result.stdout + result.stderr
    return output


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(output: Path):
    """Serve a built site on a free loopback port; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(output))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium():
    """Debian's Chromium driven by Playwright (Playwright's own browser downloads do not work here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def have_chromium() -> bool:
    return os.path.exists(CHROMIUM)
