"""Three editions of the portal: 简体 (zh-Hans) at the root, English at /en/, 繁體 (zh-Hant) at /zh-hant/.

- The root run is Pelican's own. When it is finalized, the Traditional edition
  is converted from its output (traditional.py), then the English edition is
  built by a second Pelican run of the same content into <output>/en, with the
  sources the root run already checked, so every plugin writes its English
  pages and files by itself and nothing is read or checked twice.
- Interface text comes from the gettext catalogue theme/translations
  (catalogue.py), installed into every Jinja environment and the portal model.
- Every page knows its counterparts in the other editions (`edition_links`).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import logging
import os
import pickle
import re
import time
from dataclasses import dataclass
from datetime import datetime

import blinker
from jinja2 import BytecodeCache
from pelican import Pelican, signals

from incremental_writer.pagekeys import BUILD_INPUTS, configured
from portal_model import (QUICK_REBUILD_WRITTEN, SHANGHAI, changes_summary, kept_between_builds, model_for,
                          page_path, parse_datetime, write_whole)
from portal_model.memory import free_kept_builds

from .catalogue import translations_for
from .traditional import CONVERSION, LinkRewriter, TraditionalRun


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Edition:
    key: str  # BCP 47 tag, as in hreflang: zh-Hans, zh-Hant, en
    prefix: str  # its URL folder: "", "zh-hant/", "en/"
    lang: str  # the Lang: of its items, the catalogue it uses
    html_lang: str  # <html lang>, xml:lang of its feeds
    locale: str  # og:locale
    label: str  # on the switcher
    name: str  # its name in its own language

    @property
    def folder(self) -> str:
        return self.prefix.rstrip("/")


SIMPLIFIED = Edition("zh-Hans", "", "zh", "zh-CN", "zh_CN", "简", "简体中文")
# Written by converting the simplified pages, which turns zh-CN/zh_CN into these (traditional.py).
TRADITIONAL = Edition("zh-Hant", "zh-hant/", "zh", "zh-Hant", "zh_TW", "繁", "繁體中文")
ENGLISH = Edition("en", "en/", "en", "en", "en_GB", "EN", "English")
EDITIONS = (SIMPLIFIED, TRADITIONAL, ENGLISH)
BY_KEY = {edition.key: edition for edition in EDITIONS}
# Pages 2, 3 … of a listing have no counterpart of the same number in another language.
LATER_PAGE = re.compile(r"(?:^|(?<=/))page/\d+/$")
# Sent once the root edition is written, before the others are built (into `pending_folders`);
# after a quick rebuild, once the other editions are written too (`beside_preview`).
ROOT_EDITION_WRITTEN = blinker.signal("root_edition_written")
# Folders of the output that belong to no edition: never converted, never moved into one.
SEARCH_INDEX = "pagefind"
PRECOMPRESS_ALGORITHMS = ("PRECOMPRESS_BROTLI", "PRECOMPRESS_GZIP", "PRECOMPRESS_ZOPFLI", "PRECOMPRESS_ZSTANDARD")


def current_edition(settings) -> Edition:
    return BY_KEY[settings.get("EDITION", SIMPLIFIED.key)]


class CompiledTemplates(BytecodeCache):
    """Templates compiled once, not once per generator and edition, nor once per build.

    Every generator of every run has its own Jinja environment, all configured alike
    (JINJA_ENVIRONMENT, the i18n extension); Jinja keys each entry by template and source
    checksum, so an edited template is compiled again. Nothing of one run may be compiled
    into the code: the portal's filters that differ by run (`asset`, `absolute_url`) are
    pass_context, which Jinja never works out while compiling.

    Kept in CACHE_PATH too (compiling the theme took ~0.13 s of every build), under the digest
    of the root run's build inputs (plugins/incremental_writer: the plugins' code, the library
    versions, the settings, JINJA_ENVIRONMENT's options and extensions among them), which its page
    keys work out before any page is rendered: whatever Jinja may fold into the code at compile
    time comes from those. Before that digest is known, or without a cache, templates are compiled
    as Jinja does. The files are a help, never a need: one that cannot be read or written is
    compiled again or left out.
    """

    def __init__(self):
        self.compiled: dict[str, bytes] = {}
        self.settings: dict | None = None  # the root run's (prepare)
        self.options: dict | None = None  # JINJA_ENVIRONMENT's, as the templates in `compiled` were compiled with

    def for_build(self, settings) -> None:
        """At the root run's start. The preview reads its settings again for every build: templates
        compiled in this process with other Jinja options are not used."""
        self.settings = settings
        options = configured(settings, "JINJA_ENVIRONMENT")
        if options != self.options:
            self.compiled.clear()
            self.options = options

    def kept(self, bucket) -> str | None:
        """The file of the bucket's template compiled by an earlier build of the same inputs."""
        folder = kept_between_builds(self.settings, KEPT_TEMPLATES) if self.settings else None
        if folder is None or BUILD_INPUTS not in self.settings:
            return None
        return os.path.join(folder, f"{self.settings[BUILD_INPUTS]}-{bucket.key}")

    def load_bytecode(self, bucket):
        code = self.compiled.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # Jinja's own checks: its version, Python's, the source
            return
        path = self.kept(bucket)
        if path is None:
            return
        try:
            with open(path, "rb") as handle:
                bucket.bytecode_from_string(handle.read())
        except FileNotFoundError:
            return  # never compiled with these inputs: Jinja compiles it
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()  # cut short, or unreadable: compiled again, and the file written anew
            log.debug("editions: compiled template %s not used", path, exc_info=True)

    def dump_bytecode(self, bucket):
        code = self.compiled[bucket.key] = bucket.bytecode_to_string()
        path = self.kept(bucket)
        if path:
            try:
                keep_compiled(path, code)
            except OSError:  # a full disk, a cache folder it may not write: the next build compiles it
                log.debug("editions: compiled template %s not kept", path, exc_info=True)


