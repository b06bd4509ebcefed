"""The portal's domain: fields, provinces, Asia/Shanghai dates, pinyin slugs, problems.

Every other plugin and every template reads the domain from here; this module
imports nothing else of the project. The registries themselves are data in
``pelicanconf.py`` (FIELDS, PROVINCES).
"""

from __future__ import annotations

import atexit
import functools
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field as dataclass_field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import blinker
from jinja2 import pass_context
from pelican import signals
from pelican.contents import Content

from .changes import (changes_summary, list_applies, listed, note_removed, note_static_files, note_written, recorded,
                      remove_file, remove_page, start_recording, written_outside_a_build)
from .memory import forget_built_items, keep_out_of_collections, share_item_attribute_names, share_url_wrappers

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Sent by plugins/quick_rebuild in the preview: an item's words were edited in place (sender: the
# item; generators=: the kept build's), then the root edition's pages were written again (sender:
# the kept build's Pelican). Plugins that copied an item's text refresh their files on the first.
ITEM_EDITED_IN_PLACE = blinker.signal("item_edited_in_place")
QUICK_REBUILD_WRITTEN = blinker.signal("quick_rebuild_written")
LANGUAGES = ("zh", "en")
STATUSES = ("published", "draft", "hidden")
# Header keys an editor may use; anything else is most likely a typo.
METADATA_KEYS = (
    "title", "date", "modified", "fields", "provinces", "summary", "source",
    "milestone", "slug", "lang", "status", "tags", "tasks", "authors", "author",
    "template", "save_as", "url",
)
# Optional one-line texts of the header; written with nothing after them (`invoke new` leaves
# `Summary: ` and `Source: ` to be filled in) they count as not written.
OPTIONAL_TEXT_KEYS = ("summary", "source")
LIST_SEPARATORS = re.compile(r"[,，、]")
# Files the editors' computers put into folders unasked: hidden files (macOS's .DS_Store, ._x),
# Word's lock files (~$x.docx) and Windows Explorer's hidden thumbnail cache and folder settings.
SYSTEM_FILE_PREFIXES = (".", "~$")
SYSTEM_FILE_NAMES = {"thumbs.db", "ehthumbs.db", "desktop.ini"}


def made_by_the_system(name: str) -> bool:
    """Whether a file name in a content folder is one of those files: never content, never a problem."""
    return name.startswith(SYSTEM_FILE_PREFIXES) or name.casefold() in SYSTEM_FILE_NAMES


