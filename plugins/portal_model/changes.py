"""What a build changed in its output folder, for the steps that follow it.

The Traditional edition and the search index start once the root edition is
written, and need to know which of its files are new, changed or gone. Walking
the output to find out (a folder per item: ~14,000 at 10,000 items) and stating
every file took ~1 s of each, on a rebuild after a one-word edit. Every file a
build writes or removes goes through this module (`write_whole`, `remove_file`,
the writer's report of its pages), which lists it.

A list is only of use to a step that is up to date with the output as the build
before left it. So each build is named (`build`) in CACHE_PATH before it writes
anything, and says which one came before it (`since`); a step records the build it
caught up with and uses the list only when that is `since`. A build stopped half-way,
or files written between builds (the preview's quick rebuild), leave a name no step
recorded, and the next build's steps walk the output again.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid

STATE = "output-build.json"  # in CACHE_PATH: the name of the last build into the output
# More files than this, and a step walks the output: the list would cost as much, on a command line.
MOST_LISTED = 2000

# The build recording now. The builds of a process follow one another: one stopped half-way records nothing more.
_current: OutputChanges | None = None


class OutputChanges:
    def __init__(self, output: str, cache_folder: str, emptied: bool):
        self.root = os.path.join(os.path.abspath(output), "")
        self.written: set[str] = set()  # site paths ("news/2019/slug/index.html")
        self.removed: set[str] = set()
        # An emptied output is all new: a step walks it.
        self.complete = not emptied
        state = os.path.join(cache_folder, STATE)
        try:
            with open(state, encoding="utf-8") as handle:
                self.since = json.load(handle)["build"]
        except (OSError, ValueError, KeyError, TypeError):
            self.since = None
        self.build = name_build(cache_folder)

    def note(self, path, removed: bool = False) -> None:
        path = os.fspath(path)
        if not path.startswith(self.root):
            return
        site_path = path[len(self.root):].replace(os.sep, "/")
        (self.removed if removed else self.written).add(site_path)
        (self.written if removed else self.removed).discard(site_path)

    def summary(self) -> dict:
        """For a step's options (JSON): the builds, and the files unless there are too many to list."""
        listed = self.complete and self.since is not None and \
            len(self.written) + len(self.removed) <= MOST_LISTED
        return {"since": self.since, "build": self.build,
                "written": sorted(self.written) if listed else None,
                "removed": sorted(self.removed) if listed else None}


def name_build(cache_folder: str) -> str:
    """A new name for the output's state, written before anything of the output changes."""
    build = uuid.uuid4().hex
    os.makedirs(cache_folder, exist_ok=True)
    partial = os.path.join(cache_folder, f".{STATE}.{os.getpid()}")
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump({"build": build}, handle)
    os.replace(partial, os.path.join(cache_folder, STATE))
    return build


def start_recording(pelican) -> None:
    """At `get_generators`, before the build writes anything (or empties the output)."""
    settings = pelican.settings
    if not settings.get("CACHE_CONTENT"):
        return  # no step keeps anything between builds: each walks the output
    global _current
    _current = OutputChanges(settings["OUTPUT_PATH"], settings["CACHE_PATH"], emptied=bool(pelican.delete_outputdir))


def note_static_files(generator) -> None:
    """At `static_generator_finalized`: Pelican copies a static file when it changed, and says
    nothing of it; each may have been written."""
    for static in generator.staticfiles:
        note_written(os.path.abspath(os.path.join(generator.output_path, static.save_as)))


def recorded(settings) -> OutputChanges | None:
    """The changes of the build into this output, so far."""
    if _current is not None and _current.root == os.path.join(os.path.abspath(settings["OUTPUT_PATH"]), ""):
        return _current
    return None


def changes_summary(settings) -> dict | None:
    """What a step started now is told (JSON): OutputChanges.summary, or None without a record."""
    changes = recorded(settings)
    return changes.summary() if changes else None


def list_applies(changes: dict | None, caught_up_with: str | None) -> bool:
    """A step's own record is of the output as `caught_up_with` left it: the list tells it all
    that changed since, when that is the build before this one and the files were listed."""
    return bool(changes) and changes["written"] is not None and caught_up_with == changes["since"]


def listed(site_paths, suffixes: tuple[str, ...], left_out: set[str]) -> set[str]:
    """The site paths ending in one of `suffixes`, but those in the top folders `left_out`."""
    def wanted(site_path: str) -> bool:
        top, separator, _ = site_path.partition("/")
        return site_path.endswith(suffixes) and not (separator and top in left_out)

    return set(filter(wanted, site_paths))


def written_outside_a_build(settings) -> None:
    """Files of the output changed by other means (the preview's quick rebuild): no step's record
    matches the next build's `since`, so each walks the output."""
    global _current
    _current = None
    if settings.get("CACHE_CONTENT"):
        name_build(settings["CACHE_PATH"])


def note_written(path: str) -> None:
    if _current is not None:
        _current.note(path)


def note_removed(path: str) -> None:
    if _current is not None:
        _current.note(path, removed=True)


def remove_file(path: str) -> None:
    os.remove(path)
    note_removed(path)


def remove_page(path: str) -> bool:
    """Remove a page that is gone from the site, and the folders it leaves empty (an item's
    news/2019/slug/); False if there was no such file. Listed as removed whoever removed it."""
    note_removed(path)
    if not os.path.isfile(path):
        return False
    os.remove(path)
    with contextlib.suppress(OSError):  # a folder with other files in it
        os.removedirs(os.path.dirname(path))
    return True
