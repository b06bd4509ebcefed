"""Rendering pages in forked worker processes.

Forked, not spawned: a worker starts with the build's whole state (content,
compiled templates, plugins' data) already in memory, shared with the build
process until written to, so nothing has to be pickled on the way in. The
pages are dealt out in turn (page i to worker i mod n), which spreads long and
short pages evenly. Only error messages come back.
"""

from __future__ import annotations

import os
import traceback
from typing import NamedTuple


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


def render(template, context: PageContext, path) -> None:
    output = template.render(context.as_dict())
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(output)


def render_share(jobs, share: int, workers: int) -> list[str]:
    errors = []
    for template, context, path in jobs[share::workers]:
        try:
            render(template, context, path)
        except Exception:  # noqa: BLE001 — reported by the build process, page by page
            errors.append(f"{path}:\n{traceback.format_exc()}")
    return errors


def render_in_workers(jobs, workers: int) -> None:
    """Render and write every page of `jobs`; raise RenderingFailed naming the pages that failed."""
    if workers <= 1 or len(jobs) < 2:
        errors = render_share(jobs, 0, 1)
    else:
        errors = []
        children = []
        for share in range(1, workers):
            reader, writer = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: render its share, report, and leave without running any cleanup
                os.close(reader)
                status = 0
                try:
                    message = "\n".join(render_share(jobs, share, workers)).encode("utf-8", "replace")
                    with os.fdopen(writer, "wb") as pipe:
                        pipe.write(message)
                except BaseException:  # noqa: BLE001 — a worker must never return into the build
                    status = 1
                os._exit(status)
            os.close(writer)
            children.append((pid, reader))
        # The build process renders the first share itself.
        errors += render_share(jobs, 0, workers)
        for pid, reader in children:
            with os.fdopen(reader, "rb") as pipe:
                message = pipe.read().decode("utf-8")
            _, status = os.waitpid(pid, 0)
            if message:
                errors.append(message)
            elif status:
                errors.append(f"a rendering worker (pid {pid}) stopped with status {status}")
    if errors:
        raise RenderingFailed("pages could not be rendered:\n" + "\n".join(errors))
