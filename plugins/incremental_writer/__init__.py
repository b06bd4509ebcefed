"""Writing only what changed, on every core.

Pelican renders and writes every page of the site on every build, one after
another: at tens of thousands of news items an editor's preview after a
one-word correction takes minutes. This plugin gives Pelican a Writer (through
the documented `get_writer` signal) that

- keeps every page until the generators are done, then deals the pages out to
  one forked worker process per core, before any `finalized` receiver reads
  the output (workers.py);
- there, computes each page's key: a digest of the theme, the plugins' code,
  the settings, and the value of every variable the page's template (with
  everything it extends, includes and imports) can read (pagekeys.py);
- does not render or write a page whose key equals the one recorded when its
  file was last written, if that file is still there; into an emptied output
  (`invoke build`, a publication) it links the page kept under that key back
  from CACHE_PATH (rendered.py), while a process of its own deletes the old
  output beside the build (emptying.py); renders the others;
- removes the pages it wrote last time that this build no longer has (an
  item deleted or moved to another URL), as a clean build would.

Every page is still announced with `content_written` (the sitemap lists it)
and Pelican's own bookkeeping (a page written twice is an error) still holds.
The keys live in CACHE_PATH and are only kept when CACHE_CONTENT is on; without
it no key is computed.
"""

from __future__ import annotations

import json
import logging
import os
import time
from itertools import compress
from operator import is_not

import blinker
from pelican import signals
from pelican.contents import Content
from pelican.utils import sanitised_join
from pelican.writers import Writer

from portal_model import note_written, remove_page, write_whole
from portal_model.memory import return_freed_memory

from .emptying import start_emptying, wait_for_emptying
from .pagekeys import PageKeys
from .rendered import RenderedPages
from .workers import Job, PageContext, render, write_in_workers

log = logging.getLogger(__name__)

MANIFEST = "written-pages.json"
STORE = "rendered-pages"  # rendered.py
DEFAULTS = {
    # Fewer pages than this in a run are keyed and rendered in the build process: forking costs more.
    "PARALLEL_WRITING_MIN_PAGES": 100,
    # 0: one worker per core available to the build.
    "PARALLEL_WRITING_WORKERS": 0,
}
# Edited items' own pages written ahead, at most: an editor's save, not a change to the whole site.
WRITTEN_AHEAD_AT_MOST = 20

# Sent once a run's pages are written, with every page (`jobs`, workers.Job) and the variables each
# template reads (`template_variables`, by template name): plugins/quick_rebuild keeps them.
PAGES_WRITTEN = blinker.signal("pages_written")
# Sent with the `path` of each page written ahead (IncrementalWriter.write_ahead): plugins/search indexes it.
PAGE_WRITTEN_AHEAD = blinker.signal("page_written_ahead")

# The writer of each running build, by its settings: the `finalized` of that build flushes it.
_writers: dict[int, "IncrementalWriter"] = {}


class NothingWritten:
    """Where Pelican writes a deferred page's empty output: opening os.devnull for each of
    10,000 pages cost ~0.15 s."""

    def __enter__(self):
        return self

    def __exit__(self, *exception) -> None:
        return None

    def write(self, text: str) -> int:
        return len(text)


NOTHING_WRITTEN = NothingWritten()


class DeferredTemplate:
    """Stands in for a page's template: records the page instead of rendering it there and then."""

    def __init__(self, template, writer: "IncrementalWriter"):
        self.template = template
        self.writer = writer

    def render(self, localcontext) -> str:
        self.writer.defer(self.template, localcontext)
        return ""  # Pelican writes this nowhere: see IncrementalWriter._open_w