@dataclass(frozen=True)
class Term:
    """One row of a registry: a field or a province."""

    kind: str  # "fields" or "provinces": also the URL folder
    key: str
    zh: str
    en: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    description_en: str = ""

    @property
    def url(self) -> str:
        return f"{self.kind}/{self.key}/"

    def name(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def describe(self, lang: str = "zh") -> str:
        return self.description_en if lang == "en" else self.description

    def __str__(self) -> str:
        return self.zh

    def __hash__(self) -> int:
        # kind and key identify a term; the generated hash of every attribute was a hot spot
        # in per-item set arithmetic over tens of thousands of items.
        return hash((self.kind, self.key))


UNKNOWN_TERM_WORDS = {"fields": ("领域", "field"), "provinces": ("省市", "province")}


class Registry:
    """An ordered set of terms, looked up by key or by any alias."""

    def __init__(self, kind: str, terms: list[Term]):
        self.kind = kind
        self.terms = terms
        self._lookup = {}
        for term in terms:
            for name in (term.key, term.zh, term.en, *term.aliases):
                self._lookup[name.casefold()] = term

    def __iter__(self):
        return iter(self.terms)

    def __len__(self):
        return len(self.terms)

    def __getitem__(self, key: str) -> Term:
        return self._lookup[key.casefold()]

    def get(self, name: str):
        return self._lookup.get(name.strip().casefold())

    def choices(self) -> str:
        """The accepted values, for an error message."""
        return ", ".join(f"{t.key} {t.zh}" for t in self.terms)

    def unknown(self, name: str) -> str:
        """The editor's problem with a name that is no term: the accepted ones, and the one-character
        short names (沪 苏 浙 皖) where the registry has them."""
        zh, en = UNKNOWN_TERM_WORDS[self.kind]
        short = " ".join(alias for term in self.terms for alias in term.aliases if len(alias) == 1)
        return f"未知{zh} “{name}” — 可用：{self.choices()}{f'，或简称 {short}' if short else ''} (unknown {en})"

    def resolve(self, value) -> tuple[list[Term], list[str]]:
        """Terms named in ``value`` (text or list), in registry order, and unknown names."""
        names = split_list(value)
        found, unknown = set(), []
        for name in names:
            term = self.get(name)
            if term is None:
                unknown.append(name)
            else:
                found.add(term)
        return [t for t in self.terms if t in found], unknown


def split_list(value) -> list[str]:
    """Split `a, b,c、d` (ASCII or full-width separators) or a YAML list into names."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        items = LIST_SEPARATORS.split(str(value))
    return [item.strip() for item in items if item.strip()]


def build_registries(settings) -> tuple[Registry, Registry]:
    fields = Registry("fields", [
        Term("fields", f["key"], f["zh"], f["en"], f.get("description", ""),
             tuple(f.get("aliases", ())), f.get("description_en", ""))
        for f in settings.get("FIELDS", [])
    ])
    provinces = Registry("provinces", [
        Term("provinces", p["key"], p["zh"], p["en"], p.get("description", ""),
             (p["short"], *p.get("aliases", ())), p.get("description_en", ""))
        for p in settings.get("PROVINCES", [])
    ])
    return fields, provinces


# ---------------------------------------------------------------- dates

@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day: `1992`, `2018-07`, `2018-12-15`."""

    year: int
    month: int = 0  # 0: unknown, sorts before every known month
    day: int = 0

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    def isoformat(self) -> str:
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    def format(self, lang: str = "zh") -> str:
        return format_partial_date(self, lang)


PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
DATETIME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def page_path(settings, source) -> str:
    """The page path of an item or standing page (`news/2019/slug/`), from ARTICLE_URL / PAGE_URL."""
    pattern = settings["ARTICLE_URL" if source.kind == "article" else "PAGE_URL"]
    date = parse_datetime(source.meta["date"]) if source.meta.get("date") else None
    return pattern.format(slug=source.slug, date=date, lang=source.lang)


def parse_partial_date(value) -> PartialDate:
    """Parse a year, year-month or full date; raise ValueError in plain words."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return PartialDate(value.year, value.month, value.day)
    text = str(value).strip()
    match = PARTIAL_DATE.match(text)
    if not match:
        raise ValueError(f'日期 "{text}" 格式不对，应写作 1992、2018-07 或 2018-12-15')
    year, month, day = (int(g) if g else 0 for g in match.groups())
    if month and not 1 <= month <= 12:
        raise ValueError(f'日期 "{text}" 不存在：月份应在 1–12 之间')
    if day:
        try:
            date(year, month, day)
        except ValueError:
            raise ValueError(f'日期 "{text}" 不存在(该月没有这一天)') from None
    return PartialDate(year, month, day)


def parse_datetime(value) -> datetime:
    """Parse a news item's `Date:` as Asia/Shanghai local time; ValueError in plain words."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    return parse_datetime_text(str(value).strip())


# Every build asks again for the dates of every item (the edition switch, the check, the
# timelines); the preview's builds share one process. A bad date raises, and is not kept.
@functools.lru_cache(maxsize=1 << 16)
def parse_datetime_text(text: str) -> datetime:
    match = DATETIME.match(text)
    if not match:
        raise ValueError(f'日期 "{text}" 格式不对，应写作 2019-01-03 或 2019-01-03 09:00')
    parts = [int(g) if g else 0 for g in match.groups()]
    try:
        return datetime(*parts, tzinfo=SHANGHAI)
    except ValueError:
        raise ValueError(f'日期 "{text}" 不存在(月、日或时间超出范围)') from None


def today(settings=None) -> date:
    """Today in Asia/Shanghai: what has begun and what has not. A build's settings may fix it
    (`PORTAL_TODAY`, `YYYY-MM-DD`) so that tests never depend on the day they run."""
    fixed = (settings or {}).get("PORTAL_TODAY")
    return date.fromisoformat(str(fixed)) if fixed else datetime.now(SHANGHAI).date()


def this_month(settings=None) -> PartialDate:
    now = today(settings)
    return PartialDate(now.year, now.month)


MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July",
             "August", "September", "October", "November", "December")


def format_partial_date(when: PartialDate, lang: str = "zh") -> str:
    if lang == "en":
        if when.day:
            return f"{when.day} {MONTHS_EN[when.month - 1]} {when.year}"
        if when.month:
            return f"{MONTHS_EN[when.month - 1]} {when.year}"
        return str(when.year)
    text = f"{when.year}年"
    if when.month:
        text += f"{when.month}月"
    if when.day:
        text += f"{when.day}日"
    return text


