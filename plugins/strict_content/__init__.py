"""Strict reading of the editors' Markdown: every problem in one report, never a silent skip.

Pelican logs a broken content file and skips it with exit code 0. Here every
news item and page is checked before Pelican reads anything, the problems of
all plugins are gathered in one report, and the build stops with exit code 1.
The same check runs without building for editors (``invoke check``).
"""

from __future__ import annotations

import fnmatch
import html
import logging
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import nh3
from markdown import Markdown
from markdown.preprocessors import Preprocessor
from pelican import signals
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open
from pelican.urlwrappers import Category

from portal_model import (
    DEFAULT_SLUG_LENGTH, LANGUAGES, METADATA_KEYS, OPTIONAL_TEXT_KEYS, SLUG_FORMAT, STATUSES, made_by_the_system,
    model_for, parse_datetime, pinyin_slug, pinyin_slugs,
)
from strict_content import fast_reading
from strict_content.checked_files import CheckedFiles, stamp
from strict_content.links import check_links, find_links

MARKDOWN_EXTENSIONS = ("md", "markdown", "mkd", "mdown")
# Section folders of the site that a standing page must not take over.
RESERVED_PAGE_SLUGS = {
    "news", "fields", "provinces", "feeds", "timeline", "action-plan", "search",
    "en", "zh-hant", "sitemap", "static", "theme", "pagefind", "images",
}
# The same patterns as Python-Markdown's meta extension, which Pelican uses.
META_LINE = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)")
META_CONTINUATION = re.compile(r"^[ ]{4,}(?P<value>.*)")
FULLWIDTH_COLON_LINE = re.compile(r"^\s*(?P<key>[^:：\s]+)\s*：")
# A line an editor meant as metadata but wrote wrongly: "Title：…" or "标题: …".
LOOKS_LIKE_HEADER = re.compile(r"^\s*[^\s:：#]{1,12}\s*[:：]")
# Characters XML 1.0 forbids; Word pastes them (vertical tab, form feed, ...).
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class Source:
    """What the check learnt of one content file, applied later to Pelican's object."""

    path: str
    kind: str  # "article" or "page"
    meta: dict
    lang: str = "zh"
    slug: str = ""
    fields: tuple = ()
    provinces: tuple = ()
    title_slug: str = ""  # pinyin of the title, the base of a derived slug
    milestone_slug: str = ""  # pinyin of the Milestone: label, for the timelines' anchors (plugins/timelines)
    links: tuple = ()  # (line, what, value) of its {filename} and {static} links (links.find_links)
    # The file's modification time (os.path.getmtime's) and size when the check read it: Pelican's
    # content cache and the page keys ask again, at a system call each (fast_reading.share_file_stamps).
    # Not its whole os.stat_result: ~0.7 KB an item.
    modified: float | None = None
    size: int = 0

    def pinyin_wanted(self, max_length: int) -> list[tuple[str, tuple[str, int]]]:
        """(attribute, (text, max_length)) of the slugs still to compute: the costly part of a check."""
        wanted = []
        if not self.title_slug and not self.meta.get("slug", "").strip():  # assign_slugs derives it
            wanted.append(("title_slug", (self.meta.get("title", ""), max_length)))
        if not self.milestone_slug and self.meta.get("milestone", "").strip():
            wanted.append(("milestone_slug", (self.meta["milestone"].strip(), DEFAULT_SLUG_LENGTH)))
        return wanted


# ---------------------------------------------------------------- reading

