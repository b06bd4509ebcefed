"""Reading tens of thousands of items fast: Pelican's content cache made safe, Markdown on every core.

Pelican parses content files one after another in one process, and its
content cache (CACHE_CONTENT / LOAD_CONTENT_CACHE, kept at the reader layer so
that strict_content's `content_object_init` still sets slug, fields and
provinces on every build) has two flaws this module corrects:

- a cached tag pickles the whole settings dict with it, and the portal's
  settings hold functions that cannot be pickled: tags (and categories,
  authors) are pickled by name and rebuilt with the current build's settings;
- the cache is never invalidated when what shapes the HTML changes (Markdown
  settings, the sanitiser, a library upgrade): such a build ignores the cache
  and writes a fresh one.

Files that the cache will not serve (all of them on a first build, the edited
ones afterwards) are parsed ahead of Pelican, in forked worker processes running
the same reader, when there are at least PARALLEL_READING_MIN_FILES of them.
The reader hands Pelican each result when Pelican asks for that file, so
the output is the same as a sequential build's.
"""

from __future__ import annotations

import copyreg
import hashlib
import importlib.metadata
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pelican.urlwrappers import Author, Category, Tag

from portal_model import file_time_and_size
from portal_model.memory import return_freed_memory

DEFAULT_MIN_FILES = 200
CHUNK_SIZE = 16
# The generators whose reader output Pelican caches, by the kind strict_content gives a source.
CACHE_FILES = {"article": "ArticlesGenerator-Readers", "page": "PagesGenerator-Readers"}
CACHE_STAMP = "reader-fingerprint"
# Settings that shape what the reader returns for a file.
READER_SETTINGS = ("MARKDOWN", "FORMATTED_FIELDS", "TIMEZONE", "DEFAULT_LANG", "DEFAULT_DATE_FORMAT",
                   "READERS", "SLUGIFY_SOURCE", "SLUG_REGEX_SUBSTITUTIONS", "TAG_REGEX_SUBSTITUTIONS",
                   "GZIP_CACHE")  # the file's format: a cache written the other way is not loaded
FINGERPRINT = "PORTAL_READER_FINGERPRINT"
READING = "PORTAL_PARALLEL_READING"
READ_ORDER = "PORTAL_READ_ORDER"  # the content files, as the generators will ask for them
LIBRARIES = ("pelican", "markdown", "nh3")

# ---------------------------------------------------------------- tags in the cache

_build_settings: dict = {}


def rebuild_wrapper(cls, name):
    return cls(name, _build_settings)


def reduce_wrapper(wrapper):
    return rebuild_wrapper, (type(wrapper), wrapper.name)


def pickle_wrappers_by_name(settings) -> None:
    """Pickle tags, categories and authors by name; unpickled ones get this build's settings."""
    global _build_settings
    _build_settings = settings
    for cls in (Tag, Category, Author):
        copyreg.pickle(cls, reduce_wrapper)


# ---------------------------------------------------------------- cache invalidation

def code_and_settings_fingerprint(settings, keys, libraries, modules) -> str:
    """A digest of some settings, library versions and source files: what a cached result was made under."""
    digest = hashlib.sha256()
    for key in keys:
        digest.update(f"{key}={settings.get(key)!r}\n".encode())
    for library in libraries:
        digest.update(f"{library}=={importlib.metadata.version(library)}\n".encode())
    for module in modules:
        digest.update(module.read_bytes())
    return digest.hexdigest()


def reader_fingerprint(settings) -> str:
    """A digest of everything that shapes the reader's output besides the file itself."""
    return code_and_settings_fingerprint(settings, READER_SETTINGS, LIBRARIES,
                                         sorted(Path(__file__).parent.glob("*.py")))


