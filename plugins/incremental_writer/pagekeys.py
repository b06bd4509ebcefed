"""A page's key: a digest of everything its output can depend on.

    key = digest(build inputs, template, page, the value of every variable the template reads,
                 each asking global's part for this page)

- Build inputs: every file of the theme (templates, static files, the
  translation catalogue), every module of the plugins but their tests, the versions of the
  libraries that render, and the settings. Jinja filters and tests are taken
  to be pure functions of these.
- Variables: jinja2.meta lists the names a template reads that it does not set
  itself; the names of the templates it extends, includes and imports are
  followed. Each name is looked up as Jinja would (page context, then the
  environment's globals) and its value digested. jinja2.meta leaves out the
  names of globals, though: those count through the settings (JINJA_GLOBALS),
  by their `cache_digest()` where they have one.
- Asking globals: a global whose answer depends on the page that asks (the
  editions' `edition_links`) also has `page_digest(output_file)`, which is added
  to each page's key: what every page shares stays in the settings' digest.

How a value is digested (`Fingerprints.of`): plain data by value; the news item
or page a page is about (a template variable whose value is pelican Content) by
its body, metadata and derived attributes, and the items it refers to
(neighbours, related items, translations) by their "face": what a list shows
of an item (title, date, URL, summary, metadata), without its body. Items
anywhere else (in lists, in listing pages, in other objects) count by their face
too: a template that shows an item's body must get the item as a variable of
its own, as article.html and page.html do. A listing page counts by its number
and its items, its paginator by its counts;
functions by name, closures by what they close over; an object with a
`cache_digest()` method by what that returns; other objects by their
attributes, lazily computed ones (`functools.cached_property`) included.
A value of a kind this cannot see into makes the page "unkeyed": it is
rendered on every build.

Why hand-written: Pelican and Jinja have no dependency tracking, and the
pelican-plugins org has no incremental writer.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import gettext
import hashlib
import importlib.metadata
import logging
import os
import re
import types
from datetime import date, datetime, time, tzinfo
from pathlib import Path

from jinja2 import meta
from jinja2.runtime import Undefined
from markupsafe import Markup
from pelican.contents import Content
from pelican.paginator import Page, Paginator
from pelican.urlwrappers import URLWrapper

from portal_model import file_time_and_size

log = logging.getLogger(__name__)

LIBRARIES = ("pelican", "jinja2", "markupsafe", "markdown", "babel")
# Attributes that are the whole build's, not the object's own; and Content's `metadata`,
# whose every entry Pelican also sets as an attribute of its own.
NOT_OWN = frozenset({"settings", "_context"})
CONTENT_NOT_OWN = NOT_OWN | {"metadata"}
# Settings that are one run's state (content sources, pages written …) or say how to build, not what:
# the preview's first build empties the output (DELETE_OUTPUT_DIRECTORY) and the next ones do not,
# and remember their items (REMEMBER_ITEMS, plugins/item_memory).
RUN_STATE = re.compile(r"^PORTAL($|_)|^(LOAD_CONTENT_CACHE|CACHE_CONTENT|CACHE_PATH"
                       r"|DELETE_OUTPUT_DIRECTORY|REMEMBER_ITEMS)$|^PARALLEL_")
# How Jinja compiles the templates (autoescape, trim_blocks, extensions …) counts; where it keeps
# them compiled does not (plugins/editions' cache: an object whose contents grow during the build).
NOT_CONFIGURATION = {"JINJA_ENVIRONMENT": ("bytecode_cache",)}
# Links between content files are resolved when the page is rendered, from other items' URLs.
INTRASITE_LINK = re.compile(r"[{|](?:filename|static|attach|index|tag|category|author)[|}]")
MISSING = object()
PLAIN = frozenset({str, int, float, bool, type(None), bytes, Markup})
CONTAINERS = (list, tuple, set, frozenset, dict)  # a tuple, for isinstance on every value digested


class Unkeyed(Exception):
    """A value whose changes cannot be seen: its page is rendered every time."""


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class Fingerprints:
    """Digests of template variables' values, memoised for the objects that live the whole build."""

    def __init__(self, stored: dict | None = None):
        self.contents: dict[int, tuple[Content, str]] = {}
        self.owns: dict[int, tuple[Content, tuple[str, str]]] = {}
        # Own-data digests by source path, from the last build (same code and settings) and for the next.
        self.stored: dict[str, list] = stored or {}
        self.fresh: dict[str, list] = {}
        self.active: set[int] = set()  # objects being digested, outermost first
        self.lasting: dict[int, tuple[object, str]] = {}  # other objects, for the whole build
        self.listing_pages: dict[tuple[int, int], tuple[Paginator, str]] = {}  # by paginator and number
        self.referring: dict[int, tuple[object, bool]] = {}  # dataclass instances: refer to content?

    def refers_to_content(self, value) -> bool:
        if type(value) in PLAIN:  # most values met: the strings inside fields, provinces …
            return False
        if isinstance(value, (list, tuple)):
            return any(map(self.refers_to_content, value))
        if isinstance(value, dict):
            return any(map(self.refers_to_content, value.values()))
        if isinstance(value, Content):
            return True
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            return False
        # Met on page after page (every item's fields and provinces are the registry's terms), and
        # taken to keep their state while pages are written, as `of` takes every object but containers.
        known = self.referring.get(id(value))
        if known is None or known[0] is not value:
            known = self.referring[id(value)] = (value, self.refers_to_content(list(vars(value).values())))
        return known[1]

    def of(self, value, depth: int = 0) -> str:
        kind = type(value)
        if kind in PLAIN:  # most values: checked first, as this runs for every value of every page
            return repr(value)
        if isinstance(value, Content):  # the next most: the items of lists, neighbours, related items
            return self.content(value) if depth == 0 else self.face(value)
        if depth > 40:
            raise Unkeyed("nested too deeply")
        if isinstance(value, (bool, int, float, str, bytes)):
            return repr(value)
        if isinstance(value, (datetime, date, time)):
            return f"{kind.__name__}({value.isoformat()})"
        if isinstance(value, tzinfo):
            return f"tz({value})"
        if isinstance(value, Page):  # memoised by paginator and number, not by object
            return self.listing_page(value, functools.partial(self.of, depth=depth + 1))
        if kind in CONTAINERS:
            return self.container(value, depth)
        if isinstance(value, CONTAINERS):  # subclasses: NamedTuples, OrderedDict, LinedMap …
            return kind.__qualname__ + self.container(value, depth)
        if callable(getattr(value, "cache_digest", None)) and not isinstance(value, type):
            return f"{kind.__qualname__}({value.cache_digest()})"
        # Met again: every task's history holds the same reports, every page the same plan.
        # Objects other than containers are taken to keep their state while pages are written.
        key = id(value)
        seen = self.lasting.get(key)
        if seen is not None:
            return seen[1]
        if key in self.active:
            # An object met again inside itself (a plan's tasks refer back to the plan).
            return f"<back to {kind.__qualname__}>"
        self.active.add(key)
        try:
            fingerprint = self.object(value, depth)
        finally:
            self.active.discard(key)
        if len(fingerprint) > 64:
            fingerprint = digest(fingerprint)
        # The value is kept: an id is only unique while its object lives.
        self.lasting[key] = (value, fingerprint)
        return fingerprint

    def value(self, value) -> str:
        """The digest of one value."""
        return digest(self.of(value))

    def container(self, value, depth: int) -> str:
        """Lists, tuples, sets and dicts, by their items: a page may be handed a list that grows."""
        if id(value) in self.active:
            return "<back to container>"
        self.active.add(id(value))
        try:
            of, depth = self.of, depth + 1
            if isinstance(value, (list, tuple)):
                return "[" + ",".join([of(item, depth) for item in value]) + "]"
            if isinstance(value, (set, frozenset)):
                return "{" + ",".join(sorted([of(item, depth) for item in value])) + "}"
            return "{" + ",".join(sorted([f"{of(key, depth)}:{of(item, depth)}"
                                          for key, item in value.items()])) + "}"
        finally:
            self.active.discard(id(value))

    def object(self, value, depth: int) -> str:
        nested = functools.partial(self.of, depth=depth + 1)
        if isinstance(value, Paginator):  # its shape: templates ask it for counts, not for items
            return (f"Paginator({value.name},{value.url},{value.per_page},{getattr(value, 'orphans', 0)},"
                    f"{value.count},{value.num_pages})")
        if isinstance(value, gettext.NullTranslations):
            # By its messages: its header carries the time the catalogue was compiled.
            catalogue = {key: text for key, text in getattr(value, "_catalog", {}).items() if key != ""}
            return f"translations({nested(catalogue)},{nested(value._fallback)})"
        if isinstance(value, URLWrapper):
            return f"{type(value).__name__}({value.name},{value.slug},{value.url})"
        if isinstance(value, Undefined):
            return "undefined"
        if isinstance(value, enum.Enum):
            return repr(value)
        if isinstance(value, type):
            return f"class {value.__module__}.{value.__qualname__}"
        if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                              functools.partial)):
            return self.function(value, nested)
        if dataclasses.is_dataclass(value):
            return type(value).__qualname__ + nested(
                {field.name: getattr(value, field.name) for field in dataclasses.fields(value)
                 if field.name not in NOT_OWN})
        if hasattr(value, "__dict__"):
            return type(value).__qualname__ + nested(self.attributes(value))
        raise Unkeyed(f"cannot see into a {type(value).__qualname__}")

    def listing_page(self, page: Page, nested) -> str:
        """Pelican makes a new Page each time one is asked for: page N of a listing is the page
        of one output file and the previous or next page of two others. Its paginator is one."""
        known = self.listing_pages.get((id(page.paginator), page.number))
        if known is None or known[0] is not page.paginator:
            known = (page.paginator, digest(f"Page({page.number}/{page.paginator.num_pages},{page.full_name},"
                                            f"{page.base_url},{page.paginator.count},{nested(page.object_list)})"))
            self.listing_pages[id(page.paginator), page.number] = known
        return known[1]

    def function(self, value, nested) -> str:
        if isinstance(value, functools.partial):
            return f"partial({nested(value.func)},{nested(value.args)},{nested(value.keywords)})"
        if isinstance(value, types.MethodType):
            return f"method({value.__func__.__qualname__},{nested(value.__self__)})"
        name = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', value)}"
        cells = getattr(value, "__closure__", None) or ()
        return f"function({name},{nested([cell.cell_contents for cell in cells])})"

    @staticmethod
    def attributes(value) -> dict:
        """An object's own attributes, with its lazily computed ones computed."""
        not_own = CONTENT_NOT_OWN if isinstance(value, Content) else NOT_OWN
        own = {name: item for name, item in vars(value).items() if name not in not_own}
        for name, member in vars(type(value)).items():
            if isinstance(member, functools.cached_property):
                own[name] = getattr(value, name)
        return own

    def content(self, item: Content) -> str:
        """A news item or page as its own page shows it: body, metadata, and what it refers to."""
        known = self.contents.get(id(item))
        if known is None or known[0] is not item:
            _, own = self.own(item)
            references = {name: value for name, value in vars(item).items()
                          if type(value) not in PLAIN and name not in CONTENT_NOT_OWN and self.refers_to_content(value)}
            known = (item, digest(own + self.of(references)))
            self.contents[id(item)] = known
        return known[1]

    def face(self, item: Content) -> str:
        """An item as others show it (title, date, URL, summary …): without its body and references."""
        return self.own(item)[0]

    def own(self, item: Content) -> tuple[str, str]:
        """Digests of an item's own data (all but references to other items): without and with its body.

        Kept between builds (`stored`) by source file and address: reading every
        item's attributes again is most of the cost of a rebuild's keys.
        """
        known = self.owns.get(id(item))
        if known is not None and known[0] is item:
            return known[1]
        stamp = self.stamp(item)
        stored = self.stored.get(item.source_path)
        if stored is not None and stored[0] == stamp:
            digests = (stored[1], stored[2])
        else:
            own = {name: value for name, value in self.attributes(item).items()
                   if type(value) in PLAIN or not self.refers_to_content(value)}
            own["url"], own["save_as"], own["summary"] = item.url, item.save_as, item.summary
            body = own.pop("_content", None)
            face = digest(self.of(own))
            if INTRASITE_LINK.search(body or ""):
                # Its links are resolved to other items' URLs: the body as it will be shown.
                body = item.content
                stamp = None  # and so never kept
            digests = (face, digest(face + repr(body)))
        if stamp is not None:
            self.fresh[item.source_path] = [stamp, *digests]
        self.owns[id(item)] = (item, digests)
        return digests

    def edited(self, item: Content) -> bool:
        """Whether the item's file or address changed since the last build recorded its own data
        (never for an item whose body links to others: its data is not recorded)."""
        stored = self.stored.get(item.source_path)
        return stored is not None and stored[0] != self.stamp(item)

    @staticmethod
    def stamp(item: Content) -> str | None:
        """What an item's own data is made from besides the build's code and settings.

        Its address is made from its slug, date and language, given by the file or assigned
        across files (slug numbering): the URL (kept by portal_model) tells them all. Not
        `save_as`, which Pelican formats anew on every read, from the same values.
        The file's time and size are the content check's, as Pelican's content cache takes them.
        """
        found = file_time_and_size(item.settings, item.source_path)
        if found is None:
            return None
        modified, size = found
        return f"{modified!r}:{size}:{item.url}:{getattr(item, 'slug', '')}"


