"""The Traditional Chinese edition: the finished zh-Hans output, converted with OpenCC.

Every text file of the root edition is converted and written to the same path
under `zh-hant/`. OpenCC changes Chinese characters only, so markup, URLs, slugs
and ids come through untouched; then the site's own links are moved into
`zh-hant/` (see `LinkRewriter`). Theme assets, content images, the other
editions and everything that is not converted stay shared at their own URLs.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import pickle
import posixpath
import re
import subprocess
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from typing import NamedTuple
from urllib.parse import quote, urlsplit

import opencc

from portal_model import PluginProcess, link_or_copy, list_applies, listed, remove_all_but, remove_page, write_whole

# Standard Traditional characters, no regional vocabulary: see README.md.
CONVERSION = "s2t"
TEXT_SUFFIXES = (".html", ".xml", ".json", ".opml", ".csv", ".txt", ".xsl")
# Language tags of the root edition in markup, feeds and data, and their Traditional form.
# Open Graph knows no script-only locale; zh_TW is its usual Traditional one.
LANGUAGE_TAGS = {"zh-CN": "zh-Hant", "zh_CN": "zh_TW"}
# The patterns below start with a literal and check what must come before it with a
# look-behind: the regex engine then jumps from one occurrence of the literal to the next
# instead of trying the pattern at every character (`\b(?:zh-CN|zh_CN)\b` took half the time).
# zh-CN or zh_CN as a whole word.
LANGUAGE_TAG = re.compile(r"zh(?<!\wzh)[-_]CN\b")
# URL attributes in HTML and XML (also <?xml-stylesheet href="…"?>): white space, then href,
# src, action or poster ="value"; or data-…="value" (no fixed width: a pattern of its own).
ADDRESS_ATTRIBUTE = re.compile(r'(=")(?:(?<=\shref=")|(?<=\ssrc=")|(?<=\saction=")|(?<=\sposter="))([^"]*)"')
# Not every data-… value is an address (data-label="专题"): only those that read as one are moved.
DATA_ATTRIBUTE = re.compile(r'(data-(?<=\sdata-)[a-z-]+=")([^"]*)"')
# Links of the edition switcher and the hreflang alternates name their edition: never moved.
HREFLANG_TAG = re.compile(r"<(?:a|link)\b[^<>]*\shreflang=\"[^\"]*\"[^<>]*>")
HREFLANG = 'hreflang="'
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class FolderNeeded(Exception):
    """A relative link, rewritten without the page's folder: where it points depends on it."""


class AddressWithHan(Exception):
    """A URL with Chinese characters (an image or file an editor named in Chinese): OpenCC
    converted it with the text, so it names a file that does not exist. The text is converted
    again with such URLs percent-encoded first (LinkRewriter.addresses_encoded)."""


# Every printable ASCII character: percent-encoding leaves them, and so a URL's own %XX, as they are.
URL_SAFE = "".join(map(chr, range(0x21, 0x7F)))


def url_path(url: str) -> str:
    return url.partition("#")[0].partition("?")[0]


def is_unconverted_file(path: str) -> bool:
    """A file name whose suffix is not converted: an image, a PDF."""
    last = path.rpartition("/")[2]
    return "." in last and not last.endswith(TEXT_SUFFIXES)


