"""Giving memory the build has freed back to the system.

A large build frees a lot as it goes (the reader's cache once saved, the pages
waiting to be rendered once written), but glibc keeps freed blocks in its heap
for reuse, and a heap only shrinks from its top. The process's resident size
therefore stays at its highest, and every worker forked afterwards starts with
it, so that the peak of a 20,000-item build was set by memory nobody used.
`malloc_trim(0)` returns every free page of the heap. Python has no binding for
it (only ctypes), and no library we use offers one.

Pelican also keeps every item it has summarised or rendered in the class-level
caches of `Content.get_content` and `Content.get_summary` (pelican.utils.memoized)
for as long as the process lives: a preview, or the test suite, that builds
again and again kept every build's items, about 10 MiB a build at 1,000 items.

CPython 3.11 keeps one table of attribute names for all the instances of a class (all the
Article instances of the process, English items included), and each instance only its
values, for as long as every name fits in that table: 29 at most. The table takes a new name
freely at the class's first instance, but each further instance makes room for one name
less: an item given a name the table has no room for (a `Tags:` line first met at the 500th
item, the URL frozen at the end of reading) gets a table of its own, ~1.3 KB (26 MiB at
20,000 items; every item of a build had one). So the names items have are put in the table
before any item is made (`share_item_attribute_names`), by an instance made for nothing
else. Later CPythons share differently; the names still do no harm there.

Pelican gives every item an Author of its own (the office), and every cached tag comes back as an
object of its own: each slugified its name again, the author's when the item's URL was first
formatted (~0.15 s at 10,000 items). Items share one object per name and build instead
(`share_url_wrappers`).

What a build makes as it goes (the content cache, the items, their lists, the pages waiting to be
written) lives until the build ends, yet the cycle collector went through all of it again and
again: a full collection whenever the objects grow by a quarter, ~1 s of a 10,000-item rebuild,
one more of ~0.3 s at the exit of `pelican`; and each forked worker's collections wrote to every
object's header, copying the pages it shared with the build. So at each step of a build what
exists is moved out of the collector's sight (`keep_out_of_collections`, Python's `gc.freeze`, as
its documentation advises before forking); the next build in the same process (the preview, the
tests) first gives it back to the collector (`free_kept_builds`, at the root run of plugins/editions;
the preview also calls `free_finished_builds` between builds). Garbage in reference cycles not yet
collected when a step ends is frozen with the rest, and held until then.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import weakref

from pelican.contents import Article, Content

# Pelican's memoized methods: each keeps its results, and so the items, in a dict of its own.
MEMOIZED_CONTENT_METHODS = ("get_content", "get_summary")


# A news item's attribute names, the most common first: Pelican's, the metadata's (the `Summary:` and
# `Status:` headers are `_summary` and `_status`), and the portal plugins'. The table holds 29; left
# out, the rarest: `Modified:` and `Save_as:` (an item with them has a table of its own).
ITEM_ATTRIBUTE_NAMES = (
    "settings", "_content", "_context", "translations", "reader", "title", "date", "metadata", "template",
    "author", "authors", "in_default_lang", "lang", "slug", "source_path", "relative_source_path",
    "date_format", "timezone", "locale_date", "_status", "fields", "provinces", "milestone",
    "neighbours", "override_url", "_summary", "source", "tags", "tasks",
)


def share_item_attribute_names() -> None:
    """Give Article's table of attribute names every name of ITEM_ATTRIBUTE_NAMES (see above).

    Only effective before the process's first Article: plugin registration, in `pelican` and
    in the preview."""
    first = Article.__new__(Article)
    for name in ITEM_ATTRIBUTE_NAMES:
        object.__setattr__(first, name, None)  # `status`, `summary` are properties: their own names


# One Author or Tag per (class, name, build settings) while an item holds it. The settings
# live as long as the object, so their id is not reused meanwhile.
_shared_wrappers: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def shared_wrapper(wrapper):
    return _shared_wrappers.setdefault((type(wrapper), wrapper.name, id(wrapper.settings)), wrapper)


def share_url_wrappers(content) -> None:
    """At `content_object_init`, before Pelican formats the item's URL: its author, authors and
    tags become the objects every other item of this build with those names holds."""
    attributes, metadata = vars(content), getattr(content, "metadata", {})
    author = attributes.get("author")
    if author is not None:
        attributes["author"] = shared_wrapper(author)
        if metadata.get("author") is author:  # an Author: header: attribute and metadata stay one object
            metadata["author"] = attributes["author"]
    for name in ("authors", "tags"):
        wrappers = attributes.get(name)
        if wrappers:
            wrappers[:] = map(shared_wrapper, wrappers)  # in place: the metadata's list is the same


@functools.cache
def malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc; absent from musl and macOS
    except (OSError, AttributeError):
        return None


def return_freed_memory() -> None:
    """Hand the heap's free pages back to the system, where the C library can."""
    trim = malloc_trim()
    if trim is not None:
        trim(0)


def keep_out_of_collections(*_, **__) -> None:
    """Everything made so far stays to the end of the build: no collection looks at it again
    (`gc.freeze`: free of cost; what is no longer referenced, outside reference cycles, is still
    freed at once)."""
    gc.freeze()


def free_finished_builds() -> None:
    """Collect what the builds that ran in this process left, kept out of collections or not."""
    gc.unfreeze()
    gc.collect()
    return_freed_memory()


def free_kept_builds() -> None:
    """Before a build: the builds before it in this process, if any kept what they made."""
    if gc.get_freeze_count():  # none in a fresh `pelican`: nothing to collect
        free_finished_builds()


def forget_built_items(pelican=None) -> None:
    """A build is over: drop Pelican's memoized item texts, which keep the items alive, and give
    their memory back. A run that needs them again (another edition's) works them out again."""
    for name in MEMOIZED_CONTENT_METHODS:
        Content.__dict__[name].cache.clear()
    return_freed_memory()
