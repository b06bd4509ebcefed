"""Integration timelines: `/timeline/`, `/timeline/<field>/`, their province views and data files.

Events come from two sources: news items with a `Milestone:` label, and the
history files `content/timeline/*.yaml` (milestones with no news item of their
own). The history files are read and checked at `initialized`, so a bad entry
is part of the one combined report of strict_content, also for `invoke check`.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
from dataclasses import dataclass, field as dataclass_field
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pelican import signals
from pelican.generators import Generator

import portal_model
from portal_model import (
    DEFAULT_SLUG_LENGTH, SHANGHAI, PartialDate, Term, kept_between_builds, made_by_the_system, model_for,
    parse_partial_date, pinyin_slugs, write_if_changed,
)
from strict_content import decode, source_of
from strict_content.links import closest, item_page_paths, missing_item, page_of
from strict_content.fast_reading import code_and_settings_fingerprint

ENTRY_KEYS = ("date", "title", "fields", "provinces", "description", "link")
HISTORY_EXTENSIONS = (".yaml", ".yml")
# The scope name of the every-field timeline in data file names and province views.
ALL = "all"
LATEST_COUNT = 5
WHITESPACE = re.compile(r"\s")


@dataclass
class TimelineEvent:
    """One milestone, from a news item or a history entry."""

    when: PartialDate
    label: str
    fields: list[Term]
    provinces: list[Term] = dataclass_field(default_factory=list)
    description: str = ""
    # A path of this site ("news/2018/slug/") or an absolute http(s) URL.
    link: str | None = None
    article: object = None
    id: str = ""
    label_slug: str = ""  # pinyin of the label (strict_content's check gives it for news items)

    @property
    def external(self) -> bool:
        return bool(self.link) and self.link.startswith(("http://", "https://"))

    def href(self, siteurl: str) -> str | None:
        if not self.link or self.external:
            return self.link
        return f"{siteurl}/{self.link}"

    def absolute_link(self, model) -> str | None:
        if not self.link or self.external:
            return self.link
        return model.absolute_url(self.link)

    def sort_key(self):
        return (self.when, self.label, self.link or "")


# ---------------------------------------------------------------- history files

class HistoryLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when installed: 4x faster
    """Safe YAML that keeps dates as text, so 2018-02-30 is one entry's problem, not a crash."""


HistoryLoader.add_constructor("tag:yaml.org,2002:timestamp", HistoryLoader.construct_yaml_str)


def history_files(model) -> list[str]:
    folder = os.path.join(model.settings["PATH"], model.settings.get("TIMELINE_PATH", "timeline"))
    if not os.path.isdir(folder):
        return []
    paths = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if made_by_the_system(name) or os.path.isdir(path):
            continue
        if not name.lower().endswith(HISTORY_EXTENSIONS):
            model.problem(path, "时间线文件夹里只能放 .yaml 文件，这个文件不会被读取 — 请改为 .yaml"
                                " 或移出 content/timeline/ (not a .yaml file)")
            continue
        paths.append(path)
    return paths


def load_history_file(model, path: str, item_paths: set[str] | None) -> list[TimelineEvent]:
    """The entries of one history file; every problem reported, bad entries left out."""
    with open(path, "rb") as handle:
        text = decode(model, path, handle.read())
    if text is None:
        return []
    loader = HistoryLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        model.problem(path, f"YAML 格式错误：{error.problem or error.context} — 请检查这一行的缩进"
                            "(用空格，不要用 Tab)、冒号后的空格和引号是否成对 (broken YAML)",
                      mark.line + 1 if mark else None)
        return []
    except yaml.YAMLError as error:
        model.problem(path, f"YAML 无法读取：{error} — 请删去文件中的特殊控制字符 (broken YAML)")
        return []
    finally:
        loader.dispose()
    if node is None:
        model.empty_file(path, "请写入大事条目，每条以 “- date: 2018-07” 开头，下面缩进写 title、fields 等；"
                               "不再需要的话请删除这个文件")
        return []
    if not isinstance(data, list):
        model.problem(path, "文件内容应是一个列表：每条大事以 “- date: …” 开头，下面缩进写 title、"
                            "fields 等 (not a list)", node.start_mark.line + 1)
        return []
    events = []
    for index, (entry_node, entry) in enumerate(zip(node.value, data), start=1):
        event = history_event(model, path, index, entry, entry_node, item_paths)
        if event:
            events.append(event)
    return events