def keep_compiled(path: str, code: bytes) -> None:
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    # Templates compiled from other inputs are never asked for again. The writer's workers
    # compile at the same time: each removes only those, and one may remove them first.
    inputs = name.partition("-")[0]
    for other in os.listdir(folder):
        if not other.startswith(inputs):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(folder, other))
    write_whole(path, code)


KEPT_TEMPLATES = "compiled-templates"
COMPILED_TEMPLATES = CompiledTemplates()


# ---------------------------------------------------------------- counterparts

@dataclass(frozen=True)
class EditionLink:
    """Where a page is in one edition: `href` for links, `absolute` for hreflang."""

    edition: Edition
    href: str
    absolute: str
    exact: bool  # the same page (False: the edition's home, for want of a translation)
    current: bool


def is_public(source, settings, now: datetime) -> bool:
    """Written by Pelican: not a draft, not dated in the future."""
    if source.meta.get("status", "published").strip().lower() == "draft":
        return False
    date = source.meta.get("date")
    return settings.get("WITH_FUTURE_DATES", True) or not date or parse_datetime(date) <= now


def page_path_of(output_file: str) -> str:
    """The address of the page written to `output_file`, below the edition's: `news/x/` for
    `news/x/index.html` (base.html asks for the page's edition links with it)."""
    return output_file[:-len("index.html")] if output_file.endswith("index.html") else output_file