def decode(model, path: str, raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
        guess = "疑似 GBK/GB2312 编码"
    except UnicodeDecodeError:
        guess = "编码无法识别"
    model.problem(path, f"文件不是 UTF-8 编码({guess})— 请在编辑器中选择“另存为”，"
                        "编码选 UTF-8 后重新保存 (file is not UTF-8; re-save it as UTF-8)")
    return None


def read_header(model, path: str, text: str) -> dict | None:
    """The metadata header as {key: (value, line)}; problems for lines that are not metadata."""
    # Only real line ends: str.splitlines() would also split at a vertical tab or
    # form feed pasted from Word, which Markdown keeps inside the line.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].strip() == "---":
        lines = [""] + lines[1:]  # a YAML-style opening line, as the meta extension allows
    header, key = {}, None
    for number, line in enumerate(lines, start=1):
        if not line.strip() or (line.strip() in ("---", "...") and number > 1):
            break
        if number == 1 and line == "":
            continue
        match = META_LINE.match(line)
        if match:
            key = match["key"].lower()
            if key in header:
                model.problem(path, f"元数据 {match['key']} 写了两次 — 只保留一行 "
                                    f"(duplicate key)", number)
            header[key] = (match["value"].strip(), number)
            if key not in METADATA_KEYS:
                model.problem(path, f"未知的元数据 “{match['key']}” — 可用：Title, Date, Fields, "
                                    "Provinces, Summary, Source, Milestone, Slug, Lang, Status, Tags,"
                                    " Tasks (unknown key)", number)
            continue
        more = META_CONTINUATION.match(line)
        if more and key:
            value, first = header[key]
            header[key] = (f"{value} {more['value'].strip()}", first)
            continue
        if not header and not LOOKS_LIKE_HEADER.match(line):
            model.problem(path, "文件开头没有元数据 — 第一行应是 Title: 标题，然后 Date:、"
                                "Fields: 等，空一行后再写正文 (no metadata header)", number)
            return None
        model.problem(path, header_line_hint(line), number)
        key = None
    return header


def header_line_hint(line: str) -> str:
    fullwidth = FULLWIDTH_COLON_LINE.match(line)
    if fullwidth:
        return (f"“{line.strip()[:30]}”用了全角冒号“\uff1a”— 请改成半角冒号“:”"
                f"(如 {fullwidth['key']}: …)(full-width colon in metadata)")
    if re.match(r"^\s*[^\x00-\x7f]+\s*:", line):
        return (f"“{line.strip()[:30]}”的键名不是英文 — 元数据键名请用 Title、Date、Fields 等"
                " (metadata keys are English)")
    return (f"“{line.strip()[:30]}”不是“键: 值”形式的元数据 — 元数据之后要空一行再写正文"
            " (header line is not metadata; leave a blank line before the body)")


# ---------------------------------------------------------------- checking

def content_files(settings, folders, exclude=()):
    """Every file under the given content folders, as Pelican would walk them."""
    root = settings["PATH"]
    # One pattern for all IGNORE_FILES globs: tens of thousands of names are matched.
    ignored = re.compile("|".join(fnmatch.translate(p) for p in settings.get("IGNORE_FILES", [])) or "(?!)")
    for folder in folders:
        top = os.path.join(root, folder)
        for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                                 and os.path.relpath(os.path.join(dirpath, d), root) not in exclude)
            for name in sorted(filenames):
                if made_by_the_system(name) or ignored.match(os.path.normcase(name)):
                    continue
                yield os.path.join(dirpath, name)


def check_source(model, path: str, kind: str) -> Source | None:
    if path.rsplit(".", 1)[-1].lower() not in MARKDOWN_EXTENSIONS:
        model.problem(path, "不是 Markdown 文件，不会被发布 — 请另存为 .md 文本文件，"
                            "或移出 content/ 文件夹 (not a .md file)")
        return None
    with open(path, "rb") as handle:
        text = decode(model, path, handle.read())
    if text is None:
        return None
    header = read_header(model, path, text)
    if header is None:
        return None
    meta = {key: value for key, (value, _) in header.items()}
    line_of = {key: line for key, (_, line) in header.items()}

    def missing(key: str, example: str):
        model.problem(path, f"缺少 {key} — 请在开头加一行 “{key}: {example}” (missing {key})")

    source = Source(path, kind, meta, links=find_links(text))
    if not meta.get("title"):
        missing("Title", "长三角区域合作办公室成立一周年")
    if kind == "article" and not meta.get("date"):
        missing("Date", "2019-01-03 09:00")
    if meta.get("date"):
        try:
            parse_datetime(meta["date"])
        except ValueError as error:
            model.problem(path, f"{error} (bad date)", line_of["date"])
    if kind == "article" or "fields" in meta:
        fields, unknown = model.fields.resolve(meta.get("fields"))
        if kind == "article" and not fields and not unknown:
            missing("Fields", "transport, innovation")
        for name in unknown:
            model.problem(path, model.fields.unknown(name), line_of["fields"])
        source.fields = tuple(fields)
    provinces, unknown = model.provinces.resolve(meta.get("provinces"))
    for name in unknown:
        model.problem(path, model.provinces.unknown(name), line_of["provinces"])
    source.provinces = tuple(provinces)
    source.lang = meta.get("lang", model.settings.get("DEFAULT_LANG", "zh")).strip()
    if source.lang not in LANGUAGES:
        model.problem(path, f"Lang “{source.lang}” 不支持 — 只能是 zh 或 en (unknown language)",
                      line_of["lang"])
    status = meta.get("status", "published").strip().lower()
    if status not in STATUSES:
        model.problem(path, f"Status “{status}” 不支持 — 用 draft 表示草稿，或删去这一行"
                            " (unknown status)", line_of["status"])
    slug = meta.get("slug", "").strip()
    if "slug" in meta and not SLUG_FORMAT.match(slug):
        model.problem(path, f"Slug “{slug}” 只能含小写英文字母、数字和连字符，如 yrd-office-first-year"
                            " (bad slug)", line_of["slug"])
    return source