def guard_cache(settings) -> None:
    """Ignore (and so rewrite) a content cache written under other reader settings or code.

    Each output folder gets its own cache folder: builds running at the same time (tests,
    a preview beside a production build) would otherwise read a cache another is writing.
    So does each site address: the preview and `invoke publish` write the same folder with
    other SITEURLs, so other pages, and would each drop the pages the other keeps.
    """
    if not settings.get("CACHE_CONTENT"):
        return
    site = f"{os.path.abspath(settings['OUTPUT_PATH'])}\0{settings.get('SITEURL', '')}"
    output = hashlib.sha256(site.encode()).hexdigest()[:12]
    settings["CACHE_PATH"] = os.path.join(settings["CACHE_PATH"], output)
    # Pelican rewrites the whole cache after every build: at tens of thousands of items gzip
    # (level 9) costs a second or more each time, to save disk space nobody needs back.
    settings["GZIP_CACHE"] = False
    settings[FINGERPRINT] = reader_fingerprint(settings)
    stamp = Path(settings["CACHE_PATH"], CACHE_STAMP)
    if not (stamp.exists() and stamp.read_text(encoding="ascii") == settings[FINGERPRINT]):
        settings["LOAD_CONTENT_CACHE"] = False


def stamp_cache(settings) -> None:
    """Pelican has saved the cache (end of reading): record what it was written under."""
    fingerprint = settings.pop(FINGERPRINT, None)
    if fingerprint and os.path.isdir(settings["CACHE_PATH"]):
        Path(settings["CACHE_PATH"], CACHE_STAMP).write_text(fingerprint, encoding="ascii")


# ---------------------------------------------------------------- parsing ahead

_worker_reader = None


def start_worker(reader_class, settings) -> None:
    global _worker_reader
    _worker_reader = reader_class(settings)


def parse_chunk(paths: list[str]) -> list[tuple[str, tuple | None]]:
    results = []
    for path in paths:
        try:
            results.append((path, _worker_reader.read(path)))
        except Exception:  # noqa: BLE001 — read again in the build process, which reports it
            results.append((path, None))
    return results


def uncached(settings, sources) -> list[str]:
    """Paths Pelican will hand to the reader: not served by the content cache."""
    if settings.get("SKIP_OTHER_LANGUAGES"):  # plugins/editions: the reader skips them unparsed
        sources = [source for source in sources if source.lang == settings["DEFAULT_LANG"]]
    paths = []
    for kind, cache_name in CACHE_FILES.items():
        cache = os.path.join(settings["CACHE_PATH"], cache_name)
        written = os.path.getmtime(cache) if settings.get("LOAD_CONTENT_CACHE") and os.path.exists(cache) else None
        paths += [source.path for source in sources if source.kind == kind
                  and (written is None or changed_since(settings, source.path, written))]
    return paths


def changed_since(settings, path: str, written: float) -> bool:
    found = file_time_and_size(settings, path)
    return found is None or found[0] >= written


def share_file_stamps(generator) -> None:
    """At `article_generator_init` / `page_generator_init`: Pelican's content cache asks for every
    file's modification time three times (once for a generator layer it does not use), when the
    check already has it: it is taken from the check (~0.15 s at 10,000 items). A file edited since
    the check is stamped with its time at the check, and so read again by the next build."""
    if generator.settings.get("CHECK_MODIFIED_METHOD") != "mtime":
        return
    settings = generator.settings

    def checked_modification_time(path: str) -> float:
        found = file_time_and_size(settings, path)
        return found[0] if found else os.path.getmtime(path)  # gone: Pelican reports getmtime's error

    generator._filestamp_func = generator.readers._filestamp_func = checked_modification_time


def list_checked_files_in_order(generator) -> None:
    """At `article_generator_init` / `page_generator_init`: the generator reads only the files the
    check saw, and the order it will ask for them in is noted.

    A file saved between the check and Pelican's walk of the folders is left for the next build,
    which checks it (the preview builds again for that save): nothing is published unchecked.
    Pelican's get_files returns a set, iterated in an order of its own (string hashes differ from
    one process to the next); the workers parse in that order, so the build takes each result as
    it comes instead of waiting for a file at the end of the queue."""
    get_files = generator.get_files

    def checked_files_noting_order(*args, **kwargs):
        files = get_files(*args, **kwargs)
        paths = {name: os.path.abspath(os.path.join(generator.path, name)) for name in files}
        sources = generator.settings.get("PORTAL_SOURCES")
        if sources is not None:
            unchecked = {name for name, path in paths.items() if path not in sources}
            files = files - unchecked if unchecked else files
        # The set is not changed before Pelican iterates it, so it iterates in this same order.
        generator.settings.setdefault(READ_ORDER, []).extend(paths[name] for name in files)
        return files

    generator.get_files = checked_files_noting_order