def text_value(value) -> str | None:
    """A one-line text value; None when the editor wrote a list or a mapping instead."""
    if value is None:
        return ""
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    return None


def history_event(model, path: str, index: int, entry, node, item_paths: set[str] | None) -> TimelineEvent | None:
    """The entry's event, or None once its problems are reported; `item_paths`: the page path of every
    news item, so that a link to an item is one to an item there is (None: not known)."""
    line = node.start_mark.line + 1
    if not isinstance(entry, dict):
        model.problem(path, f"第 {index} 条不是“键: 值”形式的条目 — 每条应有 date、title、fields"
                            " 等 (entry is not a mapping)", line)
        return None
    key_lines = {str(key.value): value.start_mark.line + 1 for key, value in node.value}
    title = text_value(entry.get("title"))
    where = f"第 {index} 条“{title}”" if title else f"第 {index} 条"
    reported = []

    def report(message: str, key: str | None = None) -> None:
        reported.append(message)
        model.problem(path, f"{where}:{message}", key_lines.get(key, line))

    for key in entry:
        if key not in ENTRY_KEYS:
            report(f"未知的键 “{key}” — 可用：{', '.join(ENTRY_KEYS)} (unknown key)", str(key))
    if title is None:
        report("title 应是一行文字 (title is not text)", "title")
    elif not title:
        report("缺少 title — 请加一行 “title: 事件名称” (missing title)")
    when = None
    if entry.get("date") in (None, ""):
        report("缺少 date — 写作 1992、2018-07 或 2018-12-15 (missing date)")
    else:
        try:
            when = parse_partial_date(entry["date"])
        except ValueError as error:
            report(f"{error} (bad date)", "date")
    fields, unknown = model.fields.resolve(entry.get("fields"))
    if not fields and not unknown:
        report(f"缺少 fields — 如 “fields: [transport, innovation]”，可用：{model.fields.choices()}"
               " (missing fields)", "fields")
    for name in unknown:
        report(model.fields.unknown(name), "fields")
    provinces, unknown = model.provinces.resolve(entry.get("provinces"))
    for name in unknown:
        report(model.provinces.unknown(name), "provinces")
    description = text_value(entry.get("description"))
    if description is None:
        report("description 应是一段文字 (description is not text)", "description")
    link = text_value(entry.get("link"))
    if link and not valid_link(link):
        report(f"链接 “{link}” 无效 — 请写完整网址(https://…)或本站路径(如 "
               "/news/2018/yrd-office-founded/)(bad link)", "link")
    elif link and item_paths is not None and link.startswith("/") and missing_item(model.settings, link, item_paths):
        meant = closest(page_of(link), item_paths)
        report(f"链接 “{link}” 不是本站任何一篇新闻的网址 — "
               + (f"是否应为 /{meant}？" if meant else "")
               + "请在浏览器中打开那篇新闻，复制地址栏中 /news/ 起的路径 (no such news item)", "link")
    if reported:
        return None
    # Site paths are kept like a page's url: without the leading slash.
    return TimelineEvent(when, title, fields, provinces, description,
                         link.removeprefix("/") or None)


def valid_link(link: str) -> bool:
    if WHITESPACE.search(link):
        return False
    if link.startswith("/"):
        return not link.startswith("//")
    parts = urlsplit(link)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def load_history(pelican) -> None:
    """Read and check every history file before the build (also run by `invoke check`)."""
    model = model_for(pelican.settings)
    events = []
    item_paths = item_page_paths(pelican.settings)  # strict_content's check ran first
    for path in history_files(model):
        events.extend(load_history_file(model, path, item_paths))
    kept = KeptLabelSlugs(pelican.settings)
    kept.fill(events)
    add_label_slugs(events)
    kept.save(events)
    pelican.settings["TIMELINE_HISTORY"] = events