class Counterparts:
    """Items and standing pages by language and path; a translation shares kind and slug."""

    def __init__(self, settings):
        now = datetime.now(SHANGHAI)
        self.key_of: dict[tuple[str, str], tuple[str, str]] = {}
        self.path_of: dict[tuple[str, str], dict[str, str]] = {}
        for source in settings.get("PORTAL_SOURCES", {}).values():
            if is_public(source, settings, now):
                path, key = page_path(settings, source), (source.kind, source.slug)
                self.key_of[(source.lang, path)] = key
                self.path_of.setdefault(key, {})[source.lang] = path

    def path_in(self, lang: str, here: Edition, page_path: str) -> str | None:
        """The page's path in another language; None when it has no counterpart there."""
        paths = self.of_page(here.lang, page_path)
        if paths is not None:
            return paths.get(lang)
        if lang == here.lang:
            return page_path
        # A section page (listing, timeline, feeds …): every edition has it, but not its page 2.
        return None if LATER_PAGE.search(page_path) else page_path

    def of_page(self, lang: str, page_path: str) -> dict[str, str] | None:
        """Everything `path_in` answers for this page from: its paths by language, if it is content."""
        key = self.key_of.get((lang, page_path))
        return None if key is None else self.path_of[key]

    @functools.cached_property
    def standing_pages_digest(self) -> str:
        # path_of is key_of turned around: key_of is all there is to it.
        standing = sorted(entry for entry in self.key_of.items() if entry[1][0] == "page")
        return hashlib.blake2b(repr(standing).encode(), digest_size=16).hexdigest()


COUNTERPARTS = "PORTAL_COUNTERPARTS"


class EditionSwitch:
    """The `edition_links(page_path)` of templates: the page in every edition."""

    def __init__(self, settings):
        self.settings = settings
        self.here = current_edition(settings)
        self.siteurl = settings["EDITIONS_SITEURL"]
        self.absolute_base = settings["EDITIONS_ABSOLUTE_URL"]

    @functools.cached_property
    def counterparts(self) -> Counterparts:
        # Built on first use, when the content check has passed (dates are valid);
        # handed over to the English run with the settings: the same sources, the same URLs.
        if COUNTERPARTS not in self.settings:
            self.settings[COUNTERPARTS] = Counterparts(self.settings)
        return self.settings[COUNTERPARTS]

    def cache_digest(self) -> str:
        """What the links of every page have in common, for plugins/incremental_writer: the edition,
        the addresses and the standing pages (the header links to one). Not the news items: with
        them, a new item or a new address made every page of every edition render again."""
        return f"{self.here.key}|{self.siteurl}|{self.absolute_base}|{self.counterparts.standing_pages_digest}"

    def page_digest(self, output_file: str) -> str:
        """What this page's own links add (plugins/incremental_writer): its item's paths by language.
        The other items' links are asked for on their own pages only (base.html)."""
        paths = self.counterparts.of_page(self.here.lang, page_path_of(output_file))
        return repr(None if paths is None else sorted(paths.items()))

    def __call__(self, page_path: str) -> list[EditionLink]:
        links = []
        for edition in EDITIONS:
            if edition is self.here or edition.lang == self.here.lang:
                path = page_path
            else:
                path = self.counterparts.path_in(edition.lang, self.here, page_path)
            target = edition.prefix + (path if path is not None else "")
            links.append(EditionLink(edition, f"{self.siteurl}/{target}",
                                     self.absolute_base + target, path is not None,
                                     edition is self.here))
        return links


# ---------------------------------------------------------------- the runs

