"""Keying and rendering pages in forked worker processes.

Forked, not spawned: a worker starts with the build's whole state (content,
compiled templates, plugins' data) already in memory, shared with the build
process until written to, so nothing has to be pickled on the way in. The
pages are dealt out in turn (page i to worker i mod n), which spreads long and
short pages evenly; the build process waits. Each worker keys its pages, leaves
those whose key and file are unchanged, links back those kept in the store
under their key, and renders the rest. Only error messages, the keys with the
item digests they needed, and counts come back.
"""

from __future__ import annotations

import json
import os
import traceback
from typing import NamedTuple

from portal_model import write_whole
from portal_model.memory import keep_out_of_collections


class RenderingFailed(RuntimeError):
    pass


class PageContext(NamedTuple):
    """A page's template context, kept compactly until it is rendered: the context of
    the first page with the same names (shared by all of them), and what differs here."""

    base: dict
    changes: tuple  # (name, value) pairs

    def as_dict(self) -> dict:
        context = self.base.copy()
        context.update(self.changes)
        return context


class Job(NamedTuple):
    template: object
    context: PageContext
    path: str  # absolute
    name: str  # relative to the output
    previous: str | None  # its key when its file was last written, if known
    item_source: str | None = None  # the source file of the item whose own page this is, if any


class Written(NamedTuple):
    keys: dict  # page -> key, of every page keyed
    rendered: int
    unchanged: int  # key and file as the last build left them
    restored: int  # linked back from the store (an emptied output)
    changed: list = []  # pages whose file was written (rendered or restored), for OutputChanges


def render(template, context: dict, path) -> None:
    """Written under another name, then renamed into place: the page's old file, which may be
    kept in the cache under a second name (rendered.py), is never written over, and a build
    stopped meanwhile leaves no half page that the next build would take for the whole one."""
    output = template.render(context)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_whole(path, output)


def write_share(jobs: list[Job], share: int, workers: int, keys, store=None) -> tuple[list[str], Written]:
    """Key this share of the jobs (with `keys`, a PageKeys) and write the pages that changed,
    keeping each keyed page in `store`; (errors, what was written)."""
    errors, computed, counts, changed = [], {}, {"rendered": 0, "unchanged": 0, "restored": 0}, []
    for job in jobs[share::workers]:
        try:
            context = job.context.as_dict()
            key = None
            if keys:
                key = computed[job.name] = keys.key(job.template, context)
            if key is not None and job.previous is not None:
                if key == job.previous and os.path.exists(job.path):
                    counts["unchanged"] += 1
                    continue
                if store and store.restore(job.name, key, job.path):  # into an emptied output
                    counts["restored"] += 1
                    changed.append(job.path)
                    continue
            render(job.template, context, job.path)
            counts["rendered"] += 1
            changed.append(job.path)
            if store and key:
                store.keep(job.name, key, job.path)
        except Exception:  # noqa: BLE001 — reported by the build process, page by page
            errors.append(f"{job.path}:\n{traceback.format_exc()}")
    return errors, Written(computed, **counts, changed=changed)


def report_share(jobs: list[Job], share: int, workers: int, keys, store, pipe) -> None:
    """A worker's share, reported as JSON: errors, what was written, and the digests of the items whose
    own pages it keyed. It computed those of every item its list pages show too, but each item's once
    is enough: the reports of 20,000 items' digests from every worker took ~10 MiB more at their peak."""
    errors, written = write_share(jobs, share, workers, keys, store)
    fresh = {}
    if keys:
        own = {job.item_source for job in jobs[share::workers]}
        fresh = {source: digests for source, digests in keys.fingerprints.fresh.items() if source in own}
    pipe.write(json.dumps({"errors": errors, "written": written._asdict(), "fresh": fresh})
               .encode("utf-8", "replace"))


def write_in_workers(jobs: list[Job], workers: int, keys=None, store=None) -> Written:
    """Key every page of `jobs` with `keys` (a PageKeys, or None) and write those that changed
    (each keyed one also into `store`, a RenderedPages); return the keys (their item digests
    join `keys`) and counts; raise RenderingFailed naming the pages that failed."""
    if keys:  # each template is parsed once, here, and kept with the keys
        for template in {job.template for job in jobs}:
            keys.template_variables(template)
    if workers <= 1 or len(jobs) < 2:
        errors, written = write_share(jobs, 0, 1, keys, store)
    else:
        keep_out_of_collections()  # the jobs too: no worker's collection copies their pages
        children = []
        for share in range(workers):
            reader, writer = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: write its share, report, and leave without running any cleanup
                os.close(reader)
                status = 0
                try:
                    with os.fdopen(writer, "wb") as pipe:
                        report_share(jobs, share, workers, keys, store, pipe)
                except BaseException:  # noqa: BLE001 — a worker must never return into the build
                    status = 1
                os._exit(status)
            os.close(writer)
            children.append((pid, reader))
        # The build process renders nothing itself: rendering churns the heap with short-lived
        # strings between long-lived ones, and a heap so fragmented cannot be given back. The
        # workers' memory goes with them; the build process's would stay to the end of the build.
        errors, shares = [], []
        for pid, reader in children:
            with os.fdopen(reader, "rb") as pipe:
                message = pipe.read().decode("utf-8")
            _, status = os.waitpid(pid, 0)
            if status or not message:
                errors.append(f"a worker writing pages (pid {pid}) stopped with status {status}")
                continue
            report = json.loads(message)
            errors += report["errors"]
            shares.append(Written(**report["written"]))
            if keys:
                keys.fingerprints.fresh.update(report["fresh"])
        written = Written({name: key for share in shares for name, key in share.keys.items()},
                          rendered=sum(share.rendered for share in shares),
                          unchanged=sum(share.unchanged for share in shares),
                          restored=sum(share.restored for share in shares),
                          changed=[path for share in shares for path in share.changed])
    if errors:
        raise RenderingFailed("pages could not be rendered:\n" + "\n".join(errors))
    return written
