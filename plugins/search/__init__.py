"""Site search: the `/search/` page, a search box for the header, and a Pagefind index.

Pagefind (`pagefind[extended]`, whose binary segments Chinese words) reads the
finished HTML and writes a static index to `/pagefind/`; the search page queries
it in the browser with `pagefind.js`, served from the site itself. Only the
regions the theme marks `data-pagefind-body` (news items, standing pages) are
indexed, so pages that are never written (drafts, future items) cannot be found.
Chinese is indexed character by character: see indexing.py for why.

Pagefind splits its index by each page's `<html lang>`: one run over the whole
output gives one index per edition (`zh-cn`, `zh-hant`, `en`). That run must come
after the editions are written at `finalized`, and Pelican calls the receivers of
one signal in no fixed order; so the index is built at the "sitemap" signal of
pelican-granular-signals, which is sent after every `finalized` receiver has run
(and before its "compress" signal, so precompress also compresses the bundle).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import blinker
import pelican.plugins.granular_signals
from pelican import signals
from pelican.generators import Generator

from .indexing import BUNDLE_FOLDER, write_index

log = logging.getLogger(__name__)

DEFAULTS = {
    "SEARCH_URL": "search/",
    # Long enough for an English phrase; the old portal allowed 20 characters.
    "SEARCH_MAX_LENGTH": 50,
    # False for a build that is itself part of a larger site, indexed as a whole afterwards.
    "SEARCH_INDEX": True,
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
    pages = write_index(Path(settings["OUTPUT_PATH"]))
    log.info("search: indexed %d pages (%s) in %.2f s", sum(pages.values()),
             ", ".join(f"{lang} {count}" for lang, count in sorted(pages.items())),
             time.perf_counter() - started)


def get_generators(pelican_instance):
    return SearchPageGenerator


def register():
    pelican.plugins.granular_signals.register()
    signals.initialized.connect(add_settings)
    signals.get_generators.connect(get_generators)
    blinker.signal("sitemap").connect(index_site)