def prepare(pelican) -> None:
    """Mark the run's edition; give templates and plugins its language and interface text."""
    settings = pelican.settings
    if "EDITION" not in settings:  # the root run
        # A new build, not another edition's run inside one: the last build can go.
        free_kept_builds()
        drop_started_conversions()
        COMPILED_TEMPLATES.for_build(settings)
        settings["EDITION"] = SIMPLIFIED.key
        settings["EDITIONS_SITEURL"] = settings.get("SITEURL", "")
        settings["EDITIONS_ABSOLUTE_URL"] = model_for(settings).absolute_url("")
        wanted = other_editions(settings)
        # Named by the root's /robots.txt (plugins/sitemap): crawlers read no other.
        settings["PORTAL_OTHER_SITEMAPS"] = [f"{settings['EDITIONS_ABSOLUTE_URL']}{edition.prefix}sitemap.xml"
                                             for edition in EDITIONS[1:] if edition.key in wanted]
        if TRADITIONAL.key in wanted:
            # plugins/search: the Traditional pages search the simplified index, with their fixes.
            settings["SEARCH_CONVERTED_EDITIONS"] = {TRADITIONAL.html_lang.lower(): {
                "index": SIMPLIFIED.html_lang.lower(), "folder": TRADITIONAL.prefix, "conversion": CONVERSION}}
    settings["JINJA_ENVIRONMENT"] = {**settings["JINJA_ENVIRONMENT"], "bytecode_cache": COMPILED_TEMPLATES}
    # Items of the other language are the other run's: not even parsed in this one.
    settings["SKIP_OTHER_LANGUAGES"] = True
    # So a run has no translations to group: its slugs are unique (strict_content). Pelican's
    # grouping of news costs time quadratic in the items (0.9 s a run at 10,000, 3.7 s at 20,000).
    settings["ARTICLE_TRANSLATION_ID"] = None
    if settings.get("ARTICLE_ORDER_BY") == "reversed-date":  # Pelican's default
        settings["ARTICLE_ORDER_BY"] = newest_first
    edition = current_edition(settings)
    translations = translations_for(settings["THEME"], edition.lang)
    model_for(settings).gettext = translations.gettext
    settings.setdefault("JINJA_GLOBALS", {}).update(
        edition=edition, editions=EDITIONS, edition_links=EditionSwitch(settings), page_path_of=page_path_of)


def newest_first(item) -> tuple:
    """Pelican's default order of news, newest first, with items of one date by slug: the order
    its grouping of translations (by slug) left them in. Without that, they would come in the
    order the files were listed, which changes from one run of Python to the next."""
    return -item.date.timestamp(), item.slug


def install_translations(generator) -> None:
    edition = current_edition(generator.settings)
    generator.env.add_extension("jinja2.ext.i18n")
    generator.env.install_gettext_translations(
        translations_for(generator.settings["THEME"], edition.lang), newstyle=True)


def is_run_state(key: str) -> bool:
    """PORTAL and PORTAL_* settings are one run's state (the model, pages written, feeds …).

    The checked sources, and the counterparts found among them, are the exception:
    the English run reuses them.
    """
    return (key == "PORTAL" or key.startswith("PORTAL_")) and key not in ("PORTAL_SOURCES", COUNTERPARTS)


def english_settings(settings) -> dict:
    """The root run's settings for the English run: same content, its own output under en/."""
    english = {key: copy.copy(value) if isinstance(value, (dict, list, set)) else value
               for key, value in settings.items() if not is_run_state(key)}
    english.update(settings.get("ENGLISH_EDITION", {}))
    english.update(
        EDITION=ENGLISH.key,
        DEFAULT_LANG=ENGLISH.lang,
        OUTPUT_PATH=os.path.join(settings["OUTPUT_PATH"], ENGLISH.folder),
        SITEURL=f"{settings['EDITIONS_SITEURL']}/{ENGLISH.folder}",
        CACHE_PATH=os.path.join(settings["CACHE_PATH"], ENGLISH.folder),
        DELETE_OUTPUT_DIRECTORY=False,
        # plugins/search indexes the whole site, every edition, once the root run is done.
        SEARCH_INDEX=False,
        # One copy of the theme's assets for every edition: /static/, not /en/static/.
        THEME_STATIC_DIR=f"../{settings['THEME_STATIC_DIR']}",
        # Feed and entry ids unlike the simplified edition's (plugins/feeds).
        FEED_ID_PREFIX=ENGLISH.prefix,
    )
    if "PORTAL_SOURCES" in settings:
        # Pelican lists and stamps every file of ARTICLE_PATHS/PAGE_PATHS; the English run's
        # content is the English sources only, named file by file (Pelican accepts files there).
        for kind, key in (("article", "ARTICLE_PATHS"), ("page", "PAGE_PATHS")):
            english[key] = sorted(os.path.relpath(source.path, settings["PATH"])
                                  for source in settings["PORTAL_SOURCES"].values()
                                  if source.kind == kind and source.lang == ENGLISH.lang)
    # pelican-precompress (publishconf.py) hears every run's "compress" signal; the root run's,
    # sent last, compresses the whole output, en/ included, so this run compresses nothing.
    english.update(dict.fromkeys(PRECOMPRESS_ALGORITHMS, False))
    return english


