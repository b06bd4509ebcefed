"""Building the Pagefind index: Chinese indexed character by character, in shards, incrementally.

Why characters: Pagefind segments Chinese pages with jieba when it indexes, but
the browser segments the reader's query with its own dictionary (Intl.Segmenter),
which splits words it does not know, such as 一网通办, into single characters.
The two never meet, and such a search finds nothing. So every Han character is
indexed as a word of its own, and js/search.js searches a Chinese keyword as an
exact phrase of characters: a page is found when it contains the keyword as
written, the way Chinese readers expect of a search box. Pagefind still ranks
the results (title and headings first).

The characters are set apart with U+3000 (ideographic space: a word separator
to Pagefind, and rare in running text) in a temporary copy of each page's
marked region; the site's own pages are never changed. The browser removes
U+3000 from titles and excerpts before showing them (js/search.js), so the
reader sees the text as written, the author's own spaces included. The copy of
a Chinese page is declared `lang="und"`: its words are already apart, and
Pagefind's Chinese mode would load and run jieba for nothing (46 MB and 40% of
the CPU of a run). The browser picks each edition's shards by the manifest, not
by that code.

The Traditional edition has no index of its own: its pages are the simplified ones
converted, so it searches the simplified index, and each simplified page carries the
fixes that show its text as the Traditional page has it (scripts.py, for why and how).
They are worked out by converting the page's indexed text as the edition converts the
whole page, so the index needs no Traditional page and can start before they are written.

A build starts the index once the root edition is written (`later`: the folders of the
editions still being built), runs its shards while the other editions are made, and
indexes the pages of `later` when told they are there (the end of its standard input).

Shards (shards.py) are indexed by separate Pagefind runs, so no run holds more
than SEARCH_SHARD_SIZE pages, and only the shards whose indexed content changed
are run again: the digest of each page's marked region (what the copy is made
of) is kept in the build's cache with the file's mtime and size, so an
unchanged file is not even read, and a page whose only change is outside its
region (a neighbour's title in its prev/next links) does not count.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import html as markup
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from pagefind_bin_extended import get_executable as pagefind_binary

import opencc

from portal_model.changes import list_applies, listed

from .scripts import FIXES_META, HAN_RUN, default_traditional, fixes, tables_file
from .shards import IndexedPage, Shard, plan_shards

SEPARATOR = "\u3000"
INDEXED_MARK = "data-pagefind-body"
BUNDLE_FOLDER = "pagefind"
# What the search page loads: {"indexes": {lang: [{"path": "zh-cn/2019/", "tag": digest}, ...]},
# "converted": {lang: {"index": lang, "folder": "zh-hant/"}}, "characters": file of scripts.py's tables}.
MANIFEST = "shards.json"
KEPT_BUNDLES = "search-bundles"  # beside the cache file: KeptBundles
KEPT_FIXES = "search-fixes"  # beside the cache file: KeptFixes

START_TAG = re.compile(r"<([a-zA-Z][\w-]*)\b[^>]*>")
ANY_TAG = re.compile(r"<[^>]*>")
# Pagefind ends a paragraph with "." in its text, but not a heading: an excerpt from the title on
# ran it into the text ("…在沪举行6月1日…"). The copy ends each heading not already ended so.
HEADING_END = re.compile(r"(?<![.!?。！？])</h[1-6]>", re.IGNORECASE)
HTML_LANG = re.compile(r'<html\b[^>]*\blang="([^"]+)"')
DATE_TAG = re.compile(r'<[^>]*\bdata-pagefind-meta="date"[^>]*>')
DATETIME_MONTH = re.compile(r'\bdatetime="(\d{4}-\d{2})')
# Where the copies Pagefind reads are made: in memory where the system offers it. A copy is a
# folder and a file per page, and on a disk creating them cost more than the copy itself.
COPIES_IN = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
# What each Pagefind run writes that the site's search page never loads (Pagefind's own UIs).
UNUSED_FILES = ("pagefind-ui.*", "pagefind-modular-ui.*", "pagefind-component-ui.*", "pagefind-highlight.js")


def spaced_text(text: str) -> str:
    """`G60科创` -> `G60␣科␣创␣` (␣ is U+3000): every Han character a word of its own."""
    return HAN_RUN.sub(lambda run: SEPARATOR + SEPARATOR.join(run[0]) + SEPARATOR, text)


@functools.cache
def _tags_named(name: str) -> re.Pattern:
    return re.compile(rf"<(/?){name}\b[^>]*>", re.IGNORECASE)


def marked_regions(html: str, marked: str = INDEXED_MARK) -> list[str]:
    """Each element with the attribute `marked`, start tag to matching end tag, without parsing the page."""
    regions = []
    position = 0
    while (mark := html.find(marked, position)) >= 0:
        start = START_TAG.match(html, html.rfind("<", position, mark))
        if not (start and mark < start.end()):  # the words in text, not an attribute
            position = mark + len(marked)
            continue
        depth, end = 1, len(html)  # unclosed: to the end, so that nothing indexed is left out
        for tag in _tags_named(start[1]).finditer(html, start.end()):
            depth += -1 if tag[1] else 1
            if not depth:
                end = tag.end()
                break
        regions.append(html[start.start():end])
        position = end
    return regions


def pagefind_language(lang: str) -> str:
    """The language the copy declares (see the module's docstring for `und`)."""
    return "und" if lang.startswith("zh") else lang


def indexed_copy(lang: str, regions: list[str], page_fixes: dict[str, list] | None = None) -> str:
    """All Pagefind is given of a page: its language and its marked regions, spaced, and with
    `page_fixes` ({converted edition's lang: scripts.fixes}) a meta field that is not searched.

    The meta and filters Pagefind would also take from outside the regions are left
    out; the theme puts them all inside (README, "What is indexed").
    """
    stop = "。" if lang.startswith("zh") else "."
    body = spaced_text(HEADING_END.sub(lambda end: end[0] + stop, "".join(regions)))  # after: not in the title meta
    if page_fixes:
        stored = markup.escape(json.dumps(page_fixes, ensure_ascii=False, separators=(",", ":")))
        end = body.rfind("</")  # inside the last region, where Pagefind takes meta from
        body = f'{body[:end]}<div data-pagefind-ignore><span data-pagefind-meta="{FIXES_META}">{stored}</span></div>{body[end:]}'
    return (f'<!DOCTYPE html><html lang="{pagefind_language(lang)}"><head><meta charset="utf-8"></head>'
            f"<body>{body}</body></html>")


def region_text(regions: list[str]) -> str:
    """The words of a page's marked regions, without what is marked data-pagefind-ignore."""
    text = "".join(regions)
    for ignored in marked_regions(text, "data-pagefind-ignore"):
        text = text.replace(ignored, " ")
    return markup.unescape(ANY_TAG.sub(" ", text))


def describe(path: str, html: str) -> IndexedPage | None:
    """The page as the index sees it, or None when nothing of it is indexed."""
    if INDEXED_MARK not in html:
        return None
    regions = marked_regions(html)
    if not regions:
        return None
    lang = HTML_LANG.search(html)
    lang = lang[1].lower() if lang else "unknown"
    date = DATE_TAG.search("".join(regions))
    month = DATETIME_MONTH.search(date[0]) if date else None
    digest = hashlib.sha256("\0".join([lang, *regions]).encode()).hexdigest()[:20]
    return IndexedPage(path, lang, month[1] if month else "", digest)


def code_version() -> str:
    """Changes with this plugin's indexing code, Pagefind's or OpenCC's version: every shard is then redone."""
    here = Path(__file__).parent
    sources = b"".join((here / name).read_bytes() for name in ("indexing.py", "shards.py", "scripts.py"))
    versions = f"{version('pagefind')} {version('opencc')}"  # OpenCC: the fixes of scripts.py
    return hashlib.sha256(sources + versions.encode()).hexdigest()[:20]


def scan_site(site: Path, known: dict, within: Iterable[str] | None = None,
              left_out: Iterable[str] = ()) -> tuple[list[IndexedPage], dict]:
    """Every indexed page of the site, or of its top folders `within`, but for the top folders
    `left_out`; a file whose mtime and size are in `known` is not read.

    `known` and the returned record: {path: [mtime_ns, size, lang, month, digest]}, or
    [mtime_ns, size] for a file with nothing indexed.
    """
    record = {}
    left_out = {BUNDLE_FOLDER, *left_out}
    for folder, subfolders, files in os.walk(site):
        if folder == str(site):
            subfolders[:] = [name for name in subfolders if name not in left_out
                             and (within is None or name in within)]
            if within is not None:
                files = []
        for name in files:
            if name.endswith(".html"):
                path = os.path.relpath(os.path.join(folder, name), site).replace(os.sep, "/")
                record[path] = scanned(site, path, known)
    return indexed_pages(record), record


def scan_listed(site: Path, known: dict, changes: dict, left_out: Iterable[str]) -> tuple[list[IndexedPage], dict]:
    """scan_site from the build's list of changes (portal_model.changes) instead of a walk: the
    files it wrote are looked at, those it removed dropped, the others kept as recorded."""
    left_out = {BUNDLE_FOLDER, *left_out}
    written = listed(changes["written"], (".html",), left_out)
    record = {path: known[path] for path in listed(known, (".html",), left_out) - written - set(changes["removed"])}
    for path in written:
        if (site / path).is_file():
            record[path] = scanned(site, path, known)
    return indexed_pages(record), record


def scanned(site: Path, path: str, known: dict) -> list:
    """A file's entry of the record: read only if its mtime and size are not those in `known`."""
    full = os.path.join(site, *path.split("/"))
    stat = os.stat(full)
    entry = known.get(path)
    if not (entry and entry[:2] == [stat.st_mtime_ns, stat.st_size]):
        with open(full, encoding="utf-8") as handle:
            page = describe(path, handle.read())
        entry = [stat.st_mtime_ns, stat.st_size]
        if page:
            entry += [page.lang, page.month, page.digest]
    return entry


def indexed_pages(record: dict) -> list[IndexedPage]:
    return [IndexedPage(path, *entry[2:]) for path, entry in record.items() if len(entry) > 2]


@dataclass
class Report:
    pages: dict[str, int]  # per edition (<html lang>)
    shards: int
    indexed: list[str] = field(default_factory=list)  # shard folders run again
    removed: list[str] = field(default_factory=list)  # shard folders whose pages are all gone


@functools.cache
def converter(conversion: str) -> opencc.OpenCC:
    return opencc.OpenCC(conversion)


def traditional_fixes(regions: list[str], editions: dict[str, dict]) -> dict[str, list]:
    """{lang: scripts.fixes} for each converted edition of the page's language.

    The edition converts the whole page, markup and all; its indexed text is the same as
    this text converted, since OpenCC's phrases are of Han characters only and every tag
    (here a space) parts them alike. A test compares the two on built pages.
    """
    if not editions:
        return {}
    text = region_text(regions)
    return {lang: fixes(text, converter(edition["conversion"]).convert(text)) for lang, edition in editions.items()}


def run_pagefind(site: Path, shard: Shard, bundle: Path, converted_editions: dict[str, dict],
                 kept: KeptBundles | None = None, digest: str = "", kept_fixes: KeptFixes | None = None) -> str | None:
    """Index one shard into bundle/<lang>/<period>/, keeping it in `kept` under `digest`
    and its pages' fixes in `kept_fixes`; return Pagefind's output if it failed."""
    target = bundle / shard.folder
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    converted_here = {lang: edition for lang, edition in converted_editions.items() if edition["index"] == shard.lang}
    known_fixes = kept_fixes.of(shard) if kept_fixes and converted_here else {}
    shard_fixes = {}
    with tempfile.TemporaryDirectory(prefix="search-", dir=COPIES_IN) as copy:
        for page in shard.pages:
            regions = marked_regions((site / page.path).read_text(encoding="utf-8"))
            page_fixes = known_fixes.get(page.digest)
            if page_fixes is None:
                page_fixes = traditional_fixes(regions, converted_here)
            shard_fixes[page.digest] = page_fixes
            destination = Path(copy, page.path)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(indexed_copy(page.lang, regions, page_fixes), encoding="utf-8")
        # Pagefind's command line, which returns once every file is written. (Its Python API
        # stops the indexing service as soon as it answers, and under load it once left an
        # empty pagefind-entry.json behind.) The binary itself: `python -m pagefind` would
        # start a Python for each shard only to exec it (0.1 s CPU, 0.2 s wall).
        run = subprocess.run(
            [str(pagefind_binary()), "--site", copy, "--output-path", str(partial)],
            capture_output=True, text=True)
    if run.returncode:
        shutil.rmtree(partial, ignore_errors=True)
        return f"{shard.folder}: {run.stdout}{run.stderr}"
    entry = json.loads((partial / "pagefind-entry.json").read_text(encoding="utf-8"))
    wasm = {f"wasm.{language['wasm'] or 'unknown'}.pagefind" for language in entry["languages"].values()}
    for pattern in (*UNUSED_FILES, "wasm.*.pagefind"):
        for unused in partial.glob(pattern):
            if unused.name not in wasm:
                unused.unlink()
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    if kept:
        kept.keep(target, digest)
    if kept_fixes and converted_here:
        kept_fixes.keep(shard, shard_fixes)
    return None


class KeptFixes:
    """The Traditional fixes of each shard's pages, by page digest, beside the cache file.

    Working them out (OpenCC over each page's text) is ~40% of the Python side of a shard's run,
    and an edit changes one of its ~600 pages. `version` is that of the index's code and
    editions (write_index's `current`): fixes of another are never used.
    """

    def __init__(self, folder: Path, version: str):
        self.folder = folder
        self.version = version

    def file(self, shard: Shard) -> Path:
        return self.folder / (shard.folder.strip("/").replace("/", "_") + ".json")

    def of(self, shard: Shard) -> dict[str, dict]:
        try:
            stored = json.loads(self.file(shard).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return stored["fixes"] if stored.get("version") == self.version else {}

    def keep(self, shard: Shard, fixes: dict[str, dict]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Half a file, from a build stopped while writing it, reads as none: the fixes are worked out again.
        self.file(shard).write_text(json.dumps({"version": self.version, "fixes": fixes}, ensure_ascii=False),
                                    encoding="utf-8")

    def forget_all_but(self, shards: list[Shard]) -> None:
        wanted = {self.file(shard) for shard in shards}
        for stale in set(self.folder.glob("*.json")) - wanted:
            stale.unlink()


class KeptBundles:
    """Each shard's bundle as Pagefind wrote it, by the shard's digest, beside the cache file.

    `invoke build` and every publication start from an emptied output folder: without
    these, each of them ran Pagefind over every page again although no shard had changed.
    Kept as second names of the bundle's files (hard links), never written in place:
    Pagefind writes a new folder, which replaces the old one.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    def keep(self, bundle: Path, digest: str) -> None:
        link_tree(bundle, self.folder / digest)

    def restore(self, digest: str, bundle: Path) -> bool:
        """Put the bundle kept under `digest` at `bundle`; False when there is none."""
        kept = self.folder / digest
        if not kept.is_dir():
            return False
        link_tree(kept, bundle)
        return True

    def forget_all_but(self, digests: Iterable[str]) -> None:
        if self.folder.is_dir():
            for kept in set(os.listdir(self.folder)) - set(digests):
                shutil.rmtree(self.folder / kept, ignore_errors=True)


def link_tree(source: Path, destination: Path) -> None:
    """`destination` replaced by a copy of `source` made of hard links (or of copies on another
    file system), made beside it and renamed into place: a build stopped meanwhile leaves no
    half bundle under the name. (This process does not import portal_model's link_or_copy: it
    would bring Pelican, ~0.2 s to start.)"""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    same_device = os.stat(source).st_dev == os.stat(destination.parent).st_dev
    shutil.copytree(source, partial, copy_function=os.link if same_device else shutil.copy2)
    shutil.rmtree(destination, ignore_errors=True)
    partial.rename(destination)


def remove_all_but(bundle: Path, shards: list[Shard], kept_files: set[str]) -> list[str]:
    """Delete from the bundle every folder that is no shard of `shards` and every file not kept;
    return the shards removed."""
    wanted = {shard.folder for shard in shards}
    removed = []
    for item in bundle.iterdir():
        if item.name in kept_files:
            continue
        if not item.is_dir():
            item.unlink()
            continue
        for folder in item.iterdir():
            name = f"{item.name}/{folder.name}"
            if name in wanted:
                continue
            if folder.is_dir():
                shutil.rmtree(folder)
            else:
                folder.unlink()
            if not folder.name.startswith("."):  # a run's partial output is no shard
                removed.append(name)
        if not any(item.iterdir()):
            item.rmdir()
    return sorted(removed)


def write_manifest(bundle: Path, shards: list[Shard], digests: dict[str, str], converted: dict[str, dict],
                   characters: str) -> None:
    indexes: dict[str, list] = {}
    for shard in shards:
        indexes.setdefault(shard.lang, []).append({"path": f"{shard.folder}/", "tag": digests[shard.folder]})
    text = json.dumps({"indexes": indexes, "converted": converted, "characters": characters},
                      ensure_ascii=False, indent=1, sort_keys=True)
    write_if_changed(bundle / MANIFEST, text)


def write_if_changed(path: Path, text: str) -> None:
    # Unchanged, a file stays untouched (its compressed copies and a deployment's sync with it).
    if not (path.exists() and path.read_text(encoding="utf-8") == text):
        path.write_text(text, encoding="utf-8")


def load_cache(cache: Path | None, current: str) -> dict:
    if cache and cache.exists():
        stored = json.loads(cache.read_text(encoding="utf-8"))
        if stored.get("version") == current:
            return stored
    return {"version": current, "pages": {}, "shards": {}}


def write_index(site: Path, shard_size: int, parallel_runs: int = 1, cache: Path | None = None,
                converted_editions: dict[str, dict] | None = None, later: Iterable[str] = (),
                wait: Callable[[], object] = lambda: None, changes: dict | None = None,
                begin: Callable[[], dict] | None = None) -> Report:
    """Index the pages under `site` into shards under `site/pagefind/`; with `cache` (a JSON file
    kept between builds), run Pagefind only for the shards whose indexed content changed.

    The top folders `later` are indexed once `wait()` returns, the rest meanwhile.
    `converted_editions` ({lang: {"index": lang of its original, "folder": "zh-hant/",
    "conversion": OpenCC's}}) are not indexed: they search their originals' index, whose
    pages carry their fixes.
    `changes`: what the build wrote and removed (portal_model.changes.OutputChanges.summary); when
    the cache is of the build before it, only those files are looked at instead of a walk.
    `begin`: for a process started with the build, before the root edition is written: it reads
    what it can meanwhile, then `begin()` returns once the edition is written, with `later` and
    `changes` (search/build.py IndexRun). Before that it may return `{"ahead": changes}`: pages
    already written (plugins/incremental_writer writes an edited item's ahead), whose shards are
    indexed at once; a shard whose pages then change again is indexed again.
    """
    converted_editions = converted_editions or {}
    bundle = site / BUNDLE_FOLDER
    # The Traditional fixes are part of what is indexed: a shard's digest depends on the editions.
    current = code_version() + json.dumps(converted_editions, sort_keys=True)
    stored = load_cache(cache, current)
    characters, tables = tables_file()
    default_traditional()  # before the workers fork, so that they share it
    converted_folders = {edition["folder"].strip("/") for edition in converted_editions.values()}
    indexed = dict(stored["shards"])  # shard folder: digest of what its files hold
    runs: dict[str, tuple[str, object]] = {}  # shard folder: (digest, its run)
    kept = KeptBundles(cache.with_name(KEPT_BUNDLES)) if cache else None
    kept_fixes = KeptFixes(cache.with_name(KEPT_FIXES), current) if cache else None

    def run_stale(pool, shards: list[Shard], ahead: bool = False) -> dict[str, str]:
        """Start Pagefind for each shard not already indexed as it is now, by this run or the last build's.
        `ahead`: of pages written ahead; a shard already started is left to the edition's own plan."""
        digests = {shard.folder: shard.digest(current) for shard in shards}
        for shard in shards:
            digest, started = digests[shard.folder], runs.get(shard.folder)
            if started:
                if started[0] == digest or ahead:
                    continue
                # Planned anew: never two runs into one folder at once. A run ahead of the edition
                # may have met a page the edition then removed: it is run again, that is all.
                with contextlib.suppress(OSError):
                    started[1].result()
            elif indexed.get(shard.folder) == digest and (bundle / shard.folder / "pagefind-entry.json").exists():
                continue
            elif kept and kept.restore(digest, bundle / shard.folder):
                continue
            runs[shard.folder] = digest, pool.submit(run_pagefind, site, shard, bundle, converted_editions,
                                                     kept, digest, kept_fixes)
        return digests

    # Processes, not threads: making a shard's copy (reading its pages, the fixes) is Python,
    # ~40% of the CPU of indexing, and threads took turns at it. Forked, they start with the tables.
    with ProcessPoolExecutor(max(1, parallel_runs), mp_context=multiprocessing.get_context("fork")) as pool:
        if begin:  # nothing of the output is touched before: the build may be emptying it
            options = begin()
            while "ahead" in options:  # pages written ahead (an edited item's): their shards start now
                # Only into an output the build did not empty: only then are the changes listed.
                if stored["shards"] and list_applies(options["ahead"], stored.get("build")):
                    ahead_pages, _ = scan_listed(site, stored["pages"], options["ahead"], left_out=converted_folders)
                    run_stale(pool, plan_shards(ahead_pages, shard_size), ahead=True)
                options = begin()
            later, changes = options["later"], options["changes"]
        if not stored["shards"]:
            # Nothing known about what is there: start afresh (an old single bundle included).
            shutil.rmtree(bundle, ignore_errors=True)
        bundle.mkdir(parents=True, exist_ok=True)
        later = {folder.strip("/") for folder in later} - converted_folders
        if stored["pages"] and list_applies(changes, stored.get("build")):
            pages, record = scan_listed(site, stored["pages"], changes, left_out=converted_folders | later)
        else:
            pages, record = scan_site(site, stored["pages"], left_out=converted_folders | later)
        run_stale(pool, plan_shards(pages, shard_size))
        if later:
            wait()
            later_pages, later_record = scan_site(site, stored["pages"], within=later)
            pages, record = pages + later_pages, {**record, **later_record}
        # Planned again with every page: a language found in both parts is shared out anew.
        shards = plan_shards(pages, shard_size)
        digests = run_stale(pool, shards)
        for folder in runs.keys() - digests.keys():  # started ahead, a shard the edition no longer has
            with contextlib.suppress(OSError):
                runs.pop(folder)[1].result()
        failures = {folder: run.result() for folder, (_, run) in runs.items()}
    converted = {lang: {"index": edition["index"], "folder": edition["folder"]}
                 for lang, edition in converted_editions.items() if (site / edition["folder"]).is_dir()}
    pages_per_edition = dict(Counter(page.lang for page in pages))
    # A converted edition has a page for each of its original's.
    pages_per_edition.update((lang, pages_per_edition[edition["index"]]) for lang, edition in converted.items()
                             if edition["index"] in pages_per_edition)
    wanted = {shard.folder for shard in shards}
    report = Report(pages_per_edition, len(shards),
                    indexed=sorted(folder for folder, failure in failures.items() if not failure and folder in wanted),
                    removed=remove_all_but(bundle, shards, {MANIFEST, characters}))
    write_if_changed(bundle / characters, tables)
    write_manifest(bundle, shards, digests, converted, characters)
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        done = {folder: digest for folder, digest in digests.items() if not failures.get(folder)}
        kept.forget_all_but(done.values())
        kept_fixes.forget_all_but(shards)
        cache.write_text(json.dumps({"version": current, "build": changes["build"] if changes else None,
                                     "pages": record, "shards": done}), encoding="utf-8")
    errors = [failure for failure in failures.values() if failure]
    if errors:
        raise RuntimeError("站内搜索的索引没有建成(search index failed):\n" + "\n".join(errors))
    return report


def main(arguments: str) -> int:
    """`python -m search.indexing '{"site": ..., "shard_size": ..., ...}'`: write_index in a process
    of its own (search/build.py says why). It starts once its standard input has a line of JSON,
    `{"later": [...], "changes": ...}` (after any number of `{"ahead": ...}`), and indexes the pages
    of `later` when the input ends.
    Prints the Report as JSON, or why it failed."""
    options = json.loads(arguments)
    cache = options.pop("cache")
    try:
        report = write_index(Path(options.pop("site")), cache=Path(cache) if cache else None,
                             wait=sys.stdin.read, begin=lambda: json.loads(sys.stdin.readline()), **options)
    except RuntimeError as failure:
        print(failure, file=sys.stderr)
        return 1
    print(json.dumps(dataclasses.asdict(report), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