def assign_slugs(model, sources: list[Source]) -> None:
    """Give every item a URL slug: the editor's, or pinyin of the title made unique.

    Both go in order of date then path: an explicit slug that clashes is the newer
    item's problem (the older one is published at that URL already), and derived
    slugs get -2, -3 ..., so adding an item never changes an older URL.
    """
    sources = sorted(sources, key=oldest_first)
    taken: dict[tuple, Source] = {}
    for source in sources:
        slug = source.meta.get("slug", "").strip()
        if not slug:
            continue
        key = (source.kind, source.lang, slug)
        if key in taken:
            other = model.relative(taken[key].path)
            model.problem(source.path, f"Slug “{slug}” 已被 {other} 使用，两篇会占用同一网址 — "
                                       "请给这一篇改用另一个 Slug (duplicate slug)")
        elif source.kind == "page" and slug in RESERVED_PAGE_SLUGS:
            model.problem(source.path, f"Slug “{slug}” 是网站栏目的网址，页面不能使用 — 请换一个"
                                       " (reserved slug)")
        taken.setdefault(key, source)
        source.slug = slug
    for source in sources:
        if source.slug:
            continue
        base = source.title_slug  # add_pinyin's, or the file's record's
        slug, number = base, 1
        while (source.kind, source.lang, slug) in taken or (
                source.kind == "page" and slug in RESERVED_PAGE_SLUGS):
            number += 1
            slug = f"{base}-{number}"
        taken[(source.kind, source.lang, slug)] = source
        source.slug = slug


def oldest_first(source: Source) -> tuple:
    """Date, then path: the order items came to the site (an item without a readable date first)."""
    try:
        when = parse_datetime(source.meta["date"]).timestamp()
    except (KeyError, ValueError):
        when = float("-inf")
    return when, source.path


def check_alone(model, path: str, kind: str) -> tuple[Source | None, list]:
    """check_source, and the problems it found (taken back from the model)."""
    before = len(model.problems)
    source = check_source(model, path, kind)
    problems = model.problems[before:]
    del model.problems[before:]
    return source, problems


def add_pinyin(model, sources: list[Source | None], here: bool = True) -> None:
    """The sources' title and milestone slugs; `here=False`: in a forked process unless
    this one has loaded pypinyin already (pinyin_slugs)."""
    max_length = model.settings.get("SLUG_MAX_LENGTH", DEFAULT_SLUG_LENGTH)
    wanted = [(source, attribute, request) for source in sources if source
              for attribute, request in source.pinyin_wanted(max_length)]
    requests = [request for _, _, request in wanted]
    slugs = [pinyin_slug(*request) for request in requests] if here else pinyin_slugs(requests)
    for (source, attribute, _), slug in zip(wanted, slugs):
        setattr(source, attribute, slug)


# Checking is independent per file: with many files (a first build), each core takes a share.
PARALLEL_CHECK_MIN_FILES = 200
_worker_model = None


