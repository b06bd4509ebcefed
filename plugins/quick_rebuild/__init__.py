"""The preview's quick rebuild: after an edit to one news item's text, only what shows that item.

A full rebuild, even one that renders only changed pages (plugins/incremental_writer),
makes the whole site's model again: every item, its neighbours and lists, and a key
for every page. At 10,000 items that is over 15 s after each save. Most saves
change an item's words only (its body, title or summary), which moves it in no
list. For those the preview keeps the last build (generators, context, and every
page with its template and context: QUICK_REBUILD, set by tasks.preview_builds)
and patches it:

1. the edited file is checked and read as the build read it; if anything but its
   text differs from the item the build holds (date, fields, provinces, slug,
   status, tasks, milestone …), or another file changed too, the preview makes a
   full build instead;
2. the held item takes the new text, in place: every list and page context
   that holds the item now shows the new one;
3. plugins that copied some of the item's text refresh their files
   (`item_edited_in_place`: the feeds that show it, the timelines' data);
4. the pages whose template can read the item (`Mentions`, which searches the
   values a page key digests) are rendered again, and their recorded keys are
   forgotten, so the next full build renders them too;
5. the other editions follow (`quick_rebuild_written`: plugins/editions converts
   the Traditional pages, then plugins/search indexes beside the preview).

The result is the site a full build of the same content writes (the tests compare).

Why hand-written: Pelican has no partial rebuild, and its autoreload rebuilds everything.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import gettext
import logging
import os
import time
import types

from jinja2.runtime import Undefined
from pelican import signals
from pelican.contents import Article, Content
from pelican.generators import ArticlesGenerator
from pelican.paginator import Page, Paginator
from pelican.urlwrappers import URLWrapper

from incremental_writer import PAGES_WRITTEN, forget_keys, writing_workers
from incremental_writer.pagekeys import CONTENT_NOT_OWN, NOT_OWN, PLAIN, Fingerprints
from incremental_writer.workers import write_in_workers
from item_memory import RUN as REMEMBERING
from portal_model import ITEM_EDITED_IN_PLACE, QUICK_REBUILD_WRITTEN, model_for, parse_datetime, written_outside_a_build
from portal_model.memory import forget_built_items
from strict_content import check_alone
from strict_content.fast_reading import READING as PARSING_AHEAD

log = logging.getLogger(__name__)

QUICK_REBUILD = "QUICK_REBUILD"  # the output folder whose build is kept (absolute), or unset
# What an edit may change for the item to be patched in place: its words, not where it is listed.
TEXT_ATTRIBUTES = frozenset({"title", "_content", "_summary", "source"})
TEXT_METADATA = frozenset({"title", "summary", "source"})
MISSING = object()
# Values that show no item's text: counts, names, addresses, dates, interface text.
SHOWING_NO_ITEM = (Paginator, URLWrapper, gettext.NullTranslations, Undefined, enum.Enum, type,
                   int, float, str, bytes, datetime.date, datetime.time, datetime.tzinfo, types.BuiltinFunctionType)


@dataclasses.dataclass
class KeptBuild:
    pelican: object = None
    generators: list | None = None
    jobs: list | None = None  # incremental_writer's workers.Job, every page of the run
    template_variables: dict | None = None  # template name -> the names it reads (None: it cannot tell)
    next_publication: datetime.datetime | None = None  # when the first future-dated item is due

    @property
    def complete(self) -> bool:
        return None not in (self.pelican, self.generators, self.jobs, self.template_variables)


_kept: dict[str, KeptBuild] = {}  # by output folder, while its build runs


def kept_for(settings) -> KeptBuild | None:
    output = settings.get(QUICK_REBUILD)
    # The English run writes under output/en, with a copy of these settings: it is never kept.
    if output is None or output != os.path.abspath(settings["OUTPUT_PATH"]):
        return None
    return _kept.setdefault(output, KeptBuild())


def keep_generators(generators) -> None:
    settings = generators[0].settings
    kept = kept_for(settings)
    if kept is not None:
        kept.generators = generators
        kept.next_publication = next_publication(settings)


def next_publication(settings) -> datetime.datetime | None:
    """When the first item dated in the future is due (WITH_FUTURE_DATES off): from then on a full
    build publishes it, and the kept build, which has it as a draft, cannot show it."""
    now = datetime.datetime.now(datetime.timezone.utc)
    dates = (parse_datetime(source.meta["date"]) for source in settings["PORTAL_SOURCES"].values()
             if source.meta.get("date"))
    return min((date for date in dates if date > now), default=None)


def keep_pages(writer, jobs, template_variables) -> None:
    kept = kept_for(writer.settings)
    if kept is not None:
        kept.jobs, kept.template_variables = list(jobs), template_variables


def keep_pelican(pelican) -> None:
    kept = kept_for(pelican.settings)
    if kept is not None:
        kept.pelican = pelican


def take_kept_build(output: str) -> KeptBuild | None:
    """The build just made into `output`, if it can be patched; forgotten here either way."""
    kept = _kept.pop(os.path.abspath(output), None)
    return kept if kept is not None and kept.complete else None


def forget_kept_build(output: str) -> None:
    _kept.pop(os.path.abspath(output), None)


def file_stamps(*tops: str) -> dict[str, tuple[int, int]]:
    """(modification time, size) of every file under `tops` (folders or files) but editors' hidden and
    temporary ones (.x.swp, ~$x.docx, #x.md#, x.md~): what tells the preview which files a save changed."""
    paths = []
    for top in tops:
        if os.path.isfile(top):
            paths.append(top)
        for folder, folders, files in os.walk(top, followlinks=True):
            folders[:] = [name for name in folders if not name.startswith(".")]
            paths += [os.path.join(folder, name) for name in files
                      if not name.startswith((".", "~$", "#")) and not name.endswith("~")]
    stamps = {}
    for path in paths:
        try:
            status = os.stat(path)
        except FileNotFoundError:  # a temporary file, gone already
            continue
        stamps[path] = (status.st_mtime_ns, status.st_size)
    return stamps


def changed_files(before: dict, now: dict) -> list[str]:
    return sorted(differing_keys(before, now))


# ---------------------------------------------------------------- the edited item

def edited_item(kept: KeptBuild, path: str) -> tuple[object, bool]:
    """The kept build's item of `path`, given the file's new text in place, and whether its face
    (what lists show of it) changed; None if the edit does more than change its text, or the file
    has a problem (the full build reports it)."""
    settings = kept.pelican.settings
    articles = next(g for g in kept.generators if isinstance(g, ArticlesGenerator))
    item = articles.context["generated_content"].get(os.path.relpath(path, articles.path))
    if item is None or item not in articles.articles or item.lang != settings["DEFAULT_LANG"] or not os.path.isfile(path):
        return None, False  # not a published simplified item (anymore)
    sources, source_path = settings["PORTAL_SOURCES"], os.path.abspath(path)
    known = sources[source_path]
    status = os.stat(path)  # before reading, as the check: a save made meanwhile is seen next time
    source, problems = check_alone(model_for(settings), path, "article")
    if source is None or problems or not words_only(known.meta, source.meta):
        return None, False
    # What apply_source reads, and the file's time that Pelican's content cache goes by
    # (strict_content's share_file_stamps): with the last build's, a second save would be served
    # the first one's text from the cache.
    sources[source_path] = dataclasses.replace(known, meta=source.meta, modified=status.st_mtime,
                                               size=status.st_size)
    fresh = read_alone(articles, path)
    if not (fresh.is_valid() and in_same_place(item, fresh)):
        sources[source_path] = known
        return None, False
    face = Fingerprints().face(item)
    give_words(item, fresh)
    forget_built_items()  # Pelican's memoized texts of items: the edited one's are the old ones
    return item, Fingerprints().face(item) != face


def differing_keys(before: dict, after: dict) -> set:
    return {key for key in before.keys() | after.keys() if before.get(key, MISSING) != after.get(key, MISSING)}


def words_only(before: dict, after: dict) -> bool:
    """Whether a header edit changes only the item's words. Without a Slug the URL is the
    title's pinyin: a new title moves the item."""
    changed = differing_keys(before, after)
    return not changed - TEXT_METADATA and ("title" not in changed or "slug" in after)


def read_alone(articles, path: str):
    """The file made into an item as the build made it, without what serves whole builds: parsing
    the site ahead (strict_content's fast_reading) and remembering items for the next (item_memory)."""
    settings = articles.settings
    settings[PARSING_AHEAD] = False
    try:
        return articles.readers.read_file(
            base_path=articles.path, path=os.path.relpath(path, articles.path), content_class=Article,
            context=articles.context, preread_signal=signals.article_generator_preread, preread_sender=articles,
            context_signal=signals.article_generator_context, context_sender=articles)
    finally:
        settings.pop(REMEMBERING, None)


def in_same_place(item, fresh) -> bool:
    """Whether the item made again differs from the build's in its words only: its metadata (the
    summary derived from the body included) but for TEXT_METADATA, the files it links to, and
    every other attribute are the same."""
    if differing_keys(item.metadata, fresh.metadata) - TEXT_METADATA or links_elsewhere(fresh) != links_elsewhere(item):
        return False
    # Empty when made, filled in once every item is read (item_neighbours' lists): as the build left them.
    compared_apart = NOT_OWN | TEXT_ATTRIBUTES | {"metadata"}
    return all(vars(item).get(name, MISSING) == value for name, value in vars(fresh).items()
               if name not in compared_apart and (value or not getattr(item, name, None)))


def give_words(item, fresh) -> None:
    for name in TEXT_ATTRIBUTES:
        if name in vars(fresh):
            setattr(item, name, getattr(fresh, name))
        else:  # its header line was removed
            vars(item).pop(name, None)
    for key in differing_keys(item.metadata, fresh.metadata):  # the item's own dict: feeds … read it there
        if key in fresh.metadata:
            item.metadata[key] = fresh.metadata[key]
        else:
            del item.metadata[key]


def links_elsewhere(item) -> list[str]:
    """Links to other content files in the body: Pelican copies the static files they name."""
    return sorted(link.group(0) for link in item._get_intrasite_link_regex().finditer(item._content or ""))


# ---------------------------------------------------------------- the pages that show it

class Mentions:
    """Whether a page's template variable can show `item`.

    Searches the values as pagekeys.Fingerprints digests them (a page's key covers
    exactly what the page shows), for the item instead of for a digest: the
    page's own item with the items it refers to, listing pages by their items,
    containers by their members, objects by their attributes.
    """

    def __init__(self, item, by_face: bool = True):
        self.item = item
        self.by_face = by_face  # False: the item's face (all but its body) is as before: shown as the page's own only
        self.known: dict[int, tuple[object, bool]] = {}  # values met on many pages, by id
        self.active: set[int] = set()  # values being searched, outermost first
        self.back_references = 0  # values met again inside themselves, so far

    def __call__(self, value, depth: int = 0) -> bool:
        if value is self.item:
            return True
        if type(value) in PLAIN or not self.by_face:
            return False
        if isinstance(value, Content) and depth:  # another item, shown by its own title, date, summary …
            return False
        key = id(value)
        known = self.known.get(key)
        if known is not None and known[0] is value:
            return known[1]
        if key in self.active:  # met again inside itself (a plan's tasks refer back to the plan)
            self.back_references += 1
            return False  # searched where it was first met
        self.active.add(key)
        back_references = self.back_references
        try:
            found = self.search(value, depth)
        finally:
            self.active.discard(key)
        # Not found, but met again a value still being searched: known once the outermost is done.
        if found or self.back_references == back_references or not self.active:
            self.known[key] = (value, found)
        return found

    def search(self, value, depth: int) -> bool:
        nested = functools.partial(self, depth=depth + 1)
        if isinstance(value, Content):  # the page's own item: the items it refers to, by their faces
            return any(map(nested, (v for name, v in vars(value).items() if name not in CONTENT_NOT_OWN)))
        if isinstance(value, Page):
            return any(item is self.item for item in value.object_list)
        if isinstance(value, (list, tuple, set, frozenset)):
            return any(map(nested, value))
        if isinstance(value, dict):
            return any(map(nested, value.keys())) or any(map(nested, value.values()))
        if isinstance(value, SHOWING_NO_ITEM):
            return False
        if isinstance(value, functools.partial):
            return nested([value.func, value.args, value.keywords])
        if isinstance(value, types.MethodType):
            return nested(value.__self__)
        if isinstance(value, types.FunctionType):
            return nested([cell.cell_contents for cell in value.__closure__ or ()])
        if dataclasses.is_dataclass(value):
            return nested([getattr(value, f.name) for f in dataclasses.fields(value) if f.name not in NOT_OWN])
        if hasattr(value, "__dict__"):
            return nested([v for name, v in vars(value).items() if name not in NOT_OWN])
        return True  # cannot see into it: the page is rendered again, as an unkeyed page is


def pages_showing(kept: KeptBuild, item, face_changed: bool) -> list:
    mentions = Mentions(item, by_face=face_changed)
    showing = []
    by_base: dict[tuple, frozenset] = {}  # (base context, template) -> names whose shared value shows it
    for job in kept.jobs:
        names = kept.template_variables.get(job.template.name)
        if names is None:  # a template included by a computed name: anything may show
            showing.append(job)
            continue
        base = job.context.base
        group = (id(base), job.template.name)
        shared = by_base.get(group)
        if shared is None:
            environment_globals = job.template.environment.globals
            shared = by_base[group] = frozenset(
                name for name in names if mentions(base.get(name, environment_globals.get(name))))
        own = {name for name, _ in job.context.changes}
        if shared - own or any(mentions(value) for name, value in job.context.changes if name in names):
            showing.append(job)
    return showing


# ---------------------------------------------------------------- the rebuild

def rebuild(kept: KeptBuild, path: str) -> bool:
    """Patch the kept build for the edit of `path`; False if only a full build can show it."""
    if kept.next_publication and datetime.datetime.now(datetime.timezone.utc) >= kept.next_publication:
        return False  # a scheduled item is due: a full build publishes it
    try:
        return patch(kept, path)
    except Exception:  # noqa: BLE001 — the full build that follows reports what is wrong, for the editor
        log.warning("quick_rebuild: %s could not be patched in; making a full build",
                    os.path.relpath(path, kept.pelican.settings["PATH"]), exc_info=True)
        return False


def patch(kept: KeptBuild, path: str) -> bool:
    started = time.perf_counter()
    item, face_changed = edited_item(kept, path)
    if item is None:
        return False
    settings = kept.pelican.settings
    written_outside_a_build(settings)  # before the first file: the next build's steps walk the output
    ITEM_EDITED_IN_PLACE.send(item, generators=kept.generators)
    pages = pages_showing(kept, item, face_changed)
    # Before any page is written: a page written now no longer holds what its recorded key says.
    forget_keys(settings, [job.name for job in pages])
    write_in_workers(pages, writing_workers(settings, len(pages)))
    forget_built_items()
    QUICK_REBUILD_WRITTEN.send(kept.pelican)
    log.info("quick_rebuild: %s: %d pages rendered again in %.2f s",
             os.path.relpath(path, settings["PATH"]), len(pages), time.perf_counter() - started)
    return True


def register():
    signals.initialized.connect(keep_pelican)
    signals.all_generators_finalized.connect(keep_generators)
    PAGES_WRITTEN.connect(keep_pages)
