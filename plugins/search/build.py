"""The plugin's side of a Pelican build: settings, the `/search/` page, and the index."""

from __future__ import annotations

import logging
import subprocess
import time

import blinker
import pelican.plugins.granular_signals
from pelican import signals
from pelican.generators import Generator

from portal_model import PluginProcess, changes_summary, kept_between_builds

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
    # Editions (<html lang>) whose pages are another's (`index`) converted by OpenCC's `conversion`,
    # at the same paths under their `folder`: searched through that one's index (scripts.py).
    # plugins/editions sets it for the Traditional edition.
    "SEARCH_CONVERTED_EDITIONS": {},
}

# Sent by plugins/editions once the root edition is written, before it builds the others into
# `pending_folders`: the index starts then, beside them, and takes those folders at the end.
ROOT_EDITION_WRITTEN = blinker.signal("root_edition_written")


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


class IndexRun:
    """write_index in a process of its own (portal_model.PluginProcess), from its start to its report.

    Started with the build, so that Python's start and what it reads first (its record of the
    last index, the character tables) are done on the other core while the root edition is made;
    `begin` lets it go on once the edition is written.
    """

    def __init__(self, settings):
        self.started = time.perf_counter()
        cache = kept_between_builds(settings, "search.json")  # what is known of the last index
        options = dict(site=settings["OUTPUT_PATH"], shard_size=settings["SEARCH_SHARD_SIZE"],
                       parallel_runs=settings["SEARCH_PARALLEL_RUNS"], cache=cache,
                       converted_editions=settings["SEARCH_CONVERTED_EDITIONS"])
        # Its input stays open until the pending folders are written: closing it tells the process so.
        self.process = PluginProcess("search.indexing", options, stdin=subprocess.PIPE)
        self.begun = False

    def begin(self, settings, pending_folders=()) -> None:
        """The root edition is written: index it, with what the build changed, and `pending_folders` later."""
        if self.begun:
            return
        self.process.tell({"later": list(pending_folders), "changes": changes_summary(settings)})
        self.begun = True

    def ahead(self, settings) -> None:
        """Pages written ahead of the root edition (an edited item's, plugins/incremental_writer):
        their shards are indexed while the rest of the edition is written."""
        changes = changes_summary(settings)
        if not self.begun and changes and changes["written"]:
            self.process.tell({"ahead": changes})

    def report(self) -> Report:
        """Once the pending folders are written."""
        return Report(**self.process.answer())


_runs: dict[int, IndexRun] = {}  # by id(settings): a process may make several builds (the preview)
# The run a quick rebuild of the preview started (plugins/quick_rebuild): the preview shows the
# pages at once and the index follows; the next build or index run waits for it to end.
_beside_preview: list[IndexRun] = []


def prestart_index(pelican_instance):
    """At `get_generators`: the index's process starts beside the build. Returns no generator."""
    settings = pelican_instance.settings
    if settings["SEARCH_INDEX"] and id(settings) not in _runs:
        # The builds of one process follow one another: a run still here is of a build that stopped half-way.
        for abandoned in _runs.values():
            abandoned.process.kill()
        _runs.clear()
        _runs[id(settings)] = IndexRun(settings)


def start_index(pelican_instance, pending_folders=(), beside_preview=False):
    settings = pelican_instance.settings
    finish_index_beside_preview()
    if not settings["SEARCH_INDEX"]:
        return
    if beside_preview:
        run = IndexRun(settings)
        run.begin(settings)
        _beside_preview.append(run)
    else:
        prestart_index(pelican_instance)
        _runs[id(settings)].begin(settings, pending_folders)


def index_ahead(writer, path=None):
    """A page written ahead of the rest of the root edition (an edited item's, plugins/incremental_writer)."""
    run = _runs.get(id(writer.settings))
    if run is not None:
        run.ahead(writer.settings)


def log_report(run: IndexRun) -> None:
    report = run.report()
    log.info("search: %d pages (%s) in %d shards; %d indexed again, %d removed, in %.2f s",
             sum(report.pages.values()), ", ".join(f"{lang} {count}" for lang, count in sorted(report.pages.items())),
             report.shards, len(report.indexed), len(report.removed), time.perf_counter() - run.started)


def index_site(pelican_instance):
    settings = pelican_instance.settings
    if not settings["SEARCH_INDEX"]:
        return
    start_index(pelican_instance)  # without plugins/editions, not begun before
    log_report(_runs.pop(id(settings)))


def finish_index_beside_preview(*_):
    while _beside_preview:
        try:
            log_report(_beside_preview.pop())
        except RuntimeError as failure:  # the preview's last edit; the next build indexes again
            log.warning("search: the index of the preview's last edit failed: %s", failure)


def get_generators(pelican_instance):
    return SearchPageGenerator


def register():
    pelican.plugins.granular_signals.register()
    signals.initialized.connect(add_settings)
    signals.initialized.connect(finish_index_beside_preview)
    signals.get_generators.connect(get_generators)
    signals.get_generators.connect(prestart_index)
    blinker.signal("page_written_ahead").connect(index_ahead)  # plugins/incremental_writer
    ROOT_EDITION_WRITTEN.connect(start_index)
    blinker.signal("sitemap").connect(index_site)