def in_read_order(paths: list[str], asked: list[str]) -> list[str]:
    """`paths` in the order Pelican asks for them (`asked`), any it has not listed yet (the pages,
    listed after the news are read) at the end."""
    wanted = {os.path.abspath(p) for p in paths}
    return list(dict.fromkeys([path for path in asked if path in wanted] + sorted(wanted)))


class ParallelReading:
    """Results of files parsed ahead in worker processes, handed out once each."""

    def __init__(self, reader_class, settings, paths: list[str]):
        workers = os.cpu_count() or 1
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                        initializer=start_worker, initargs=(reader_class, settings))
        self.pending = {}
        for start in range(0, len(paths), CHUNK_SIZE):
            chunk = paths[start:start + CHUNK_SIZE]
            future = self.pool.submit(parse_chunk, chunk)
            self.pending.update((path, future) for path in chunk)
        self.done: dict[str, tuple] = {}

    def take(self, path: str):
        """The parsed (content, metadata) of `path`, or None if it was not parsed ahead."""
        future = self.pending.pop(path, None)
        if future is None:
            return self.done.pop(path, None)
        if path not in self.done:
            self.done.update(future.result())
        result = self.done.pop(path)
        if not self.pending:
            self.close()
        return result

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pending.clear()
        self.done.clear()


# ---------------------------------------------------------------- wiring

def prepare(pelican) -> None:
    """At `initialized`, before any generator loads the content cache."""
    pickle_wrappers_by_name(pelican.settings)
    guard_cache(pelican.settings)


def parsed_ahead(reader, source_path: str):
    """What a worker parsed for `source_path`; None to parse it here (and always inside a worker)."""
    if _worker_reader is not None:
        return None
    settings = reader.settings
    reading = settings.get(READING)
    if reading is None:
        paths = uncached(settings, settings.get("PORTAL_SOURCES", {}).values())
        reading = False
        if len(paths) >= settings.get("PARALLEL_READING_MIN_FILES", DEFAULT_MIN_FILES):
            reading = ParallelReading(type(reader), settings, in_read_order(paths, settings.get(READ_ORDER, [])))
        settings[READING] = reading
    return reading.take(os.path.abspath(source_path)) if reading else None


def without_utf8_copy(text: str) -> str:
    """An equal string that does not carry the UTF-8 copy pickling attached to `text`."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")


def release_cache(generator) -> None:
    """At `article_generator_finalized` / `page_generator_finalized`, just after Pelican saved its cache.

    Pickling a non-ASCII string makes CPython keep a UTF-8 copy of it inside the
    string for as long as it lives: saving the cache left one beside every body
    (~3 KiB an item, 65 MB at 20,000) for the rest of the build. The reader's
    cache in memory has nothing more to do in this run: it is dropped, and every
    body pickled with it is replaced by an equal string without the copy.
    """
    cache = getattr(generator.readers, "_cache", None)
    if cache and generator.settings.get("CACHE_CONTENT"):
        for item in generator.context.get("generated_content", {}).values():
            # The cache's entry (keyed by the file's absolute path, as the item's source_path) goes
            # first: each body with its copy is freed as soon as its replacement is made, instead of
            # all of them at the end, which held every body twice at once (+40 MiB at 20,000 items).
            entry = cache.pop(getattr(item, "source_path", None), None)
            pickled = entry is not None and entry[1][0] is getattr(item, "_content", None)
            del entry
            if pickled:
                item._content = without_utf8_copy(item._content)
        cache.clear()
    return_freed_memory()  # the cache, and what reading itself left behind


def finish(generators) -> None:
    """At `all_generators_finalized`: every file is read and the cache saved."""
    settings = generators[0].settings
    settings.pop(READ_ORDER, None)
    reading = settings.pop(READING, None)
    if reading:
        reading.close()
    stamp_cache(settings)
