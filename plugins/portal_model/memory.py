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
"""

from __future__ import annotations

import ctypes
import functools

from pelican.contents import Content

# Pelican's memoized methods: each keeps its results, and so the items, in a dict of its own.
MEMOIZED_CONTENT_METHODS = ("get_content", "get_summary")


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


def forget_built_items(pelican=None) -> None:
    """A build is over: drop Pelican's memoized item texts, which keep the items alive, and give
    their memory back. A run that needs them again (another edition's) works them out again."""
    for name in MEMOIZED_CONTENT_METHODS:
        Content.__dict__[name].cache.clear()
    return_freed_memory()