@dataclass(frozen=True)
class LinkRewriter:
    """Moves the site's own links of a converted file into the edition folder.

    `absolute_base` is the site's absolute root ("https://csj.example/"), `root_path`
    the path part of SITEURL ("" or "/portal"), `shared` the top folders that are no
    edition's ("static", "images", "en", "zh-hant", …), `tag_prefix` the feeds'
    entry-id prefix ("tag:csj.example,2018:").
    """

    prefix: str  # "zh-hant/"
    absolute_base: str
    root_path: str
    shared: frozenset
    tag_prefix: str = ""

    def is_shared(self, site_path: str) -> bool:
        """A theme asset, an image, another edition, or a file that is not converted."""
        path = url_path(site_path)
        return path.partition("/")[0] in self.shared or is_unconverted_file(path)

    def site_path(self, site_path: str) -> str:
        return site_path if self.is_shared(site_path) else self.prefix + site_path

    @cached_property
    def moved(self):
        """`site_path` with its latest answers kept: every page links to the same few hundred paths."""
        return lru_cache(maxsize=4096)(self.site_path)

    @cached_property
    def root(self) -> str:
        return self.root_path + "/"

    def attribute_url(self, url: str, page_folder: str | None) -> str:
        """A root-relative or relative URL of an attribute (absolute ones are done with the text)."""
        if url.startswith("/"):  # root-relative: most links
            if url.startswith("//") or not url.startswith(self.root):
                return url
            return self.root + self.moved(url[len(self.root):])
        if not url or url.startswith(("#", "?")) or SCHEME.match(url):
            return url
        # Relative: the page moved one folder down, so a shared target is one more level up.
        if page_folder is None:
            # Whatever folder below the root the page is in (never a shared one), a URL without
            # "." or ".." stays inside it: shared only if it names a file that is not converted.
            if not {".", ".."}.isdisjoint(url.split("/")):
                raise FolderNeeded(url)
            shared = is_unconverted_file(url_path(posixpath.normpath(url)))
        else:
            target = posixpath.normpath(posixpath.join(page_folder, url))
            shared = not target.startswith("..") and self.is_shared(target)
        return "../" * self.prefix.count("/") + url if shared else url

    # Compiled once per rewriter, not per file.
    @cached_property
    def absolute_url(self) -> re.Pattern:
        # Not past CJK punctuation: in running text, "…/about/。" ends the address at 。.
        return re.compile(re.escape(self.absolute_base) + r"([^\s\"'<>()\u2018-\u201f\u3000-\u303f\uff00-\uffef]*)")

    @cached_property
    def feed_id(self) -> re.Pattern | None:
        return re.compile(re.escape(self.tag_prefix) + r"(?=[a-z0-9])") if self.tag_prefix else None

    def rewrite(self, text: str, page_folder: str | None) -> str:
        """Links, absolute URLs and feed ids of one converted file, outside hreflang links.

        `page_folder` None: a part of pages in any folders below the root, none of them shared;
        FolderNeeded if a relative link's target depends on which.

        One pass per pattern: the regex engine has no fast search for an alternation of
        them, and a single combined pattern took three times as long as these passes.
        """
        def attribute(match: re.Match) -> str:
            return match[1] + self.attribute_url(match[2], page_folder) + '"'

        def address(match: re.Match) -> str:
            if not match[2].isascii():
                raise AddressWithHan(match[2])
            return attribute(match)

        def absolute(match: re.Match) -> str:
            if names_file_with_han(match[1]):
                raise AddressWithHan(match[0])
            return self.absolute_base + self.moved(match[1])

        def part(segment: str) -> str:
            segment = DATA_ATTRIBUTE.sub(attribute, ADDRESS_ATTRIBUTE.sub(address, segment))
            # Absolute URLs anywhere: attributes, text, JSON, feed elements.
            segment = self.absolute_url.sub(absolute, segment)
            if self.feed_id:
                segment = self.feed_id.sub(self.tag_prefix + self.prefix, segment)
            return LANGUAGE_TAG.sub(lambda match: LANGUAGE_TAGS[match[0]], segment)

        pieces, position = [], 0
        for tag in hreflang_tags(text):
            pieces.append(part(text[position:tag.start()]))
            pieces.append(current_edition_marked(tag[0]))
            position = tag.end()
        pieces.append(part(text[position:]))
        return "".join(pieces)

    def addresses_encoded(self, text: str) -> str:
        """`text` with the Chinese characters of the URLs `rewrite` looks at percent-encoded: the
        same addresses to a browser, and nothing OpenCC converts."""
        def encoded(match: re.Match) -> str:
            return ascii_url(match[0]) if names_file_with_han(match[1]) else match[0]

        def encoded_attribute(match: re.Match) -> str:
            return match[1] + ascii_url(match[2]) + '"'

        return self.absolute_url.sub(encoded, ADDRESS_ATTRIBUTE.sub(encoded_attribute, text))


def names_file_with_han(site_path: str) -> bool:
    """An absolute address of the site in running text, with Chinese characters, that names a file
    (长三角地图.png): not "…/about/详见", an address the text runs on from."""
    return not site_path.isascii() and is_unconverted_file(url_path(site_path))