def configured(settings, name: str):
    """The setting as it counts for what is built (JINJA_ENVIRONMENT less its bytecode cache)."""
    value = settings[name]
    if name in NOT_CONFIGURATION and isinstance(value, dict):
        value = {key: item for key, item in value.items() if key not in NOT_CONFIGURATION[name]}
    return value


def settings_digest(settings) -> str:
    """Configuration only: one run's state (sources, pages written …) is left out."""
    fingerprints = Fingerprints()
    parts = []
    for name in sorted(settings):
        if RUN_STATE.match(name):
            continue
        value = configured(settings, name)
        try:
            parts.append(f"{name}={fingerprints.of(value)}")
        except Unkeyed:
            parts.append(f"{name}=?{type(settings[name]).__qualname__}")
    return digest("\n".join(parts))


def files_digest(*folders: Path, pattern: str = "*", leave_out: str = "") -> str:
    hashed = hashlib.blake2b(digest_size=16)
    for folder in folders:
        for path in sorted(folder.rglob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts and not (leave_out and path.match(leave_out)):
                hashed.update(f"{path.relative_to(folder)}\0".encode())
                hashed.update(path.read_bytes())
    return hashed.hexdigest()


def build_inputs_digest(settings) -> str:
    plugin_folders = [Path(folder) for folder in settings.get("PLUGIN_PATHS", ())]
    versions = ",".join(f"{name}=={importlib.metadata.version(name)}" for name in LIBRARIES)
    return digest("|".join([files_digest(Path(settings["THEME"])),
                            # A plugin's tests change nothing it builds: editing one re-renders no page.
                            files_digest(*plugin_folders, pattern="*.py", leave_out="test_*.py"),
                            versions, settings_digest(settings)]))


# This run's build_inputs_digest, in its settings (run state: left out of the settings' digest).
BUILD_INPUTS = "PORTAL_BUILD_INPUTS"


def run_inputs_digest(settings) -> str:
    """build_inputs_digest, worked out once a run: the page keys and the feeds' (plugins/feeds) both
    need it, and it reads every file of the theme and the plugins."""
    if BUILD_INPUTS not in settings:
        settings[BUILD_INPUTS] = build_inputs_digest(settings)
    return settings[BUILD_INPUTS]


class PageKeys:
    def __init__(self, settings):
        self.build = run_inputs_digest(settings)
        self.fingerprints = Fingerprints()
        self.variables: dict[str, tuple[str, ...] | None] = {}
        self.templates: dict[str, tuple[set[str], list[str | None]]] = {}
        self.shared: dict[str, tuple[object, str]] = {}  # values that are the same object on every page
        self.asking_by_environment: dict[int, tuple[dict, list]] = {}  # asking_globals, by environment
        self.reported: set[str] = set()  # reasons for unkeyed pages, logged once each

    def template_variables(self, template) -> tuple[str, ...] | None:
        """Names read by the template and every template it uses; None if it uses one by a computed name."""
        if template.name not in self.variables:
            environment, names, seen, queue = template.environment, set(), set(), [template.name]
            while queue:
                name = queue.pop()
                if name in seen:
                    continue
                seen.add(name)
                read, used = self.parsed(environment, name)
                if None in used:
                    self.variables[template.name] = None
                    return None
                names |= read
                queue += used
            self.variables[template.name] = tuple(sorted(names))
        return self.variables[template.name]

    def parsed(self, environment, name: str) -> tuple[set[str], list[str | None]]:
        """The names one template reads and the templates it uses, parsed once per build."""
        if name not in self.templates:
            tree = environment.parse(environment.loader.get_source(environment, name)[0])
            self.templates[name] = (meta.find_undeclared_variables(tree), list(meta.find_referenced_templates(tree)))
        return self.templates[name]

    def value_digest(self, name: str, value) -> str:
        if type(value) in PLAIN:  # a setting, the page's file name …: digested with the whole key
            return repr(value)
        shared = self.shared.get(name)
        if shared is not None and shared[0] is value:
            return shared[1]
        self.shared[name] = shared = (value, self.fingerprints.value(value))
        return shared[1]

    def asking_globals(self, environment_globals: dict) -> list[tuple[str, object]]:
        """The template environment's globals whose answer depends on the page asking (`page_digest`).
        Jinja's meta leaves globals out of the names a template reads, and the settings digest
        holds only what every page has in common (`cache_digest`), so they are added to every key."""
        found = self.asking_by_environment.get(id(environment_globals))
        if found is None or found[0] is not environment_globals:
            asking = [(name, value) for name, value in sorted(environment_globals.items())
                      if callable(getattr(value, "page_digest", None)) and not isinstance(value, type)]
            found = self.asking_by_environment[id(environment_globals)] = (environment_globals, asking)
        return found[1]

    def key(self, template, localcontext) -> str | None:
        """The page's key, or None when it has to be rendered whatever happened."""
        names = self.template_variables(template)
        if names is None:
            return self.give_up(template.name, "it includes a template by a computed name")
        output_file = localcontext["output_file"]
        parts = [self.build, template.name, output_file]
        environment_globals = template.environment.globals
        try:
            for name in names:
                value = localcontext.get(name, MISSING)
                if value is MISSING:
                    value = environment_globals.get(name, MISSING)
                if value is not MISSING:
                    parts.append(f"{name}={self.value_digest(name, value)}")
            parts += [f"{name}@{value.page_digest(output_file)}"
                      for name, value in self.asking_globals(environment_globals)]
        except Unkeyed as reason:
            return self.give_up(template.name, str(reason))
        return digest("|".join(parts))

    def give_up(self, template_name: str, reason: str) -> None:
        if reason not in self.reported:
            log.debug("incremental_writer: pages of %s are rendered every time: %s", template_name, reason)
            self.reported.add(reason)
        return None
