"""Items kept in memory between the builds of one process: the preview does not make them again.

`invoke livereload` builds again in the same process after every saved change.
Pelican makes every item anew on every build: it takes the file's text from
its content cache, works out the metadata, date formats, URL settings and
summary, and sends the signals plugins use to complete it (strict_content's
slug, fields and provinces): about 0.5 ms an item.

With REMEMBER_ITEMS (which `tasks.preview_builds` sets), each item is
remembered as it stood when made, before any later plugin added its own
attributes, with what it was made from: the file's stamp, what the content
check learnt of that file (strict_content's `Source`: the slug numbering across
files, the fields and provinces) and the run's settings. The next build into
the same output folder gets a copy of it when all three are unchanged, so each
build still completes its own items (neighbours, URLs frozen, translations) as
it would fresh ones. A copy is not announced again (`content_object_init`, the
generators' `preread` and `context` signals): a receiver of those must only set
attributes of the item, which the copy has.

Why hand-written: Pelican's own `generator` caching layer pickles whole items to
disk and back, which is slower than reading, and keeps what plugins attached in the
previous build.
"""

from __future__ import annotations

import copy
import os
from collections import OrderedDict
from datetime import datetime
from typing import NamedTuple

from pelican import signals
from pelican.contents import Page
from pelican.urlwrappers import URLWrapper

from incremental_writer.pagekeys import settings_digest
from portal_model.memory import shared_wrapper
from strict_content.checked_files import identity

# Items are remembered for each output folder (an edition's run writes its own: the English one
# `en/`), from its last build. Builds into other folders in the same process (the tests) make
# their own and, beyond this many folders, push the oldest out.
OUTPUTS_REMEMBERED = 4
# Values for the templates only. The edition switch among them holds the index of translations,
# which changes with the content (an item added): items are made without them.
TEMPLATES_ONLY = ("JINJA_GLOBALS",)
# The build's own: each copy gets the new build's. Not kept, or every remembered item would
# keep the whole build it was made in (its settings, and every item through the context).
BUILD_ATTRIBUTES = ("settings", "_context")
RUN = "PORTAL_ITEM_MEMORY"  # this run's Run

_outputs: OrderedDict[str, tuple[str, dict]] = OrderedDict()  # output folder -> (settings digest, items)
_names: dict[tuple, tuple] = {}  # the attribute names of remembered items, one tuple for each layout


class MadeFrom(NamedTuple):
    content_class: type
    stamp: tuple  # the file's (strict_content.checked_files.identity)
    source: object  # strict_content's Source of the file, None if it has none (a static file)


class Run(NamedTuple):
    output: str  # its folder, absolute
    digest: str  # of its settings
    remembered: dict  # path -> Remembered, from the last build into the same folder with the same digest
    made: dict  # path -> (Remembered, the item this build has), so far


class Remembered:
    """An item as it was made, and what it was made from.

    Kept as its attribute names and values rather than a copy of its attribute dict: a
    dict is ~2 KiB an item (40 MiB at 20,000), and items of one kind share their names.
    """

    __slots__ = ("made_from", "cls", "names", "values", "bound_at", "body_hash")

    def __init__(self, item, made_from: MadeFrom):
        self.made_from = made_from
        self.cls = type(item)  # not always the class asked for: a skip stub (strict_content)
        attributes = dict(vars(item), **dict.fromkeys(BUILD_ATTRIBUTES))
        # The body is taken at the end of reading (keep_body), not the string made now:
        # saving the content cache attaches a UTF-8 copy to it (~3 KiB an item, 65 MB at 20,000),
        # which fast_reading.release_cache frees by putting an equal string in its place.
        body = attributes.get("_content")
        self.body_hash = hash(body) if isinstance(body, str) else None
        if self.body_hash is not None:
            attributes["_content"] = None
        names = tuple(attributes)
        self.names = _names.setdefault(names, names)
        self.values = tuple(map(wrapper_binder(None), attributes.values()))
        # Where a copy binds its own (two or three of ~28 values): the others are taken as they are.
        self.bound_at = tuple(index for index, (made, kept) in enumerate(zip(attributes.values(), self.values))
                              if made is not kept)

    def copy(self, settings, context):
        """The item as the build would make it now (a shallow copy), with this run's settings and context."""
        item = self.cls.__new__(self.cls)
        # One attribute after another (setattr, not a dict): the copy shares the class's table of
        # attribute names, as freshly made items do (portal_model/memory.py).
        values = list(self.values)
        bound = wrapper_binder(settings)
        for index in self.bound_at:
            values[index] = bound(values[index])
        for name, value in zip(self.names, values):
            setattr(item, name, value)
        item.settings, item._context = settings, context
        return item

    def keep_body(self, body) -> bool:
        """Take the item's body at the end of reading; False if it is not the text it was made with."""
        if self.body_hash is None:
            return True  # none to keep (a static file, a skip stub)
        if not isinstance(body, str) or hash(body) != self.body_hash:
            return False  # rewritten by a plugin since: a copy could not start from the made text
        index = self.names.index("_content")
        self.values = (*self.values[:index], body, *self.values[index + 1:])
        return True