def ascii_url(url: str) -> str:
    """The same address in ASCII: a host in IDNA (中文.cn -> xn--…), the rest percent-encoded."""
    if url.isascii():
        return url
    host = urlsplit(url).netloc.rpartition("@")[2].partition(":")[0]  # as written: hostname is lower-cased
    if not host.isascii():
        with contextlib.suppress(UnicodeError):  # no host IDNA can write: percent-encoded with the rest
            url = url.replace(host, host.encode("idna").decode("ascii"), 1)
    return quote(url, safe=URL_SAFE)


def hreflang_tags(text: str):
    """HREFLANG_TAG's matches, found from the rare `hreflang="` instead of from every "<"."""
    position = search = 0  # the end of the last tag; where to look for the next attribute
    while (attribute := text.find(HREFLANG, search)) >= 0:
        # A tag has no "<" before its end: the only start of one around the attribute.
        start = text.rfind("<", position, attribute)
        tag = HREFLANG_TAG.match(text, start) if start >= 0 else None
        if tag:
            yield tag
            position = tag.end()
        search = max(position, attribute + 1)


CURRENT = ' aria-current="page"'


def current_edition_marked(tag: str) -> str:
    """The switcher marks the page's own edition: the Traditional link now, not the simplified."""
    if 'hreflang="zh-Hans"' in tag:
        return tag.replace(CURRENT, "")
    if 'hreflang="zh-Hant"' in tag and tag.startswith("<a") and CURRENT not in tag:
        return tag[:-1] + CURRENT + ">"
    return tag


def walk(top: str, topdown: bool = True):
    """os.walk, each folder with the site path of its files less their names ("" for `top`, "news/2019/").

    os.walk joins `top` and the names below it: cutting `top` off is enough (os.path.relpath
    took a third of a build that converts nothing).
    """
    start = len(os.path.join(top, ""))
    for folder, dirnames, filenames in os.walk(top, topdown):
        relative = folder[start:].replace(os.sep, "/")
        yield folder, f"{relative}/" if relative else "", dirnames, filenames


def source_files(output: str, skipped: set[str]):
    """Every text file of the root edition, as (absolute path, site path)."""
    for folder, site_folder, dirnames, filenames in walk(output):
        if not site_folder:
            dirnames[:] = [d for d in dirnames if d not in skipped]
        for name in filenames:
            if name.endswith(TEXT_SUFFIXES):
                yield os.path.join(folder, name), site_folder + name


def stamp(path: str) -> tuple[int, int] | None:
    """What tells a file changed without reading it: modification time (ns) and size."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size


class Written(NamedTuple):  # a tuple: the manifest of a large site is unpickled on every build
    """One converted file as a run left it: the source's stamp, the cache entry, the result's stamp."""

    site_path: str
    source: tuple[int, int]
    entry: str | None
    result: tuple[int, int]


MANIFEST = "manifest.pickle"


class ConvertedFiles:
    """Converted files kept by a digest of everything the conversion depends on.

    An edit changes a handful of the root edition's files; the others are copied
    from the cache instead of going through OpenCC again. The manifest records what
    the last run wrote, so that a file whose source and result both still have the
    recorded stamps is not even read. Entries not used by a run are removed at its
    end, so the cache holds one site's worth.
    """

    def __init__(self, folder: str, rewriter: LinkRewriter):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        # Sorted: a frozenset's order changes between processes with string hashing.
        # This module's own text too: a change to the rewriting makes every entry stale.
        with open(__file__, "rb") as code:
            self.salt = repr((CONVERSION, opencc.__version__, hashlib.blake2b(code.read()).hexdigest(),
                              rewriter.prefix, rewriter.absolute_base, rewriter.root_path,
                              sorted(rewriter.shared), rewriter.tag_prefix)).encode()
        self.previous: dict[str, Written] = {}
        self.build = None  # the build of the output the last run caught up with (portal_model.changes)
        try:
            with open(os.path.join(folder, MANIFEST), "rb") as handle:
                salt, build, previous = pickle.load(handle)
            if salt == self.salt:
                self.previous, self.build = previous, build
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
            pass  # no manifest yet, or an unreadable one: every file is read again
        self.written: dict[str, Written] = {}

    def unchanged(self, site_path: str, source: tuple[int, int] | None, destination: str) -> bool:
        """Source and result are as the last run left them: nothing to do (not even reading)."""
        record = self.previous.get(site_path)
        if record is None or record.source != source or stamp(destination) != record.result:
            return False
        self.written[site_path] = record
        return True

    def carry_over_all_but(self, changed: set[str]) -> set[str]:
        """The files the last run converted but `changed`, recorded as it left them (not looked at)."""
        kept = self.previous.keys() - changed
        self.written.update((site_path, self.previous[site_path]) for site_path in kept)
        return set(kept)

    def converted_before(self, site_path: str, source: tuple[int, int] | None) -> str | None:
        """The entry the last run converted this source into, if the source still has its stamp:
        an emptied output (invoke build, a publication) is filled again without reading it."""
        record = self.previous.get(site_path)
        if record is None or record.source != source or record.entry is None:
            return None
        return os.path.join(self.folder, record.entry)

    def entry(self, source: bytes, site_path: str) -> str:
        return hashlib.blake2b(b"\0".join((self.salt, site_path.encode(), source))).hexdigest()

    def save(self, written: list[Written], build: str | None) -> None:
        """Record this run's files, and the build of the output they are; remove the entries it did not use."""
        self.written.update((record.site_path, record) for record in written)
        remove_all_but(self.folder, {record.entry for record in self.written.values()} | {MANIFEST})
        partial = os.path.join(self.folder, f".{MANIFEST}.{os.getpid()}")
        with open(partial, "wb") as handle:
            pickle.dump((self.salt, build, self.written), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, os.path.join(self.folder, MANIFEST))


