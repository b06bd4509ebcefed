"""Giving memory the build has freed back to the system.

A large build frees a lot as it goes (the reader's cache once saved, the pages
waiting to be rendered once written), but glibc keeps freed blocks in its heap
for reuse, and a heap only shrinks from its top. The process's resident size
therefore stays at its highest, and every worker forked afterwards starts with
it, so that the peak of a 20,000-item build was set by memory nobody used.
`malloc_trim(0)` returns every free page of the heap. Python has no binding for
it (only ctypes), and no library we use offers one.
"""

from __future__ import annotations

import ctypes
import functools


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
