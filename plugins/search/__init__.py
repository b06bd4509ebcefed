"""Site search: the `/search/` page, a search box for the header, and a Pagefind index.

Pagefind (`pagefind[extended]`, whose binary segments Chinese words) reads the
finished HTML and writes a static index to `/pagefind/`; the search page queries
it in the browser with `pagefind.js`, served from the site itself. Only the
regions the theme marks `data-pagefind-body` (news items, standing pages) are
indexed, so pages that are never written (drafts, future items) cannot be found.
Chinese is indexed character by character: see indexing.py for why.

Each language (`zh-cn`, `en`, the pages' `<html lang>`) gets its own index, which the
Traditional edition (`zh-hant`, the simplified pages converted) searches through the
simplified one (scripts.py). An index is made of shards of at most SEARCH_SHARD_SIZE pages, each a Pagefind bundle of its own
(shards.py), which the search page merges. Indexing must come after the editions are
written at `finalized`, and Pelican calls the receivers of one signal in no fixed
order; so the index is built at the "sitemap" signal of pelican-granular-signals,
which is sent after every `finalized` receiver has run (and before its "compress"
signal, so precompress also compresses the bundles).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import blinker
import pelican.plugins.granular_signals
from pelican import signals
from pelican.generators import Generator

from .indexing import BUNDLE_FOLDER, Report

log = logging.getLogger(__name__)

DEFAULTS = {
    "SEARCH_URL": "search/",
    # Long enough for an English phrase; the old portal allowed 20 characters.
    "SEARCH_MAX_LENGTH": 50,
    # False for a build that is itself part of a larger site, indexed as a whole afterwards.
    "SEARCH_INDEX": True,
    # Pages per Pagefind run: its memory grows ~0.3 MB a page (about 300 MB at 800).
    "SEARCH_SHARD_SIZE": 800,
    # Pagefind runs at a time, each its own process (one per core of the build machine).
    "SEARCH_PARALLEL_RUNS": 2,
    # Editions (<html lang>) whose pages are another's (`index`) converted, at the same paths under
    # their `folder`: searched through that one's index (scripts.py).
    "SEARCH_CONVERTED_EDITIONS": {"zh-hant": {"index": "zh-cn", "folder": "zh-hant/"}},
}


def add_settings(pelican_instance):
    settings = pelican_instance.settings
    for name, value in DEFAULTS.items():
        settings.setdefault(name, value)
    # The index covers every edition, so it lives once, at the root of the whole site.
    settings.setdefault("SEARCH_BUNDLE_URL", f"{settings['SITEURL']}/{BUNDLE_FOLDER}/")


class SearchPageGenerator(Generator):
    """Writes `/search/`; the results themselves are drawn in the browser by js/search.js."""

    def generate_output(self, writer):
        writer.write_file(
            f"{self.settings['SEARCH_URL']}index.html", self.get_template("search"), self.context,
            relative_urls=self.settings["RELATIVE_URLS"], template_name="search",
            url=self.settings["SEARCH_URL"],
        )


def index_site(pelican_instance):
    settings = pelican_instance.settings
    if not settings["SEARCH_INDEX"]:
        return
    started = time.perf_counter()
    # Like Pelican's content cache: what is known of the last index is kept only when CACHE_CONTENT is on.
    cache = os.path.join(settings["CACHE_PATH"], "search.json") if settings.get("CACHE_CONTENT") else None
    report = index_elsewhere(site=settings["OUTPUT_PATH"], shard_size=settings["SEARCH_SHARD_SIZE"],
                             parallel_runs=settings["SEARCH_PARALLEL_RUNS"], cache=cache,
                             converted_editions=settings["SEARCH_CONVERTED_EDITIONS"])
    log.info("search: %d pages (%s) in %d shards; %d indexed again, %d removed, in %.2f s",
             sum(report.pages.values()), ", ".join(f"{lang} {count}" for lang, count in sorted(report.pages.items())),
             report.shards, len(report.indexed), len(report.removed), time.perf_counter() - started)


def index_elsewhere(**options) -> Report:
    """write_index in a fresh Python process. This one holds the whole build (~350 MiB at 20,000
    items), of which the index needs nothing, and every shard's worker forked from here would
    start with all of it: the index set the build's peak memory."""
    plugins = str(Path(__file__).resolve().parent.parent)
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [plugins, os.environ.get("PYTHONPATH")])))
    run = subprocess.run([sys.executable, "-m", "search.indexing", json.dumps(options)],
                         env=environment, capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(run.stderr.strip() or f"search.indexing stopped with status {run.returncode}")
    return Report(**json.loads(run.stdout))


def get_generators(pelican_instance):
    return SearchPageGenerator


def register():
    pelican.plugins.granular_signals.register()
    signals.initialized.connect(add_settings)
    signals.get_generators.connect(get_generators)
    blinker.signal("sitemap").connect(index_site)