# A tag still open at a line's end: the line is not a piece on its own.
OPEN_TAG_AT_LINE_END = re.compile(r"<[^<>\n]*\n")  # "(?:\n|$)" took three times as long


def pieces(text: str) -> list[str]:
    """`text` cut at its line ends, except inside a tag (an attribute may span lines).

    Neither OpenCC's phrases nor the rewriter's patterns reach across a line end outside
    a tag, so a piece converts as it would within the whole file.
    """
    last_line = text[text.rfind("\n") + 1:]
    if not OPEN_TAG_AT_LINE_END.search(text) and last_line.rfind("<") <= last_line.rfind(">"):
        return text.split("\n")  # nearly every file: no tag spans lines
    found, piece = [], None
    for line in text.split("\n"):
        piece = line if piece is None else f"{piece}\n{line}"
        if piece.rfind("<") <= piece.rfind(">"):
            found.append(piece)
            piece = None
    return found if piece is None else [*found, piece]


def split_like(text: str, parts: list[str]) -> list[str]:
    """The conversion of the parts joined by line ends, cut back into theirs: conversion keeps
    every line end."""
    lines = text.split("\n")
    if len(lines) == len(parts):
        return lines
    result, start = [], 0
    for part in parts:
        end = start + part.count("\n") + 1
        result.append("\n".join(lines[start:end]))
        start = end
    return result


# The header, menus, footer and list entries repeat over thousands of pages: a piece seen
# lately is taken from memory, not converted again. Pieces not yet seen are converted
# together: OpenCC and the rewriter cost much more called per line than per file.
PIECES_REMEMBERED = 20000