def start_checker(model) -> None:
    global _worker_model
    _worker_model = model


def check_chunk(jobs: list[tuple[str, str]]) -> list[tuple[Source | None, list]]:
    results = [check_alone(_worker_model, path, kind) for path, kind in jobs]
    add_pinyin(_worker_model, [source for source, _ in results])
    return results


def check_all(model, jobs: list[tuple[str, str]], site_files: int) -> list[tuple[Source | None, list]]:
    """check_alone and add_pinyin for every (path, kind), in order; in forked workers when there are many."""
    workers = os.cpu_count() or 1
    if len(jobs) < PARALLEL_CHECK_MIN_FILES or workers < 2:
        results = [check_alone(model, path, kind) for path, kind in jobs]
        # A large site's build process goes on to hold every item: pypinyin's dictionaries stay out of it.
        add_pinyin(model, [source for source, _ in results], here=site_files < PARALLEL_CHECK_MIN_FILES)
        return results
    chunks = [jobs[start:start + 64] for start in range(0, len(jobs), 64)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=start_checker, initargs=(model,)) as pool:
        results = [result for chunk in pool.map(check_chunk, chunks) for result in chunk]
    for source, _ in results:  # the build's own terms, not the workers' copies
        if source:
            source.fields = tuple(model.fields[term.key] for term in source.fields)
            source.provinces = tuple(model.provinces[term.key] for term in source.provinces)
    return results


def check_content(model) -> dict[str, Source]:
    """Check every news item and page; return what was learnt, by absolute path.

    With CACHE_CONTENT, what an earlier build learnt of an unchanged file comes
    from its record (checked_files.py) instead.
    """
    settings = model.settings
    checked = CheckedFiles(settings) if settings.get("CACHE_CONTENT") else None
    found, jobs = [], []
    for kind, folders_key, excludes_key in (("article", "ARTICLE_PATHS", "ARTICLE_EXCLUDES"),
                                            ("page", "PAGE_PATHS", "PAGE_EXCLUDES")):
        for path in content_files(settings, settings[folders_key], settings.get(excludes_key, ())):
            status = os.stat(path)  # before reading: a later edit is seen next time
            file_stamp = stamp(status)
            record = checked.record(path, kind, file_stamp) if checked else None
            if record:
                source = Source(path, kind, record.meta, record.lang,
                                fields=tuple(model.fields[key] for key in record.fields),
                                provinces=tuple(model.provinces[key] for key in record.provinces),
                                title_slug=record.title_slug, milestone_slug=record.milestone_slug,
                                links=record.links, modified=status.st_mtime, size=status.st_size)
                checked.keep(source, file_stamp, afresh=False)
                found.append(source)
            else:
                found.append((path, kind, status))
                jobs.append((path, kind))
    results = iter(check_all(model, jobs, len(found)))
    sources = []
    for entry in found:
        if isinstance(entry, tuple):
            path, kind, status = entry
            source, problems = next(results)
            model.problems.extend(problems)
            if source:
                source.modified, source.size = status.st_mtime, status.st_size
            if checked and source and not problems:  # a file with problems is checked again next time
                checked.keep(source, stamp(status), afresh=True)
            entry = source
        if entry:
            sources.append(entry)
    assign_slugs(model, sources)
    check_links(model, sources)  # every file's, the unchanged ones' from their records: a linked file may be gone
    if checked:
        checked.save()
    return {os.path.abspath(s.path): s for s in sources}


# ---------------------------------------------------------------- applying