def format_date(value, lang: str = "zh") -> str:
    """`2018年12月5日` (or `5 December 2018`) for a datetime, date or PartialDate."""
    if not isinstance(value, PartialDate):
        if isinstance(value, datetime) and value.tzinfo:
            value = value.astimezone(SHANGHAI)
        value = PartialDate(value.year, value.month, value.day)
    return format_partial_date(value, lang)


# ---------------------------------------------------------------- slugs

NON_SLUG = re.compile(r"[^a-z0-9]+")
# pinyin_slug's length when the site sets none (SLUG_MAX_LENGTH); also the timelines' anchors.
DEFAULT_SLUG_LENGTH = 60


@functools.cache
def pinyin_reader():
    """pypinyin's lazy_pinyin, imported on first use: its dictionaries take ~55 MiB.

    A large build takes its slugs from the content check's forked workers or its
    records, so the build process itself, which holds every item, never loads them.
    """
    from pypinyin import lazy_pinyin, load_phrases_dict

    # Readings pypinyin's dictionary gets wrong in the region's own names (长 is cháng here).
    load_phrases_dict({
        "长三角": [["cháng"], ["sān"], ["jiǎo"]],
        "长三办": [["cháng"], ["sān"], ["bàn"]],
        "长江": [["cháng"], ["jiāng"]],
    })
    return lazy_pinyin


def pinyin_slug(title: str, max_length: int = DEFAULT_SLUG_LENGTH) -> str:
    """ASCII pinyin of a title, e.g. 长三角G60科创走廊 → chang-san-jiao-g60-ke-chuang-zou-lang.

    Trimmed at a syllable boundary; never empty (falls back to "item").
    """
    syllables = []
    for chunk in pinyin_reader()(title, errors="default"):
        syllables.extend(part for part in NON_SLUG.split(chunk.lower()) if part)
    slug = ""
    for syllable in syllables:
        candidate = f"{slug}-{syllable}" if slug else syllable
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or (syllables[0][:max_length] if syllables else "item")


def pinyin_slugs(requests: list[tuple[str, int]]) -> list[str]:
    """pinyin_slug(title, max_length) of each request; in a forked process when this one
    has not loaded pypinyin.

    For the few slugs a large build needs in its own process (history timeline labels,
    files edited since the last build): loading the dictionaries there would keep them
    for the rest of the build.
    """
    missing = list(dict.fromkeys(request for request in requests if request not in _known_slugs))
    if missing:
        if "pypinyin" in sys.modules or not hasattr(os, "fork"):
            slugs = _pinyin_slug_list(missing)
        else:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as apart:
                slugs = apart.submit(_pinyin_slug_list, missing).result()
        _known_slugs.update(zip(missing, slugs))
    return [_known_slugs[request] for request in requests]


# What pinyin_slugs has worked out in this process: the edition runs of one build, and the
# preview's rebuilds, ask for the same history labels, and each fork for them costs ~0.8 s.
_known_slugs: dict[tuple[str, int], str] = {}


def _pinyin_slug_list(requests: list[tuple[str, int]]) -> list[str]:
    return [pinyin_slug(title, max_length) for title, max_length in requests]


SLUG_FORMAT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# ---------------------------------------------------------------- problems