def traditional_rewriter(settings) -> LinkRewriter:
    absolute_base = settings["EDITIONS_ABSOLUTE_URL"]
    root_path = re.sub(r"^[a-z]+://[^/]+", "", settings["EDITIONS_SITEURL"]).rstrip("/")
    shared = {settings["THEME_STATIC_DIR"], SEARCH_INDEX, *settings.get("STATIC_PATHS", ()),
              *(edition.folder for edition in EDITIONS if edition.prefix)}
    authority = settings.get("FEED_ID_AUTHORITY")
    return LinkRewriter(TRADITIONAL.prefix, absolute_base, root_path, frozenset(shared),
                        f"tag:{authority}:" if authority else "")


def remove_edition_robots(settings) -> None:
    """Crawlers read the site's /robots.txt only, which names every edition's sitemap
    (PORTAL_OTHER_SITEMAPS): the other editions' runs and conversion write one of their own."""
    for edition in EDITIONS[1:]:
        edition_robots = os.path.join(settings["OUTPUT_PATH"], edition.folder, "robots.txt")
        if os.path.exists(edition_robots):
            os.remove(edition_robots)


def other_editions(settings) -> tuple[str, ...]:
    return tuple(settings.get("OTHER_EDITIONS", (TRADITIONAL.key, ENGLISH.key)))


def after_finalized(original_send):
    """The other editions are made from the root edition's whole output: after every `finalized`
    receiver, which write some of it (the sitemap, the feeds' OPML), and run in no fixed order
    (blinker keeps them in a set). Before the signals of pelican-granular-signals (the search index
    waits for them at `sitemap`), which wrap `send` after this plugin's registration."""

    @functools.wraps(original_send)
    def send(sender, *args, **kwargs):
        try:
            results = original_send(sender, *args, **kwargs)
        except BaseException:  # refused content found in the output (strict_content) …: no edition to convert
            drop_started_conversions()
            raise
        build_other_editions(sender)
        return results

    send.builds_other_editions = True
    return send


def build_other_editions(pelican) -> None:
    settings = pelican.settings
    if current_edition(settings) is not SIMPLIFIED:
        return
    wanted = other_editions(settings)
    # plugins/search starts its index of the root edition now, beside the other editions' builds.
    ROOT_EDITION_WRITTEN.send(pelican, pending_folders=[BY_KEY[key].prefix for key in wanted])

    def build_english() -> None:
        if ENGLISH.key in wanted:
            started = time.perf_counter()
            Pelican(english_settings(settings)).run()
            log.info("editions: %s built in %.2f s", ENGLISH.key, time.perf_counter() - started)

    if TRADITIONAL.key in wanted:
        run = _started_with_root_run.pop() if _started_with_root_run else None
        if run is not None:
            run.pages_written(changes_summary(settings))
        # The English run writes under en/ and the shared static/, which the conversion leaves
        # alone: it runs here while the conversion's process uses the cores.
        convert_traditional(settings, meanwhile=build_english, run=run)
        get_ready_for_quick_rebuild(settings)
    else:
        build_english()
    remove_edition_robots(settings)


def traditional_run(settings, same_files: bool = False, when_told: bool = False) -> TraditionalRun:
    """With `when_told`, what the build changed is told with the news that the pages are written
    (`pages_written`): it is not known before."""
    return TraditionalRun(settings["OUTPUT_PATH"], traditional_rewriter(settings),
                          kept_between_builds(settings, TRADITIONAL.folder),
                          None if same_files or when_told else changes_summary(settings), same_files, when_told)


# The root run's conversion, by id(settings): started once the news items are read, so that Python's
# start, OpenCC's dictionaries and the record of converted files (~0.35 s of CPU at 10,000 items) are
# loaded on the core the build leaves idle while it makes its lists. Not sooner: beside the search
# index's process starting, it slowed the build's reading; not later: beside the search index of an
# edited item's period (plugins/incremental_writer writes its page ahead), it slowed the writing.
# Told what the build changed once the pages are written.
_started_with_root_run: list[TraditionalRun] = []


