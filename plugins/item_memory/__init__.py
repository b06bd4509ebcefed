"""Items kept in memory between the builds of one process: the preview does not make them again.

`invoke livereload` builds again in the same process after every saved change.
Pelican makes every item anew on every build: it takes the file's text from
its content cache, works out the metadata, date formats, URL settings and
summary, and sends the signals plugins use to complete it (strict_content's
slug, fields and provinces) — about 0.5 ms an item, a third of the preview's
rebuild at 10,000 items.

Here each item is remembered as it stood when made, before any later plugin
added its own attributes, with what it was made from: the file's stamp, what
the content check learnt of that file (strict_content's `Source`: the slug
numbering across files, the fields and provinces) and the run's settings. The
next build of the same run (the root edition or the English one) gets a copy
of it when all three are unchanged, so each build still completes its own items
(neighbours, URLs frozen, translations) as it would fresh ones. Builds in a
fresh process (`invoke build`, a publication) remember nothing.

Why hand-written: Pelican's own `generator` caching layer pickles whole items to
disk and back, which is slower than reading, and keeps what plugins attached in the
previous build.
"""

from __future__ import annotations

import os
from collections import OrderedDict

from pelican import signals
from pelican.contents import Page
from pelican.urlwrappers import URLWrapper

from incremental_writer.pagekeys import settings_digest

# Items are remembered for each output folder (an edition's run writes its own: the English one
# `en/`), from its last build. Builds into other folders in the same process (the tests) make
# their own and, beyond this many folders, push the oldest out.
OUTPUTS_REMEMBERED = 4
# Values for the templates only. The edition switch among them holds the index of translations,
# which changes with the content (an item added): items are made without them.
TEMPLATES_ONLY = ("JINJA_GLOBALS",)
RUN = "PORTAL_ITEM_MEMORY"  # this run's (output, settings digest, items of its last build, items of this one)

_outputs: OrderedDict[str, tuple[str, dict]] = OrderedDict()  # output folder -> (settings digest, items)
_names: dict[tuple, tuple] = {}  # the attribute names of remembered items, one tuple for each layout


class Remembered:
    """An item as it was made, and what it was made from.

    Kept as its attribute names and values rather than a copy of its attribute dict: a
    dict is ~2 KiB an item (40 MiB at 20,000), and items of one kind share their names.
    """

    __slots__ = ("made_from", "kind", "names", "values", "wrappers")

    def __init__(self, item, made_from: tuple):
        self.made_from = made_from
        self.kind = type(item)
        names = tuple(vars(item))
        self.names = _names.setdefault(names, names)
        self.values = tuple(vars(item).values())
        self.wrappers = tuple(wrapper for value in self.values
                              for wrapper in (value if isinstance(value, list) else (value,))
                              if isinstance(wrapper, URLWrapper))

    def copy(self, settings, context):
        """The item as the build would make it now: with this run's settings and context."""
        item = self.kind.__new__(self.kind)
        # One attribute after another, in the order they were made: items then share one
        # table of attribute names, as freshly made ones do (reserve_attributes in item_neighbours).
        for name, value in zip(self.names, self.values):
            setattr(item, name, value)
        item.settings, item._context = settings, context
        if "metadata" in vars(item):  # not on a skip stub (strict_content)
            item.metadata = dict(item.metadata)  # plugins may add to it
        for wrapper in self.wrappers:  # tags, categories, authors: formatted with the settings
            wrapper.settings = settings
        return item


def file_stamp(path: str) -> tuple | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino


def this_run(settings) -> tuple:
    """(output, settings digest, items its last build made, items this build made so far)."""
    if RUN not in settings:
        # Digested at the first item, not at `readers_init`: Pelican's Markdown reader completes
        # the MARKDOWN setting when it is made, just after.
        output = os.path.abspath(settings["OUTPUT_PATH"])
        digest = settings_digest({name: value for name, value in settings.items() if name not in TEMPLATES_ONLY})
        last_digest, last_items = _outputs.get(output, (None, {}))
        settings[RUN] = (output, digest, last_items if last_digest == digest else {}, {})
    return settings[RUN]


def remember_items(readers) -> None:
    """At `readers_init` (once for each generator's readers): serve unchanged items from memory."""
    read_file = readers.read_file

    def read_or_remember(base_path, path, content_class=Page, fmt=None, context=None, **signals_to_send):
        settings = readers.settings
        _, _, remembered, made = this_run(settings)
        full_path = os.path.abspath(os.path.join(base_path, path))
        made_from = (content_class, file_stamp(full_path), settings.get("PORTAL_SOURCES", {}).get(full_path))
        known = remembered.get(full_path)
        if known is not None and known.made_from == made_from and made_from[1] is not None:
            item = known.copy(settings, context)
        else:
            item = read_file(base_path, path, content_class, fmt, context, **signals_to_send)
            known = Remembered(item, made_from)
        made[full_path] = known
        return item

    readers.read_file = read_or_remember


def keep_for_next_build(generators) -> None:
    """At `all_generators_finalized`: every item of this run is made; the next build starts from them."""
    run = generators[0].settings.pop(RUN, None)
    if run is None:
        return
    output, digest, _, made = run
    _outputs[output] = (digest, made)
    _outputs.move_to_end(output)
    while len(_outputs) > OUTPUTS_REMEMBERED:
        _outputs.popitem(last=False)


def register():
    signals.readers_init.connect(remember_items)
    signals.all_generators_finalized.connect(keep_for_next_build)