def cleaner() -> nh3.Cleaner:
    """nh3's defaults, plus the ids and classes Markdown puts on headings, footnotes and tables."""
    attributes = {tag: set(allowed) for tag, allowed in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag in ("h1", "h2", "h3", "h4", "h5", "h6", "sup", "li", "a", "div", "table"):
        attributes.setdefault(tag, set()).update({"id", "class"})
    return nh3.Cleaner(attributes=attributes, url_schemes={"http", "https", "mailto", "tel"})


# Configured once: sanitising runs for every item of every build.
CLEANER = cleaner()


def sanitize(html_text: str) -> str:
    """Clean raw HTML that editors paste: no scripts, frames, handlers or javascript: URLs."""
    return CLEANER.clean(XML_FORBIDDEN.sub("", html_text))


class SanitizingMarkdownReader(MarkdownReader):
    """Pelican's Markdown reader, with the HTML it produces sanitised.

    With SKIP_OTHER_LANGUAGES (set by plugins/editions, where each language
    edition is its own run) a file in another language than the run's
    DEFAULT_LANG is not parsed at all: Pelican skips it as a SkipStub.
    """

    def read(self, source_path):
        parsed = fast_reading.parsed_ahead(self, source_path)
        if parsed is not None:
            return parsed
        if self.settings.get("SKIP_OTHER_LANGUAGES"):
            source = self.settings.get("PORTAL_SOURCES", {}).get(os.path.abspath(source_path))
            if source is not None and source.lang != self.settings["DEFAULT_LANG"]:
                return "", {"status": "skip"}
        content, metadata = self.markdown_read(source_path)
        for key, value in metadata.items():
            if isinstance(value, str):
                metadata[key] = XML_FORBIDDEN.sub("", value)
        for key in OPTIONAL_TEXT_KEYS:
            # Left empty, as `invoke new` writes them: as if not written (an empty Summary took the
            # first paragraph's place as the item's description).
            if key in metadata and not str(metadata[key]).strip():
                del metadata[key]
        return sanitize(content), metadata

    @cached_property
    def markdowns(self) -> tuple[Markdown, Markdown]:
        """One instance for documents, one for formatted fields (Pelican takes "meta" out of it)."""
        return Markdown(**self.settings["MARKDOWN"]), Markdown(**self.settings["MARKDOWN"])

    def markdown_read(self, source_path):
        """MarkdownReader.read, with its Markdown instances made once per reader instead of
        once per file: making one cost a quarter of reading an item."""
        self._source_path = source_path
        document, self._md = self.markdowns
        document.reset()
        with pelican_open(source_path) as text:
            content = document.convert(text)
        # _parse_metadata takes the meta preprocessor out of self._md first, as Pelican's own
        # instance has one: a stand-in for it to take.
        self._md.preprocessors.register(MetaStandIn(), "meta", 0)
        return content, self._parse_metadata(document.Meta)


class MetaStandIn(Preprocessor):
    def run(self, lines):
        return lines


SUMMARY_FROM_BODY = "summary_from_body"  # metadata: the summary is the first paragraph, not Summary:
FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
TAG = re.compile(r"<[^>]+>")


def derived_summary(content: str, max_chars: int) -> str:
    """The first paragraph as plain text, shortened to about max_chars characters."""
    match = FIRST_PARAGRAPH.search(content or "")
    text = html.unescape(TAG.sub("", match.group(1) if match else "")).strip()
    text = " ".join(text.split())
    return text if len(text) <= max_chars else text[:max_chars].rstrip() + "…"


def source_of(instance):
    """What the check learnt of the file of Pelican's article or page (a Source), or None."""
    return model_for(instance.settings).settings.get("PORTAL_SOURCES", {}).get(os.path.abspath(instance.source_path))


def apply_source(instance) -> None:
    """Put what the check learnt onto Pelican's article or page.

    The milestone's slug stays with the Source (source_of): in CPython 3.11 items share one table of
    attribute names only while all their names together fit in it, 29 (portal_model/memory.py).
    """
    source = source_of(instance)
    if source is None:
        return
    instance.slug = source.slug
    instance.fields = list(source.fields)
    instance.provinces = list(source.provinces)
    instance.milestone = source.meta.get("milestone", "").strip()
    if "summary" not in instance.metadata:
        # Marked, so that the item's page does not show its first paragraph twice (article.html).
        instance.metadata[SUMMARY_FROM_BODY] = True
        instance.metadata["summary"] = derived_summary(
            instance._content, model_for(instance.settings).settings.get("SUMMARY_MAX_CHARS", 120))


# ---------------------------------------------------------------- wiring

class PelicanErrorCollector(logging.Handler):
    """Turns anything Pelican itself logs as an error into a problem of the report."""

    def __init__(self, model):
        super().__init__(level=logging.ERROR)
        self.model = model

    def emit(self, record):
        message = record.getMessage().splitlines()[0]
        self.model.problem(self.model.settings["PATH"], f"Pelican: {message}")


def check_before_build(pelican) -> None:
    model = model_for(pelican.settings)
    # Another edition's run of the same build hands over the sources it checked (plugins/editions).
    if "PORTAL_SOURCES" not in pelican.settings:
        pelican.settings["PORTAL_SOURCES"] = check_content(model)
    collector = PelicanErrorCollector(model)
    logging.getLogger("pelican").addHandler(collector)
    pelican.settings["PORTAL_ERROR_COLLECTOR"] = collector


def stop_on_problems(settings, finished: bool = False) -> None:
    """Raise the report if anything is wrong; stop listening to Pelican's log when done."""
    model = model_for(settings)
    if finished or model.problems:
        logging.getLogger("pelican").removeHandler(settings.pop("PORTAL_ERROR_COLLECTOR", None))
    model.raise_problems()


def stop_before_reading(pelican):
    # get_generators is sent after every plugin's check (signal `initialized`)
    stop_on_problems(pelican.settings)
    return []


def stop_after_reading(generators) -> None:
    stop_on_problems(generators[0].settings)


def stop_after_writing(pelican) -> None:
    stop_on_problems(pelican.settings, finished=True)


def drop_drafts(generator) -> None:
    """Drafts (and future items) are never written, not even at a hidden URL; only the preview
    (`invoke livereload`) gives them one (DRAFT_SAVE_AS), for the editor to see them.

    Emptying the lists also avoids Pelican 4.12 failing on drafts when
    categories are switched off (it reads `draft.category` unconditionally).
    """
    if generator.settings.get("DRAFT_SAVE_AS"):
        for draft in (*generator.drafts, *generator.drafts_translations):
            if not hasattr(draft, "category"):  # a category of drafts; no page is made for it
                draft.category = Category("drafts", generator.settings)
        return
    generator.drafts.clear()
    generator.drafts_translations.clear()


def keep_default_language_in_lists(generator) -> None:
    """An item with no Chinese original (English-only) belongs to its own edition.

    Pelican makes such an item an original of the default site; here it joins
    the translations, so it is written under /en/ and never listed in Chinese.
    """
    default = generator.settings["DEFAULT_LANG"]
    foreign = [a for a in generator.articles if a.lang != default]
    generator.articles[:] = [a for a in generator.articles if a.lang == default]
    generator.translations.extend(foreign)


def add_reader(readers) -> None:
    for extension in SanitizingMarkdownReader.file_extensions:
        readers.reader_classes[extension] = SanitizingMarkdownReader


def check_site(settings_file: str | None, content_path: str | None) -> list:
    """Run every plugin's content check without building; return the problems."""
    from pelican import Pelican
    from pelican.settings import read_settings

    overrides = {"PATH": os.path.abspath(content_path)} if content_path else {}
    settings = read_settings(settings_file, override=overrides)
    pelican = Pelican(settings)
    logging.getLogger("pelican").removeHandler(settings.pop("PORTAL_ERROR_COLLECTOR", None))
    return model_for(pelican.settings).problems


def register():
    signals.initialized.connect(check_before_build)
    signals.initialized.connect(fast_reading.prepare)
    for generator_init in (signals.article_generator_init, signals.page_generator_init):
        generator_init.connect(fast_reading.list_checked_files_in_order)
        generator_init.connect(fast_reading.share_file_stamps)
    signals.all_generators_finalized.connect(fast_reading.finish)
    signals.article_generator_finalized.connect(fast_reading.release_cache)
    signals.page_generator_finalized.connect(fast_reading.release_cache)
    signals.readers_init.connect(add_reader)
    signals.article_generator_pretaxonomy.connect(keep_default_language_in_lists)
    signals.article_generator_finalized.connect(drop_drafts)
    signals.get_generators.connect(stop_before_reading)
    signals.content_object_init.connect(apply_source)
    signals.all_generators_finalized.connect(stop_after_reading)
    signals.finalized.connect(stop_after_writing)