@dataclass(order=True)
class Problem:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def shown_path(path) -> str:
    """A path as an editor sees it: relative to the working folder where possible."""
    path = str(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


class ContentProblems(SystemExit):
    """Raised to stop a build on bad content: a report, not a traceback."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        # A string exit code is printed to stderr and exits with status 1.
        super().__init__(format_report(problems))


def format_report(problems: list[Problem]) -> str:
    files = len({p.path for p in problems})
    lines = [str(p) for p in sorted(problems, key=lambda p: (p.path, p.line or 0))]
    lines.append(f"{len(problems)} 个问题，涉及 {files} 个文件；没有发布任何内容。"
                 f" ({len(problems)} problem(s) in {files} file(s); nothing was published.)")
    return "\n".join(lines)


@dataclass
class PortalModel:
    """Everything a plugin or template needs to know of the domain, for one build."""

    settings: dict
    fields: Registry
    provinces: Registry
    problems: list[Problem] = dataclass_field(default_factory=list)
    # Interface text of this build's edition: plugins/editions installs the English catalogue.
    gettext: object = dataclass_field(default=lambda text: text, repr=False)

    @property
    def lang(self) -> str:
        """The language of this build's edition: `zh`, or `en` in the English edition's run."""
        return self.settings.get("DEFAULT_LANG", "zh")

    def problem(self, path: str, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(self.relative(path), line, message))

    def empty_file(self, path: str, how_to_fill: str) -> None:
        """A data file with nothing in it but comments: most likely emptied by mistake, so a problem."""
        self.problem(path, f"文件是空的(没有内容，或只有 # 注释)— {how_to_fill} (empty file)")

    def relative(self, path: str) -> str:
        return shown_path(path)

    def raise_problems(self) -> None:
        if self.problems:
            raise ContentProblems(list(self.problems))

    def absolute_url(self, path: str = "") -> str:
        """Absolute URL of a site path, from SITEURL or, in development, FEED_DOMAIN."""
        base = self.settings.get("SITEURL") or ""
        if not base.startswith(("http://", "https://")):
            base = (self.settings.get("FEED_DOMAIN") or "") + base
        return f"{base.rstrip('/')}/{path.lstrip('/')}"


class PluginProcess:
    """`python -m <module> '<options as JSON>'`, a plugin's step in a fresh Python process, from its
    start to its answer (the JSON it prints).

    Not in the build's process, nor forked from it: that holds every item of the site (~350 MiB at
    20,000), of which such a step (the search index, the Traditional edition) needs nothing, and
    every worker forked from it would start with all of it.
    """

    def __init__(self, module: str, options: dict, stdin=None):
        plugins = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        environment = dict(os.environ,
                           PYTHONPATH=os.pathsep.join(filter(None, [plugins, os.environ.get("PYTHONPATH")])))
        self.module = module
        # -P: a folder of the working directory never stands in for a module. A session of its
        # own: kill() reaches the workers the step forks, not only the step.
        self.process = subprocess.Popen([sys.executable, "-P", "-m", module, json.dumps(options)], env=environment,
                                        stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        start_new_session=True)
        # A build that stops half-way leaves no such process behind, writing into its output.
        atexit.register(self.kill)

    def tell(self, message: dict) -> None:
        """A line of JSON on its input, which it reads when it is ready for it."""
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def answer(self):
        """Its printed JSON, once it ends (closing its input first, if it has one)."""
        output, errors = self.process.communicate()
        atexit.unregister(self.kill)
        if self.process.returncode:
            raise RuntimeError(errors.strip() or f"{self.module} stopped with status {self.process.returncode}")
        return json.loads(output)

    def kill(self) -> None:
        """End it and every process it started."""
        atexit.unregister(self.kill)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:  # ended already, and its workers with it
            pass
        self.process.communicate()


def file_time_and_size(settings, path: str) -> tuple[float, int] | None:
    """A content file's modification time (os.path.getmtime's) and size as the content check found
    them (plugins/strict_content keeps them in the build's PORTAL_SOURCES: asking the file system
    again costs a system call a file), or as they are now for a file it did not check; None if gone."""
    source = settings.get("PORTAL_SOURCES", {}).get(path)
    if getattr(source, "modified", None) is not None:
        return source.modified, source.size
    try:
        status = os.stat(path)
    except (OSError, TypeError):
        return None
    return status.st_mtime, status.st_size


def kept_between_builds(settings, name: str) -> str | None:
    """Where a plugin keeps `name` from one build to the next (in CACHE_PATH); None when the site
    keeps nothing: like Pelican's content cache, only with CACHE_CONTENT on."""
    return os.path.join(settings["CACHE_PATH"], name) if settings.get("CACHE_CONTENT") else None


def link_or_copy(existing: str, new: str) -> None:
    """`new` as a second name of `existing` (a hard link: no copying, no second copy on disk),
    or as a copy where the file system has no link between them (another device …); whatever
    `new` was is replaced, never written over.

    A file with two names must never be written in place: whoever changes one writes a new file.
    """
    try:
        # Where `new` is free (a build from nothing, an emptied output, a new cache entry), one
        # link is enough: a rename more per file was ~0.3 s of kernel time per 14,000 files.
        os.link(existing, new)
    except OSError:
        pass  # taken (replaced below, never written into), or another file system (copied below)
    else:
        note_written(new)
        return
    partial = partial_name(new)
    try:
        os.link(existing, partial)
    except FileNotFoundError:
        raise
    except OSError:
        shutil.copyfile(existing, partial)
    os.replace(partial, new)
    note_written(new)
    if os.path.lexists(partial):  # rename does nothing when `new` already was a name of that file
        os.remove(partial)


def copy_whole(existing: str, new: str) -> None:
    """A copy made under another name, then renamed: a build stopped while copying leaves no
    half file behind that the next one would take for the whole."""
    partial = partial_name(new)
    shutil.copyfile(existing, partial)
    os.replace(partial, new)
    note_written(new)