class IncrementalWriter(Writer):
    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings=settings)
        for name, value in DEFAULTS.items():
            self.settings.setdefault(name, value)
        # Keys are for the next build: none without a cache to keep them in.
        self.keys = PageKeys(self.settings) if self.settings.get("CACHE_CONTENT") else None
        self.manifest_path = os.path.join(self.settings["CACHE_PATH"], MANIFEST)
        self.store = RenderedPages(os.path.join(self.settings["CACHE_PATH"], STORE)) if self.keys else None
        manifest = self.load_manifest()
        self.previous: dict[str, str | None] = manifest.get("pages", {})
        if self.keys and manifest.get("build") == self.keys.build:
            self.keys.templates.update({name: (set(read), used) for name, (read, used)
                                        in manifest.get("templates", {}).items()})
            self.keys.fingerprints.stored = manifest.get("items", {})
        self.written: dict[str, str | None] = {}  # page (relative to the output) -> key
        self.jobs: list[tuple] = []
        self.bases: dict[tuple, tuple[dict, tuple]] = {}  # page context names -> (context, values)
        self.not_written: set[str] = set()  # absolute paths Pelican must not open
        self.written_ahead = 0  # pages tried
        # Only one build's writer waits at a time (each is flushed before the runs that `finalized`
        # starts): one left by a failed build would keep its pages' contexts, in a preview for ever.
        _writers.clear()
        _writers[id(self.settings)] = self

    def load_manifest(self) -> dict:
        # Not tied to LOAD_CONTENT_CACHE, which the reader's guard turns off for its own reasons:
        # a key already covers the code, theme and settings the page was written with.
        if not self.settings.get("CACHE_CONTENT"):
            return {}
        try:
            with open(self.manifest_path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def write_file(self, name, template, context, *args, **kwargs):
        return super().write_file(name, DeferredTemplate(template, self), context, *args, **kwargs)

    def defer(self, template, localcontext) -> None:
        """Keep the page until every generator is done: then it is keyed, and written if it changed."""
        name = localcontext["output_file"]
        path = sanitised_join(self.output_path, name)
        self.written[name] = None
        self.not_written.add(path)
        previous = self.previous.get(name) if self.keys is not None else None
        item = localcontext.get("article", localcontext.get("page"))
        item = item if isinstance(item, Content) else None  # the page's own item, if it is one's
        if self.writes_ahead(item, name):
            self.write_ahead(template, localcontext, path)
            previous = None  # what was written ahead is no page of a known key: rendered again at the end
        self.jobs.append(Job(template, self.compact(localcontext), path, name, previous,
                             item.source_path if item is not None else None))

    def writes_ahead(self, item: Content | None, name: str) -> bool:
        """Whether the page is the own page of an item new or edited since the last build."""
        if self.keys is None or not self.keys.fingerprints.stored or self.written_ahead >= WRITTEN_AHEAD_AT_MOST:
            return False  # no build before it to tell edits by: every item is new
        return item is not None and (name not in self.previous or self.keys.fingerprints.edited(item))

    def write_ahead(self, template, localcontext, path) -> None:
        """An edited item's page, written now rather than once every generator is done: what
        reads it (the search index of its period, plugins/search) starts while the rest is written.

        Rendered again with the others at the end, from the context as every generator left it:
        what that writes is the page. One that cannot be rendered yet is only rendered then,
        where a failure is reported.
        """
        self.written_ahead += 1  # tried: a template failing on every page is not tried on every page
        try:
            render(template, localcontext, path)
        except Exception:  # noqa: BLE001 — rendered again at the end, which reports it
            log.debug("incremental_writer: %s not written ahead", path, exc_info=True)
            return
        PAGE_WRITTEN_AHEAD.send(self, path=path)

    def compact(self, localcontext: dict) -> PageContext:
        """The page's context as the values that differ from the first page with the same names.

        Pages share nearly all of their ~100-250 entries (settings, lists, the site's data):
        a copy of every page's context dict took ~150 MB at 10,000 items, a tuple of all its
        values still ~0.9 KiB a page (12 MB at 5,000 items).
        """
        names = tuple(localcontext)
        values = tuple(localcontext.values())
        base = self.bases.get(names)
        if base is None:
            base = self.bases[names] = (dict(localcontext), values)
        changes = tuple(compress(localcontext.items(), map(is_not, values, base[1])))
        return PageContext(base[0], changes)

    def _open_w(self, filename, encoding, override=False):
        # A page written twice still goes to Pelican's check: two pages at one address is a mistake.
        if filename not in self.not_written or (filename in self._written_files and not override):
            return super()._open_w(filename, encoding, override)
        self._written_files.add(filename)
        return NOTHING_WRITTEN

    def finish(self) -> None:
        """Key the pages and write those that changed, drop the ones that are gone, record the keys."""
        started = time.perf_counter()
        workers = writing_workers(self.settings, len(self.jobs))
        written = write_in_workers(self.jobs, workers, self.keys, self.store)
        self.written.update(written.keys)
        for path in written.changed:  # the workers' files, which their own processes noted for nobody
            note_written(path)
        PAGES_WRITTEN.send(self, jobs=self.jobs, template_variables=self.keys.variables if self.keys else None)
        self.jobs, self.bases = [], {}
        self.remove_vanished_pages()
        if self.settings.get("CACHE_CONTENT"):
            self.store.forget_all_but(self.written)
            # With what each template reads (parsing them all again costs ~1 s a run) and the
            # digests of the items' own data (~0.5 ms an item).
            templates = {name: (sorted(read), used) for name, (read, used) in self.keys.templates.items()}
            save_manifest(self.manifest_path, {"build": self.keys.build, "templates": templates,
                                               "pages": self.written, "items": self.keys.fingerprints.fresh})
        # The digests memoised for this build (~1 KiB an item) are not needed once it is written:
        # the other editions' runs and the search index come after, in this same process.
        self.keys = None
        return_freed_memory()
        log.info("incremental_writer: %d pages rendered (%d worker%s; %d of them written ahead), %d unchanged, "
                 "%d restored, %.2f s", written.rendered, workers, "" if workers == 1 else "s", self.written_ahead,
                 written.unchanged, written.restored, time.perf_counter() - started)

    def remove_vanished_pages(self) -> None:
        for name in self.previous.keys() - self.written.keys():
            remove_page(sanitised_join(self.output_path, name))


def writing_workers(settings, pages: int) -> int:
    if pages < settings.get("PARALLEL_WRITING_MIN_PAGES", DEFAULTS["PARALLEL_WRITING_MIN_PAGES"]):
        return 1
    return settings.get("PARALLEL_WRITING_WORKERS") or len(os.sched_getaffinity(0))


def save_manifest(path: str, manifest: dict) -> None:
    write_whole(path, json.dumps(manifest, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def forget_keys(settings, names) -> None:
    """Pages written again outside a build (plugins/quick_rebuild): their recorded keys no longer
    tell what their files hold, so the next build renders them, as it does a page it never wrote."""
    path = os.path.join(settings["CACHE_PATH"], MANIFEST)
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError):
        return  # no keys kept: every page is rendered anyway
    pages = manifest.get("pages", {})
    pages.update((name, None) for name in names if name in pages)
    save_manifest(path, manifest)


def get_writer(pelican):
    return IncrementalWriter


def flush_before_finalized(original_send):
    """Every `finalized` receiver reads the output: the deferred pages are written first.

    Receivers of one signal run in no fixed order, so this cannot be a receiver
    itself; pelican-granular-signals wraps the same `send` for the same reason.
    """

    def send(sender, *args, **kwargs):
        writer = _writers.pop(id(getattr(sender, "settings", None)), None)
        if writer is not None:
            writer.finish()
        return original_send(sender, *args, **kwargs)

    send.flushes_writer = True
    return send


def register():
    signals.get_writer.connect(get_writer)
    signals.get_generators.connect(start_emptying)
    signals.finalized.connect(wait_for_emptying)
    if not getattr(signals.finalized.send, "flushes_writer", False):
        signals.finalized.send = flush_before_finalized(signals.finalized.send)