class KeptLabelSlugs:
    """The pinyin of the history labels, kept between builds (portal_model.kept_between_builds):
    a build with no new label then starts no process for pypinyin (~1 s)."""

    FILE = "timeline-label-slugs.json"

    def __init__(self, settings):
        kept = kept_between_builds(settings, self.FILE)
        self.path = Path(kept) if kept else None
        # The slugs change with pinyin_slug's code (portal_model) or pypinyin's dictionaries.
        self.fingerprint = code_and_settings_fingerprint(settings, (), ("pypinyin",), (Path(portal_model.__file__),))
        self.known: dict[str, str] = {}
        if self.path and settings.get("LOAD_CONTENT_CACHE", True):
            try:
                stored = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                stored = {}  # none yet, or unreadable: worked out again
            if stored.get("fingerprint") == self.fingerprint:
                self.known = stored["slugs"]

    def fill(self, events: list[TimelineEvent]) -> None:
        for event in events:
            event.label_slug = event.label_slug or self.known.get(event.label, "")

    def save(self, events: list[TimelineEvent]) -> None:
        slugs = {event.label: event.label_slug for event in events}
        if self.path and slugs != self.known:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(f"{self.FILE}.{os.getpid()}")
            partial.write_text(json.dumps({"fingerprint": self.fingerprint, "slugs": slugs}, ensure_ascii=False),
                               encoding="utf-8")
            os.replace(partial, self.path)  # builds sharing CACHE_PATH never read half a file


# ---------------------------------------------------------------- timelines

def milestone_event(article) -> TimelineEvent:
    day = article.date.astimezone(SHANGHAI)
    source = source_of(article)
    return TimelineEvent(PartialDate(day.year, day.month, day.day), article.milestone,
                         list(article.fields), list(article.provinces),
                         article.summary, article.url, article,
                         label_slug=source.milestone_slug if source else "")


def add_label_slugs(events: list[TimelineEvent]) -> None:
    """The pinyin of labels not yet known, computed together (pinyin_slugs: in a forked process
    at the start of a large build, so its own process never loads pypinyin)."""
    missing = [event for event in events if not event.label_slug]
    for event, slug in zip(missing, pinyin_slugs([(event.label, DEFAULT_SLUG_LENGTH) for event in missing])):
        event.label_slug = slug


def assign_ids(events: list[TimelineEvent]) -> None:
    """Anchors for the timeline pages: date and pinyin of the label, unique."""
    add_label_slugs(events)
    taken = set()
    for event in events:
        base = f"event-{event.when.isoformat()}-{event.label_slug}"
        event.id, number = base, 1
        while event.id in taken:
            number += 1
            event.id = f"{base}-{number}"
        taken.add(event.id)


def timeline_url(field: Term | None = None, province: Term | None = None) -> str:
    if province is None:
        return f"timeline/{field.key}/" if field else "timeline/"
    return f"timeline/{field.key if field else ALL}/{province.key}/"


@dataclass
class ProvinceFilter:
    """One link of a timeline's province filter; province None is "every province"."""

    province: Term | None
    url: str
    count: int
    current: bool


@dataclass
class Timeline:
    """The events of one page: every field or one, every province or one."""

    field: Term | None
    province: Term | None
    events: list[TimelineEvent]
    filters: list[ProvinceFilter]

    @property
    def url(self) -> str:
        return timeline_url(self.field, self.province)

    @property
    def data_path(self) -> str | None:
        """Data files (`<data_path>.json`, `.timelinejs.json`) exist for each field and for all."""
        if self.province:
            return None
        return f"timeline/{self.field.key if self.field else ALL}"

    @property
    def years(self) -> list[tuple[int, list[TimelineEvent]]]:
        return [(year, list(events))
                for year, events in itertools.groupby(self.events, key=lambda e: e.when.year)]


def field_events(events, field: Term | None) -> list[TimelineEvent]:
    return [e for e in events if field is None or field in e.fields]


def timelines(model, events: list[TimelineEvent]) -> list[Timeline]:
    pages = []
    for field in (None, *model.fields):
        in_field = field_events(events, field)
        by_province = {p: [e for e in in_field if p in e.provinces] for p in model.provinces}
        for current in (None, *model.provinces):
            filters = [ProvinceFilter(None, timeline_url(field), len(in_field), current is None)]
            filters += [ProvinceFilter(p, timeline_url(field, p), len(by_province[p]), p == current)
                        for p in model.provinces]
            pages.append(Timeline(field, current, by_province[current] if current else in_field,
                                  filters))
    return pages


def newest_first(events, count: int) -> list[TimelineEvent]:
    return sorted(events, key=TimelineEvent.sort_key, reverse=True)[:count]


# ---------------------------------------------------------------- data files

def event_json(model, event: TimelineEvent) -> dict:
    return {
        "id": event.id,
        "date": event.when.isoformat(),
        "precision": event.when.precision,
        "label": event.label,
        "fields": [f.key for f in event.fields],
        "provinces": [p.key for p in event.provinces],
        "link": event.absolute_link(model),
        "description": event.description,
    }