def write_whole(path: str, data: str | bytes) -> None:
    """`data` (text is written as UTF-8) written under another name, then renamed into place: the
    file's old inode, which may have a second name in a cache, is never written over, nor is half
    a file left behind."""
    partial = partial_name(path)
    with (open(partial, "wb") if isinstance(data, bytes) else open(partial, "w", encoding="utf-8")) as handle:
        handle.write(data)
    os.replace(partial, path)
    note_written(path)


def write_if_changed(path: str, data: bytes) -> None:
    """Write `data` (whole) unless the file holds it already. A file rewritten unchanged on every
    build would look new to the steps that go by modification time and size: the Traditional
    edition (converted again), the search index and a deployment's sync."""
    try:
        with open(path, "rb") as handle:
            if handle.read() == data:
                return
    except FileNotFoundError:
        pass
    write_whole(path, data)


def partial_name(path: str) -> str:
    return f"{path}.{os.getpid()}.partial"  # one per process: forked workers write side by side


def remove_all_but(folder: str, names: set[str]) -> None:
    """Remove every file of `folder` not named in `names` (a cache's entries no build uses any more)."""
    for name in set(os.listdir(folder)) - names:
        os.remove(os.path.join(folder, name))


def model_for(settings) -> PortalModel:
    """The build's model, created on first use and kept in the settings."""
    model = settings.get("PORTAL")
    if model is None:
        model = PortalModel(settings, *build_registries(settings))
        settings["PORTAL"] = model
    return model


def install(pelican) -> None:
    # A fresh model per build, so that builds in one process never share problems.
    pelican.settings.pop("PORTAL", None)
    model = model_for(pelican.settings)

    def portal_date(value, lang: str | None = None) -> str:
        return format_date(value, lang or model.lang)

    # pass_context only so that Jinja calls it when rendering: `""|absolute_url` would otherwise be
    # worked out while compiling, and the compiled code is shared by the editions' runs.
    @pass_context
    def absolute_url(_context, path: str = "") -> str:
        return model.absolute_url(path)

    pelican.settings.setdefault("JINJA_FILTERS", {}).update(
        {"portal_date": portal_date, "absolute_url": absolute_url}
    )


# Where Pelican's generators keep their items: published, hidden and draft, with their translations.
CONTENT_LISTS = ("articles", "pages", "translations", "hidden_articles", "hidden_pages",
                 "hidden_translations", "drafts", "drafts_translations", "draft_pages", "draft_translations")


def freeze_urls(generators) -> None:
    """Compute each item's URL once, when every generator has read its items.

    Pelican's `url` property formats the URL anew on every read, and a build reads it tens of
    thousands of times (every page that lists an item). `override_url` is where Pelican keeps a URL
    given in an item's metadata; `url` returns it as it is.
    """
    for generator in generators:
        for name in CONTENT_LISTS:
            for content in getattr(generator, name, ()):
                content.override_url = content.url


def answer_own_relative_source_path() -> None:
    """Pelican's `Content.get_relative_source_path()`, asked about the item's own file, answers with
    the `relative_source_path` Pelican set from it in `__init__`.

    Pelican works it out again (two `abspath` and a `relpath`) each time it formats the item's URL
    or `save_as`, four times an item (40,000 times in a rebuild at 10,000 items). Neither the item's
    `source_path` nor the run's PATH changes once the item exists. Asked about another file, it
    works it out as before.
    """
    original = Content.get_relative_source_path
    if getattr(original, "answers_own_path", False):
        return

    @functools.wraps(original)
    def get_relative_source_path(self, source_path=None):
        if not source_path:
            known = self.__dict__.get("relative_source_path")
            if known is not None:
                return known
        return original(self, source_path)

    get_relative_source_path.answers_own_path = True
    Content.get_relative_source_path = get_relative_source_path


def register():
    share_item_attribute_names()
    answer_own_relative_source_path()
    signals.content_object_init.connect(share_url_wrappers)
    signals.initialized.connect(install)
    signals.get_generators.connect(start_recording)
    signals.static_generator_finalized.connect(note_static_files)
    signals.finalized.connect(forget_built_items)
    signals.all_generators_finalized.connect(freeze_urls)
    # The steps whose results live to the end of the build: Pelican's content cache loaded, the
    # items read, every list made (memory.py).
    for step in (signals.article_generator_init, signals.article_generator_pretaxonomy,
                 signals.all_generators_finalized):
        step.connect(keep_out_of_collections)