@dataclass(frozen=True)
class Conversion:
    """Converts one file of the root edition, or takes its result from the cache."""

    converter: object  # opencc.OpenCC
    rewriter: LinkRewriter
    cache: ConvertedFiles | None

    @cached_property
    def remembered(self) -> dict[str, str]:
        return {}  # each worker's own; only pieces without relative links, the same on every page

    def converted(self, text: str, page_folder: str) -> str:
        try:
            return self.converted_as_is(text, page_folder)
        except AddressWithHan:  # rare: converted again, those URLs encoded
            return self.converted_as_is(self.rewriter.addresses_encoded(text), page_folder)

    def converted_as_is(self, text: str, page_folder: str) -> str:
        if not page_folder or page_folder.partition("/")[0] in self.rewriter.shared:
            return self.rewriter.rewrite(self.converter.convert(text), page_folder)  # not like the others
        every = pieces(text)
        results = [self.remembered.get(piece) for piece in every]
        missing = [piece for piece, result in zip(every, results) if result is None]
        if not missing:
            return "\n".join(results)
        fresh = iter(self.converted_pieces(missing, page_folder))
        return "\n".join([next(fresh) if result is None else result for result in results])

    def converted_pieces(self, missing: list[str], page_folder: str) -> list[str]:
        converted = "\n".join(missing)
        if not converted.isascii():
            converted = self.converter.convert(converted)
        try:
            rewritten = split_like(self.rewriter.rewrite(converted, None), missing)
        except FolderNeeded:  # relative links somewhere: piece by piece, remembering those without
            return [self.rewritten_piece(piece, text, page_folder)
                    for piece, text in zip(missing, split_like(converted, missing))]
        if len(self.remembered) > PIECES_REMEMBERED:
            self.remembered.clear()
        self.remembered.update(zip(missing, rewritten))
        return rewritten

    def rewritten_piece(self, piece: str, converted: str, page_folder: str) -> str:
        try:
            self.remembered[piece] = rewritten = self.rewriter.rewrite(converted, None)
        except FolderNeeded:
            return self.rewriter.rewrite(converted, page_folder)
        return rewritten

    def write(self, path: str, site_path: str, destination: str, source_stamp: tuple[int, int] | None) -> Written:
        """`source_stamp`: the source's, taken when the job was listed (one stat a file, not two)."""
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        # Never written over (link_or_copy, write_whole): the last run's file may be a cache entry.
        converted = self.cache.converted_before(site_path, source_stamp) if self.cache else None
        if converted:
            try:
                link_or_copy(converted, destination)
            except FileNotFoundError:
                pass  # its entry is gone: converted below
            else:
                return Written(site_path, source_stamp, os.path.basename(converted), stamp(destination))
        with open(path, "rb") as handle:
            source = handle.read()
        entry = self.cache.entry(source, site_path) if self.cache else None
        cached = os.path.join(self.cache.folder, entry) if entry else None
        if cached and os.path.exists(cached):
            link_or_copy(cached, destination)
        else:
            text = source.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads
            write_whole(destination, self.converted(text, posixpath.dirname(site_path)))
            if cached:
                link_or_copy(destination, cached)
        return Written(site_path, source_stamp, entry, stamp(destination))


# Converting is independent per file: with many files, each core takes a share.
PARALLEL_MIN_FILES = 200
CHUNK_SIZE = 32
_worker_conversion: Conversion | None = None


def start_worker(conversion: Conversion) -> None:
    global _worker_conversion
    _worker_conversion = conversion


def write_chunk(jobs: list[tuple]) -> list[Written]:
    return [_worker_conversion.write(*job) for job in jobs]


def write_all(conversion: Conversion, jobs: list[tuple]) -> list[Written]:
    """Every job's result; in forked worker processes (one per core) when there are many."""
    workers = os.cpu_count() or 1
    if len(jobs) < PARALLEL_MIN_FILES or workers < 2:
        return [conversion.write(*job) for job in jobs]
    # Forked: the workers inherit the converter and rewriter; only paths and stamps travel.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=start_worker, initargs=(conversion,)) as pool:
        chunks = [jobs[start:start + CHUNK_SIZE] for start in range(0, len(jobs), CHUNK_SIZE)]
        return [written for chunk in pool.map(write_chunk, chunks) for written in chunk]


def remove_stale(target_root: str, site_paths: set[str]) -> int:
    """Files under the edition folder that are not this run's (pages of removed items …), and emptied folders."""
    removed, emptied = 0, set()
    for folder, site_folder, dirnames, filenames in walk(target_root, topdown=False):
        kept = len(filenames)
        for name in filenames:
            if site_folder + name not in site_paths:
                os.remove(os.path.join(folder, name))
                removed += 1
                kept -= 1
        # Bottom-up, every folder below has been seen: no listing again to tell this one is empty
        # (one listing per item folder, 14,000 at 10,000 items).
        if folder != target_root and not kept and all(os.path.join(folder, name) in emptied for name in dirnames):
            os.rmdir(folder)
            emptied.add(folder)
    return removed


@dataclass(frozen=True)
class Outcome:
    files: int  # in the edition
    written: int  # converted or copied from the cache; the rest were left as they were
    removed: int