def wrapper_binder(settings):
    """A function for the values of one item: each tag, category and author (a URLWrapper, alone
    or in a list) replaced by a copy bound to `settings`, and the metadata dict copied (a plugin
    may add to an item's).

    Wrappers format their URLs with the settings they hold: a remembered one holds none (else it
    would keep a whole build alive), and the copies of one run share one per name, as fresh items
    do (portal_model.memory.share_url_wrappers).
    """
    copies = {}  # by id: the attribute and its metadata entry stay one object

    def bound_value(value):
        if type(value) is dict:  # the metadata
            return {key: bound(entry) for key, entry in value.items()}
        return bound(value)

    def bound(value):
        if isinstance(value, URLWrapper):
            wrapper = copies.get(id(value))
            if wrapper is None:
                wrapper = copy.copy(value)
                wrapper.settings = settings
                wrapper = copies[id(value)] = shared_wrapper(wrapper)
            return wrapper
        if isinstance(value, list) and value and isinstance(value[0], URLWrapper):
            if id(value) not in copies:
                copies[id(value)] = [bound(wrapper) for wrapper in value]
            return copies[id(value)]
        return value

    return bound_value


def made_in_the_future(item) -> bool:
    """Dated after the time it was made: Pelican made it a draft (WITH_FUTURE_DATES off), which a
    later build, once that time has come, would not."""
    date = getattr(item, "date", None)
    return getattr(date, "tzinfo", None) is not None and date > datetime.now(tz=date.tzinfo)


def this_run(settings) -> Run:
    if RUN not in settings:
        # Digested at the first item, not at `readers_init`: Pelican's Markdown reader completes
        # the MARKDOWN setting when it is made, just after.
        output = os.path.abspath(settings["OUTPUT_PATH"])
        digest = settings_digest({name: value for name, value in settings.items() if name not in TEMPLATES_ONLY})
        last_digest, last_items = _outputs.get(output, (None, {}))
        settings[RUN] = Run(output, digest, last_items if last_digest == digest else {}, {})
    return settings[RUN]


def remember_items(readers) -> None:
    """At `readers_init` (once for each generator's readers): serve unchanged items from memory."""
    if not readers.settings.get("REMEMBER_ITEMS"):
        return
    read_file = readers.read_file

    def read_or_remember(base_path, path, content_class=Page, fmt=None, context=None, **signals_to_send):
        settings = readers.settings
        run = this_run(settings)
        full_path = os.path.abspath(os.path.join(base_path, path))
        made_from = MadeFrom(content_class, identity(full_path),
                             settings.get("PORTAL_SOURCES", {}).get(full_path))
        known = run.remembered.get(full_path)
        if known is not None and known.made_from == made_from:
            item = known.copy(settings, context)
            run.made[full_path] = (known, item)
        else:
            item = read_file(base_path, path, content_class, fmt, context, **signals_to_send)
            if not made_in_the_future(item):
                run.made[full_path] = (Remembered(item, made_from), item)
        return item

    readers.read_file = read_or_remember


def keep_for_next_build(generators) -> None:
    """At `all_generators_finalized`: every item of this run is made; the next build starts from them."""
    run = generators[0].settings.pop(RUN, None)
    if run is None:
        return
    _outputs[run.output] = (run.digest, {path: known for path, (known, item) in run.made.items()
                                         if known.keep_body(getattr(item, "_content", None))})
    _outputs.move_to_end(run.output)
    while len(_outputs) > OUTPUTS_REMEMBERED:
        _outputs.popitem(last=False)


def register():
    signals.readers_init.connect(remember_items)
    signals.all_generators_finalized.connect(keep_for_next_build)