def timeline_json(model, timeline: Timeline) -> dict:
    return {
        "title": timeline_title(model, timeline.field),
        "field": timeline.field.key if timeline.field else None,
        "url": model.absolute_url(timeline.url),
        "events": [event_json(model, e) for e in timeline.events],
    }


def timeline_title(model, field: Term | None) -> str:
    """In the build's edition language (plugins/editions installs model.gettext)."""
    if field:
        return model.gettext("{field}领域一体化时间线").format(field=field.name(model.lang))
    return model.gettext("长三角一体化时间线")


def timelinejs_event(model, event: TimelineEvent, grouped: bool) -> dict:
    """A TimelineJS3 slide: only the date parts that are known."""
    when = event.when
    start = {"year": when.year, "display_date": when.format(model.lang)}
    if when.month:
        start["month"] = when.month
    if when.day:
        start["day"] = when.day
    text = f"<p>{html.escape(event.description)}</p>" if event.description else ""
    link = event.absolute_link(model)
    if link:
        words = model.gettext("相关链接") if event.external else model.gettext("阅读全文")
        text += f'<p><a href="{html.escape(link)}">{words}</a></p>'
    slide = {"unique_id": event.id, "start_date": start,
             "text": {"headline": html.escape(event.label), "text": text}}
    if grouped and event.fields:
        slide["group"] = event.fields[0].name(model.lang)
    return slide


def timelinejs_json(model, timeline: Timeline) -> dict:
    """The TimelineJS3 JSON format (timeline.knightlab.com/docs/json-format.html)."""
    description = timeline.field.describe(model.lang) if timeline.field else model.settings.get(
        "SITE_DESCRIPTION", "")
    return {
        "title": {"text": {"headline": timeline_title(model, timeline.field),
                           "text": html.escape(description)}},
        "scale": "human",
        "events": [timelinejs_event(model, e, grouped=timeline.field is None)
                   for e in timeline.events],
    }


def write_json(output_path: str, name: str, data: dict) -> None:
    path = os.path.join(output_path, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_if_changed(path, (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"))


# ---------------------------------------------------------------- generator

class TimelinesGenerator(Generator):
    """Collects events in generate_context, writes pages and data files in generate_output."""

    def generate_context(self):
        model = model_for(self.settings)
        lang = self.settings.get("DEFAULT_LANG", "zh")
        events = list(self.settings.get("TIMELINE_HISTORY", []))
        events += [milestone_event(a) for a in self.context.get("articles", [])
                   if a.lang == lang and getattr(a, "milestone", "")]
        events.sort(key=TimelineEvent.sort_key)
        assign_ids(events)
        self.timelines = timelines(model, events)
        count = self.settings.get("TIMELINE_LATEST_COUNT", LATEST_COUNT)
        self.context["timeline_events"] = events
        self.context["timeline_url"] = timeline_url
        self.context["latest_milestones"] = newest_first(events, count)
        self.context["field_milestones"] = {
            f.key: newest_first(field_events(events, f), count) for f in model.fields}
        self.context["province_milestones"] = {
            p.key: newest_first([e for e in events if p in e.provinces], count)
            for p in model.provinces}

    def generate_output(self, writer):
        model = model_for(self.settings)
        template = self.get_template("timeline")
        for timeline in self.timelines:
            writer.write_file(
                f"{timeline.url}index.html", template, self.context,
                relative_urls=self.settings["RELATIVE_URLS"], template_name="timeline",
                url=timeline.url, timeline=timeline,
                page_title=timeline_title(model, timeline.field),
            )
        self.write_data()

    def write_data(self):
        model = model_for(self.settings)
        for timeline in self.timelines:
            if timeline.data_path:
                write_json(self.output_path, f"{timeline.data_path}.json",
                           timeline_json(model, timeline))
                write_json(self.output_path, f"{timeline.data_path}.timelinejs.json",
                           timelinejs_json(model, timeline))


def refresh_milestone(item, generators) -> None:
    """After a quick rebuild's edit of `item`'s text (plugins/quick_rebuild): its milestone's
    description is a copy of its summary, in the pages (rendered again there) and in the data files."""
    for generator in generators:
        if isinstance(generator, TimelinesGenerator):
            events = [event for event in generator.context["timeline_events"] if event.article is item]
            for event in events:
                event.description = item.summary
            if events:
                generator.write_data()


def get_generators(pelican):
    return TimelinesGenerator


def register():
    signals.initialized.connect(load_history)
    signals.get_generators.connect(get_generators)
    portal_model.ITEM_EDITED_IN_PLACE.connect(refresh_milestone)