def write_traditional(output: str, rewriter: LinkRewriter, skipped: set[str],
                      cache_folder: str | None = None, same_files: bool = False,
                      changes: dict | None = None, told=None) -> Outcome | None:
    """Convert the root edition under `output` into output/<prefix>.

    With `cache_folder`, a file whose source and result are as the last run left them
    is not touched, and files converted by an earlier run from the same bytes are
    taken from there (linked). Without it, every file is converted.

    `same_files`: the root edition has the files the last run converted, no more, no fewer
    (the preview's quick rebuild rewrites files, never adds or removes one). They are taken
    from the cache's manifest instead of a walk of the output, which took 3.8 s of a 5 s
    quick rebuild at 20,000 items (a folder per item).

    `changes`: what the build wrote and removed (portal_model.changes.OutputChanges.summary).
    When the last run caught up with the build before it, only those files are looked at.

    `told`: called once the cache and the converter are loaded, before any file is looked at; it
    returns when the files are there to convert, with what the build changed if not known before
    (`{"changes": …}`), or None if they never will be (then: None).
    """
    cache = ConvertedFiles(cache_folder, rewriter) if cache_folder else None
    converter = opencc.OpenCC(CONVERSION)
    if told is not None:
        message = told()
        if message is None:
            return None
        changes = message.get("changes", changes)
    target_root = os.path.join(output, rewriter.prefix)
    skipped = skipped | {rewriter.prefix.rstrip("/")}
    # The manifest is this output folder's: strict_content gives each its own CACHE_PATH.
    if cache and cache.previous and list_applies(changes, cache.build):
        rewritten, gone = (listed(changes[kind], TEXT_SUFFIXES, skipped) for kind in ("written", "removed"))
        site_paths = cache.carry_over_all_but(rewritten | gone)
        removed = remove_converted(target_root, gone)
        sources = named_files(output, rewritten)
    elif cache and same_files and cache.previous:
        site_paths, removed = set(), 0
        sources = named_files(output, cache.previous)
    else:
        site_paths, removed = set(), None
        sources = source_files(output, skipped)
    jobs = []
    for path, site_path in sources:
        site_paths.add(site_path)
        destination = os.path.join(target_root, *site_path.split("/"))
        source_stamp = stamp(path)
        if not (cache and cache.unchanged(site_path, source_stamp, destination)):
            jobs.append((path, site_path, destination, source_stamp))
    if removed is None:  # the output was walked: no stale pages of removed items
        removed = remove_stale(target_root, site_paths)
    written = write_all(Conversion(converter, rewriter, cache), jobs)
    if cache:
        cache.save(written, changes["build"] if changes else None)
    return Outcome(len(site_paths), len(written), removed)


def named_files(output: str, site_paths) -> list[tuple[str, str]]:
    """(absolute path, site path) of each, as source_files gives them."""
    return [(os.path.join(output, *site_path.split("/")), site_path) for site_path in site_paths]


def remove_converted(target_root: str, site_paths: set[str]) -> int:
    """The converted pages of files the build removed, with the folders they leave empty."""
    return sum(remove_page(os.path.join(target_root, *site_path.split("/"))) for site_path in site_paths)


class TraditionalRun:
    """write_traditional in a process of its own (portal_model.PluginProcess, editions/converting.py):
    the build's process does other work meanwhile (the English edition), and never holds the list of
    every file of the site, nor what was written of each (~35 MiB at 20,000 items), nor OpenCC's
    dictionaries (~27 MiB).

    `when_told`: the process starts now, loads what it needs, and converts only once told that the
    pages are written (`pages_written()`): a build starts one once its items are read, so that
    Python's start, OpenCC's dictionaries and the manifest are loaded on the core the build leaves
    idle while it makes its lists; the preview starts one while it waits for the editor's save, so that a quick
    rebuild finds it ready (plugins/editions, get_ready_for_quick_rebuild)."""

    def __init__(self, output: str, rewriter: LinkRewriter, cache_folder: str | None, changes: dict | None = None,
                 same_files: bool = False, when_told: bool = False):
        options = dict(output=output, rewriter={**asdict(rewriter), "shared": sorted(rewriter.shared)},
                       cache_folder=cache_folder, changes=changes, same_files=same_files, when_told=when_told)
        self.process = PluginProcess("editions.converting", options, stdin=subprocess.PIPE if when_told else None)

    def pages_written(self, changes: dict | None = None) -> None:
        """`changes`: what the build wrote and removed, for a process started before it knew."""
        try:
            self.process.tell({} if changes is None else {"changes": changes})
        except BrokenPipeError:
            pass  # it ended while it waited: outcome() says why

    def outcome(self) -> Outcome:
        return Outcome(**self.process.answer())

    def kill(self) -> None:
        self.process.kill()


def rewriter_from(options: dict) -> LinkRewriter:
    return LinkRewriter(**{**options, "shared": frozenset(options["shared"])})