def prestart_conversion(generator) -> None:
    """At `article_generator_pretaxonomy`."""
    settings = generator.settings
    if current_edition(settings) is SIMPLIFIED and TRADITIONAL.key in other_editions(settings):
        drop_started_conversions()
        _started_with_root_run.append(traditional_run(settings, when_told=True))


def drop_waiting(runs: list[TraditionalRun]) -> None:
    while runs:
        runs.pop().kill()


def drop_started_conversions() -> None:
    """The runs of one process follow one another: one still here is of a build that stopped half-way
    (refused content, a failed plugin), which the preview survives. Ended at the next root run's start."""
    drop_waiting(_started_with_root_run)


def convert_traditional(settings, meanwhile=lambda: None, run: TraditionalRun | None = None) -> None:
    """The Traditional edition, converted by a process of its own (`run`, or one started now)
    while this one runs `meanwhile()`."""
    started = time.perf_counter()
    run = run or traditional_run(settings)
    try:
        meanwhile()
    except BaseException:
        run.kill()  # a build stopped half-way leaves nothing writing into its output
        raise
    try:
        outcome = run.outcome()
    except RuntimeError as failure:
        raise RuntimeError(f"繁体版没有转换完(the Traditional edition was not converted): {failure}") from None
    log.info("editions: %s, %d files (%d written, %d removed), ready %.2f s after the root edition was written",
             TRADITIONAL.key, outcome.files, outcome.written, outcome.removed, time.perf_counter() - started)


# The preview's quick rebuild converts a page or two. Its process is started beforehand, while the
# preview waits for the editor's next save (QUICK_REBUILD, set by tasks.preview_builds), loads OpenCC
# and the record of converted files, and converts once told that the pages are written: the rebuild
# neither waits for a Python to start (~0.25 s) nor holds those (~60 MiB at 20,000 items) in the
# preview's process, which holds the whole site. A full build instead ends it unused: as every
# preview starts with one, a process made ready for another preview's output is never used.
_ready_for_quick_rebuild: list[TraditionalRun] = []


def get_ready_for_quick_rebuild(settings) -> None:
    drop_quick_conversion()
    if settings.get("QUICK_REBUILD") and TRADITIONAL.key in other_editions(settings):
        # A quick rebuild adds and removes no file: the files of the last conversion are the ones.
        _ready_for_quick_rebuild.append(traditional_run(settings, same_files=True, when_told=True))


def drop_quick_conversion(*_, **__) -> None:
    drop_waiting(_ready_for_quick_rebuild)


def rewrite_other_editions(pelican) -> None:
    """After a quick rebuild of a simplified item (plugins/quick_rebuild): its Traditional pages.
    The English edition shows no simplified item, so it stays as it is."""
    settings = pelican.settings
    if TRADITIONAL.key in other_editions(settings):
        if _ready_for_quick_rebuild:
            run = _ready_for_quick_rebuild.pop()
            run.pages_written()
        else:  # none ready (a build without the Traditional edition before): started now
            run = traditional_run(settings, same_files=True)
        convert_traditional(settings, run=run)
        remove_edition_robots(settings)
        get_ready_for_quick_rebuild(settings)
    # The preview shows the pages now; plugins/search indexes them beside it.
    ROOT_EDITION_WRITTEN.send(pelican, pending_folders=[], beside_preview=True)


def register():
    signals.initialized.connect(prepare)
    signals.generator_init.connect(install_translations)
    signals.article_generator_pretaxonomy.connect(prestart_conversion)
    if not getattr(signals.finalized.send, "builds_other_editions", False):  # once, for every run
        signals.finalized.send = after_finalized(signals.finalized.send)
    QUICK_REBUILD_WRITTEN.connect(rewrite_other_editions)
    signals.initialized.connect(drop_quick_conversion)
