"""What the content check learnt of each file, kept between builds (CACHE_CONTENT).

Reading and checking every header of tens of thousands of items, and turning
half of their titles into pinyin, costs seconds on every build. A file whose
modification time and size are those recorded, checked under the same settings,
registries, code and libraries, is not read again: its record gives the same
Source. Only files the check found nothing wrong with are kept, so a file with
problems is checked (and reported) afresh every time. Checks across files (URL
collisions, slug numbering) still run over every file, from these records.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import NamedTuple

from strict_content.fast_reading import code_and_settings_fingerprint

CACHE_FILE = "strict-content-checked.pickle"
# Settings that shape what the check learns of one file, besides its bytes.
CHECK_SETTINGS = ("DEFAULT_LANG", "SLUG_MAX_LENGTH", "FIELDS", "PROVINCES")
LIBRARIES = ("pypinyin",)
PLUGINS = Path(__file__).resolve().parent.parent
# (path, identity, fingerprint, records) of the records file this process last read or wrote: the
# preview's builds share one process, and unpickling ten thousand records costs ~0.3 s a build.
# Records are tuples and nothing changes their `meta`, so sharing them between builds is safe.
_remembered: tuple | None = None


def stamp(status: os.stat_result) -> tuple[int, int]:
    return status.st_mtime_ns, status.st_size


def identity(path: str) -> tuple[int, int, int]:
    """Tells one written file from any other written later: a replaced file is a new inode."""
    status = os.stat(path)
    return status.st_ino, status.st_mtime_ns, status.st_size


def check_fingerprint(settings) -> str:
    """A digest of everything that shapes a file's check result besides the file itself."""
    # The check, and the domain it checks against (known keys, dates, registries, pinyin).
    modules = (*sorted((PLUGINS / "strict_content").glob("*.py")), PLUGINS / "portal_model" / "__init__.py")
    return code_and_settings_fingerprint(settings, CHECK_SETTINGS, LIBRARIES, modules)


class Record(NamedTuple):  # a tuple: ten thousand of them load in a blink
    stamp: tuple[int, int]
    kind: str
    meta: dict
    lang: str
    fields: tuple[str, ...]  # term keys: terms are looked up in this build's registries
    provinces: tuple[str, ...]
    title_slug: str
    milestone_slug: str
    links: tuple  # Source.links: checked against the other files on every build


class CheckedFiles:
    """Records of the last build's clean files; this build's, saved at the end."""

    def __init__(self, settings):
        self.path = os.path.join(settings["CACHE_PATH"], CACHE_FILE)
        self.fingerprint = check_fingerprint(settings)
        self.previous: dict[str, Record] = {}
        if settings.get("LOAD_CONTENT_CACHE", True):
            fingerprint, previous = self.load()
            if fingerprint == self.fingerprint:
                self.previous = previous
        self.current: dict[str, tuple[tuple[int, int], object]] = {}
        self.checked_afresh = 0

    def load(self) -> tuple[str | None, dict[str, Record]]:
        """The records file's (fingerprint, records); what this process last read or wrote, if the file is still that."""
        global _remembered
        try:
            file_identity = identity(self.path)
            if _remembered is not None and _remembered[:2] == (self.path, file_identity):
                return _remembered[2:]
            with open(self.path, "rb") as handle:
                fingerprint, previous = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None, {}  # no record yet, or an unreadable one: every file is checked
        _remembered = (self.path, file_identity, fingerprint, previous)
        return fingerprint, previous

    def record(self, path: str, kind: str, file_stamp: tuple[int, int]) -> Record | None:
        """What the last build learnt of `path`, if the file is unchanged; None to check it."""
        record = self.previous.get(path)
        return record if record and record.stamp == file_stamp and record.kind == kind else None

    def keep(self, source, file_stamp: tuple[int, int], afresh: bool) -> None:
        self.current[source.path] = (file_stamp, source)
        self.checked_afresh += afresh

    def unchanged(self) -> bool:
        """The same files as last time, all from their records: nothing to write."""
        return not self.checked_afresh and len(self.current) == len(self.previous)

    def save(self) -> None:
        """After the check (the pinyin of titles and milestones is kept too)."""
        if self.unchanged():
            return
        records = {path: Record(file_stamp, source.kind, source.meta, source.lang,
                                tuple(term.key for term in source.fields),
                                tuple(term.key for term in source.provinces), source.title_slug,
                                source.milestone_slug, source.links)
                   for path, (file_stamp, source) in self.current.items()}
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        partial = f"{self.path}.{os.getpid()}"
        with open(partial, "wb") as handle:
            pickle.dump((self.fingerprint, records), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, self.path)  # builds sharing CACHE_PATH never read half a file
        global _remembered
        _remembered = (self.path, identity(self.path), self.fingerprint, records)
