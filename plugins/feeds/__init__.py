"""Subscription feeds: Atom and RSS for all news, each field, each province and each
field × province pair with items; JSON Feed for all news; OPML; the `/feeds/` page.

Every feed, including other plugins' feeds (see README), is written by `write_feed`,
which works around feedgen's defaults that would make feeds differ between builds
(it stamps the current time and prepends entries).
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import os
import re
from dataclasses import dataclass, field as dataclass_field
from datetime import datetime
from importlib.metadata import version

import lxml.html
from feedgen.feed import FeedGenerator
from lxml import etree
from pelican import signals
from pelican.generators import Generator

from incremental_writer.pagekeys import digest, run_inputs_digest
from portal_model import (ITEM_EDITED_IN_PLACE, MONTHS_EN, SHANGHAI, Term, kept_between_builds, model_for,
                          remove_file, write_if_changed, write_whole)
from strict_content import XML_FORBIDDEN

FEED_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml",
              "json": "application/feed+json"}
ATOM = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# A tag URI authority (RFC 4151): a domain the office owns, and a date it owned it.
TAG_AUTHORITY = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?,\d{4}(-\d{2}(-\d{2})?)?$")
# Only for a feed with no items at all, so that even an empty site builds identically.
EMPTY_SITE_UPDATED = datetime(2018, 1, 1, tzinfo=SHANGHAI)
PELICAN_FEED_SETTINGS = (
    "FEED_ALL_ATOM", "FEED_ALL_RSS", "FEED_ATOM", "FEED_RSS", "CATEGORY_FEED_ATOM",
    "CATEGORY_FEED_RSS", "TAG_FEED_ATOM", "TAG_FEED_RSS", "AUTHOR_FEED_ATOM", "AUTHOR_FEED_RSS",
    "TRANSLATION_FEED_ATOM", "TRANSLATION_FEED_RSS",
)
WRITTEN_FEEDS = "written-feeds.json"  # in CACHE_PATH: WrittenFeeds
# What a feed opened in a browser is shown through, in each run's output (theme/templates/feed_xsl.html).
FEED_STYLESHEET = "feeds/feed.xsl"


# ---------------------------------------------------------------- the public records

@dataclass(frozen=True)
class FeedSpec:
    """One feed: what it is called, where it lives, what page it mirrors."""

    title: str
    path: str  # site path without extension: "feeds/fields/transport"
    html_path: str  # the HTML page the feed mirrors: "fields/transport/"
    lang: str = "zh-CN"  # xml:lang / <language>
    description: str = ""
    group: str = ""  # heading on /feeds/ and outline in the OPML
    formats: tuple[str, ...] = ("atom", "rss")
    edition: str = ""  # URL prefix of the edition whose OPML lists it: "", "en/", ...
    name: str = ""  # short visible name ("交通 · 上海"); the title when empty

    @property
    def atom(self) -> str:
        return f"{self.path}.atom.xml"

    @property
    def rss(self) -> str:
        return f"{self.path}.rss.xml"

    @property
    def json(self) -> str:
        return f"{self.path}.json"

    @property
    def label(self) -> str:
        return self.name or self.title

    def file(self, kind: str) -> str:
        return getattr(self, kind)


@dataclass(frozen=True)
class Entry:
    """One entry of a feed; `date` and `updated` are timezone-aware."""

    id: str
    title: str
    url: str  # site path or absolute URL
    date: datetime
    summary: str  # plain text
    content_html: str
    updated: datetime | None = None
    categories: tuple[str, ...] = ()


# ---------------------------------------------------------------- the news feeds, as data

@dataclass(frozen=True)
class Edition:
    """A language edition of the site: its URL prefix, content language, xml:lang and words."""

    prefix: str  # "" for the root edition
    lang: str  # the items' Lang and Term.name(lang)
    tag: str  # xml:lang / <language>
    labels: dict = dataclass_field(hash=False, compare=False)


def N_(text: str) -> str:
    """Marks interface text for the catalogue (plugins/editions); translated in `run_edition`."""
    return text


ROOT_EDITION = Edition("", "zh", "zh-CN", {
    "site": "中国长三角",
    "all": N_("全部消息"), "field": "{field}", "province": "{province}",
    "pair": "{field} · {province}",
    "title": N_("{site}：{name}"),
    "description": N_("{site}({name})最新消息"),
    "group.all": N_("全部消息"), "group.field": N_("按领域"), "group.province": N_("按省市"),
    "group.pair": N_("按领域和省市"),
})


def run_edition(model) -> Edition:
    """The edition a run writes at its output root: the root one, or the English one when
    plugins/editions builds English in its own run (model.lang "en", words from model.gettext)."""
    if model.lang == ROOT_EDITION.lang:
        return ROOT_EDITION
    words = {key: model.gettext(text) for key, text in ROOT_EDITION.labels.items()}
    words["site"] = model.settings.get("SITENAME", words["site"])
    return Edition(ROOT_EDITION.prefix, model.lang, model.lang, words)


@dataclass(frozen=True)
class NewsFeedKind:
    """A kind of news feed: split by which registries (field, province), where it lives."""

    kind: str  # also the key of its words in Edition.labels
    path: str  # format string over the terms it is split by
    html_path: str
    split_by: tuple[str, ...]  # "field", "province": item attributes "fields", "provinces"
    only_with_items: bool = False
    formats: tuple[str, ...] = ("atom", "rss")


NEWS_FEEDS = (
    NewsFeedKind("all", "feeds/all", "", (), formats=("atom", "rss", "json")),
    NewsFeedKind("field", "feeds/fields/{field.key}", "fields/{field.key}/", ("field",)),
    NewsFeedKind("province", "feeds/provinces/{province.key}", "provinces/{province.key}/",
                 ("province",)),
    NewsFeedKind("pair", "feeds/fields/{field.key}/{province.key}", "fields/{field.key}/",
                 ("field", "province"), only_with_items=True),
)
NEWS_FEED_KIND = {kind.kind: kind for kind in NEWS_FEEDS}


def news_feed_spec(edition: Edition, kind: NewsFeedKind, terms: dict[str, Term]) -> FeedSpec:
    words = edition.labels
    names = {key: term.name(edition.lang) for key, term in terms.items()}
    name = words[kind.kind].format(**names)
    return FeedSpec(
        title=words["title"].format(site=words["site"], name=name),
        path=edition.prefix + kind.path.format(**terms),
        html_path=edition.prefix + kind.html_path.format(**terms),
        lang=edition.tag,
        description=words["description"].format(site=words["site"], name=name),
        group=words[f"group.{kind.kind}"],
        formats=kind.formats,
        edition=edition.prefix,
        name=name,
    )


def term_combinations(model, kind: NewsFeedKind):
    registries = [getattr(model, f"{name}s") for name in kind.split_by]
    for combination in itertools.product(*registries):
        yield dict(zip(kind.split_by, combination))


def news_feeds(model, edition: Edition, items) -> list[tuple[FeedSpec, list]]:
    """Every news feed of an edition with its items, in the order of NEWS_FEEDS and the registries."""
    # One pass over the items, not one per feed: ~40 feeds, tens of thousands of items.
    members = {}
    for item in items:
        for kind in NEWS_FEEDS:
            for terms in itertools.product(*(getattr(item, f"{name}s", ()) for name in kind.split_by)):
                members.setdefault((kind.kind, terms), []).append(item)
    feeds = []
    for kind in NEWS_FEEDS:
        for terms in term_combinations(model, kind):
            own = members.get((kind.kind, tuple(terms.values())), [])
            if own or not kind.only_with_items:
                feeds.append((news_feed_spec(edition, kind, terms), own))
    return feeds


def entry_id(settings, specific: str) -> str:
    """A stable tag URI: tag:csj.example,2018:news/yrd-office-first-year.

    FEED_ID_PREFIX ("en/") keeps apart the ids of an edition built in a run of its own
    at its own output root, whose paths carry no edition prefix.
    """
    authority, prefix = settings.get("FEED_ID_AUTHORITY", ""), settings.get("FEED_ID_PREFIX", "")
    return f"tag:{authority}:{prefix}{specific}"


def news_entry_key(settings, article) -> str:
    """What identifies a news item for good, whatever its title says.

    An explicit `Slug:` (unique per language): `news/<slug>`. Without one the slug
    is the title in pinyin and changes when the title is edited, so the item's file
    path is used instead: `news/2019/some-file.md`.
    """
    if article.metadata.get("slug"):
        return f"news/{article.metadata['slug']}"
    return os.path.relpath(article.source_path, settings["PATH"]).replace(os.sep, "/")


def news_entry_id(model, edition: Edition, article) -> str:
    return entry_id(model.settings, edition.prefix + news_entry_key(model.settings, article))


def news_entry(model, edition: Edition, article) -> Entry:
    """A news item as a feed entry."""
    return Entry(
        id=news_entry_id(model, edition, article),
        title=article.title,
        url=article.url,
        date=article.date,
        updated=getattr(article, "modified", None),
        summary=article.summary or "",
        # Pelican resolves {filename} links against the absolute base given here.
        content_html=article.get_content(model.absolute_url("").rstrip("/")),
        categories=tuple(term.name(edition.lang) for term in (*article.fields, *article.provinces)),
    )


# ---------------------------------------------------------------- feeds for templates

def feeds_for(model, thing=None, edition: Edition | None = None) -> list[FeedSpec]:
    """The feeds a page advertises: those of a term or news item, then all news."""
    edition = edition or run_edition(model)
    wanted = []
    if isinstance(thing, Term):
        wanted.append((thing.kind[:-1], thing))
    elif thing is not None:
        wanted += [("field", term) for term in getattr(thing, "fields", ())]
        wanted += [("province", term) for term in getattr(thing, "provinces", ())]
    specs = [news_feed_spec(edition, NEWS_FEED_KIND[kind], {kind: term}) for kind, term in wanted]
    return specs + [news_feed_spec(edition, NEWS_FEED_KIND["all"], {})]


# ---------------------------------------------------------------- writing one feed

def xml_text(text) -> str:
    """Text with the characters XML 1.0 forbids removed (Word pastes vertical tabs and such)."""
    return XML_FORBIDDEN.sub("", str(text or ""))


@functools.lru_cache(maxsize=4096)  # an item is in ~8 feeds of its edition (all, fields, provinces, pairs)
def absolute_links(fragment: str, base_url: str) -> str:
    """An HTML fragment with every link and image address made absolute against base_url."""
    if not fragment.strip():
        return fragment
    wrapper = lxml.html.fragment_fromstring(fragment, create_parent="div")
    wrapper.make_links_absolute(base_url, resolve_base_href=False)
    # The serialised wrapper is "<div>…</div>": keep what is inside.
    return lxml.html.tostring(wrapper, encoding="unicode")[len("<div>"):-len("</div>")]


def shanghai(when: datetime) -> datetime:
    return when.astimezone(SHANGHAI).replace(microsecond=0)


def clean_entry(model, entry: Entry) -> Entry:
    url = model.absolute_url(entry.url) if "://" not in entry.url else entry.url
    return Entry(
        id=xml_text(entry.id), title=xml_text(entry.title), url=url,
        date=shanghai(entry.date), updated=shanghai(entry.updated or entry.date),
        summary=xml_text(entry.summary),
        content_html=absolute_links(xml_text(entry.content_html), url),
        categories=tuple(xml_text(c) for c in entry.categories),
    )


def stylesheet_href(spec: FeedSpec) -> str:
    """The edition's own XSL (FEED_STYLESHEET, in its words), relative to the feed: a browser applies
    only a stylesheet of the feed's origin, wherever the site lives."""
    return "../" * spec.path.count("/") + FEED_STYLESHEET


def finish(document: bytes, stylesheet: str) -> bytes:
    """feedgen's XML with an <?xml-stylesheet?> instruction, and rel on Atom entry links.

    feedgen drops the rel and type given for an entry's link; Atom's default rel is
    alternate, but saying so helps readers that guess.
    """
    root = etree.fromstring(document, etree.XMLParser(remove_blank_text=True))
    for link in root.iterfind(f"{{{ATOM}}}entry/{{{ATOM}}}link"):
        link.set("rel", "alternate")
        link.set("type", "text/html")
    root.addprevious(etree.ProcessingInstruction("xml-stylesheet",
                                                 f'type="text/xsl" href="{stylesheet}"'))
    return etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True,
                          pretty_print=True)


def atom_and_rss(model, spec: FeedSpec, entries: list[Entry], updated: datetime) -> dict[str, bytes]:
    settings = model.settings
    generator = FeedGenerator()
    generator.id(entry_id(settings, spec.path))
    generator.title(xml_text(spec.title))
    generator.description(xml_text(spec.description or spec.title))
    generator.language(spec.lang)
    generator.author(name=xml_text(settings.get("AUTHOR", "")), uri=model.absolute_url(""))
    generator.generator("Pelican + feedgen")
    generator.updated(updated)
    for entry in entries:
        item = generator.add_entry(order="append")
        item.guid(entry.id, permalink=False)
        item.title(entry.title)
        item.link(href=entry.url)
        item.published(entry.date)
        item.updated(entry.updated)
        item.summary(entry.summary)
        # RSS <description> is HTML: escape the plain-text summary once more.
        item.description(html.escape(entry.summary, quote=False))
        item.content(entry.content_html, type="html")
        for category in entry.categories:
            item.category(term=category)
    documents = {}
    for kind, serialise in (("atom", generator.atom_str), ("rss", generator.rss_str)):
        if kind not in spec.formats:
            continue
        # rel=self names the file itself, so it differs per format; feedgen takes
        # RSS's <link> from the last link given, which must be the HTML page.
        generator.link(href=model.absolute_url(spec.file(kind)), rel="self", type=FEED_TYPES[kind],
                       replace=True)
        generator.link(href=model.absolute_url(spec.html_path), rel="alternate", type="text/html")
        documents[kind] = finish(serialise(pretty=True), stylesheet_href(spec))
    return documents


def json_feed(model, spec: FeedSpec, entries: list[Entry]) -> bytes:
    document = {
        "version": JSON_FEED_VERSION,
        "title": xml_text(spec.title),
        "home_page_url": model.absolute_url(spec.html_path),
        "feed_url": model.absolute_url(spec.json),
        "description": xml_text(spec.description or spec.title),
        "language": spec.lang,
        "authors": [{"name": model.settings.get("AUTHOR", ""), "url": model.absolute_url("")}],
        "items": [{
            "id": entry.id,
            "url": entry.url,
            "title": entry.title,
            "content_html": entry.content_html,
            "summary": entry.summary,
            "date_published": entry.date.isoformat(),
            "date_modified": entry.updated.isoformat(),
            "tags": list(entry.categories),
        } for entry in entries],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def announce_feed(settings, spec: FeedSpec) -> None:
    """List a feed on its edition's /feeds/ page and in its OPML (call in generate_context)."""
    settings.setdefault("PORTAL_FEEDS", {})[spec.path] = spec


class WrittenFeeds:
    """The key of each news feed as last written, kept between builds (CACHE_CONTENT): a digest
    of its entries, its description, the plugins' and the theme's code and the settings.

    A feed whose key and files are as the last build left them is not made again: feedgen and
    lxml took ~0.8 s for the ~100 news feeds of a build, when an edit changes a few of them or none.
    """

    def __init__(self, settings):
        self.output = settings["OUTPUT_PATH"]
        self.path = kept_between_builds(settings, WRITTEN_FEEDS)
        # Without a cache no key is kept, and none is compared: not worth reading the theme and plugins for.
        self.build = (run_inputs_digest(settings) + ",".join(version(name) for name in ("feedgen", "lxml"))
                      if self.path else "")
        self.previous = self.load(self.path)
        if self.previous:  # a build stopped half-way leaves no record of feeds it may have rewritten
            os.remove(self.path)
        self.current: dict[str, str] = {}

    @staticmethod
    def load(path: str | None) -> dict[str, str]:
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, TypeError, ValueError):
            return {}

    @staticmethod
    def store(path: str, keys: dict[str, str]) -> None:
        write_whole(path, json.dumps(keys, sort_keys=True))

    def written(self, spec: FeedSpec, entries: list[Entry], fallback_updated: datetime | None) -> bool:
        """Whether the feed's files are there as these entries make them; the key is recorded either way."""
        key = self.current[spec.path] = digest(repr((self.build, spec, entries, fallback_updated)))
        return self.previous.get(spec.path) == key and all(
            os.path.isfile(os.path.join(self.output, *spec.file(kind).split("/"))) for kind in spec.formats)

    def save(self) -> None:
        if self.path:
            self.store(self.path, self.current)

    @classmethod
    def forget(cls, settings, specs: list[FeedSpec]) -> None:
        """Feeds written outside a build (plugins/quick_rebuild): the next build makes them again."""
        path = kept_between_builds(settings, WRITTEN_FEEDS)
        keys = cls.load(path)
        if keys:
            forgotten = {spec.path for spec in specs}
            cls.store(path, {name: key for name, key in keys.items() if name not in forgotten})


def write_feed(settings, spec: FeedSpec, entries, fallback_updated: datetime | None = None,
               written_feeds: WrittenFeeds | None = None) -> None:
    """Write one feed in each of its formats, unless `written_feeds` says it is written already.

    Entries are sorted newest first and capped at FEED_MAX_ITEMS. The feed's
    updated date is its newest entry's (fallback_updated, then a fixed date, when empty).
    """
    model = model_for(settings)
    announce_feed(settings, spec)
    # Sorted on what cleaning gives the date and id, then only the entries kept are cleaned:
    # the all-news feed of 10,000 items rewrites the links of 50, not 10,000.
    newest = sorted(entries, key=lambda e: (shanghai(e.date), xml_text(e.id)), reverse=True)
    newest = newest[: settings.get("FEED_MAX_ITEMS", 50)]
    if written_feeds and written_feeds.written(spec, newest, fallback_updated):
        return
    cleaned = [clean_entry(model, e) for e in newest]
    updated = max((e.updated for e in cleaned), default=None) or fallback_updated or EMPTY_SITE_UPDATED
    documents = atom_and_rss(model, spec, cleaned, shanghai(updated))
    if "json" in spec.formats:
        documents["json"] = json_feed(model, spec, cleaned)
    for kind, document in documents.items():
        write_bytes(settings, spec.file(kind), document)


def write_bytes(settings, site_path: str, data: bytes) -> None:
    path = os.path.join(settings["OUTPUT_PATH"], *site_path.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_if_changed(path, data)


# ---------------------------------------------------------------- OPML

def opml(model, specs: list[FeedSpec]) -> bytes:
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = model.gettext("{site} 订阅源").format(
        site=model.settings.get("SITENAME", ""))
    etree.SubElement(head, "ownerName").text = model.settings.get("AUTHOR", "")
    body = etree.SubElement(root, "body")
    groups = {}
    for spec in specs:
        if spec.group not in groups:
            groups[spec.group] = (etree.SubElement(body, "outline", text=spec.group, title=spec.group)
                                  if spec.group else body)
        etree.SubElement(
            groups[spec.group], "outline", type="rss", text=spec.title, title=spec.title,
            xmlUrl=model.absolute_url(spec.atom if "atom" in spec.formats else spec.rss),
            htmlUrl=model.absolute_url(spec.html_path), language=spec.lang,
        )
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def write_opml(pelican) -> None:
    settings = pelican.settings
    model = model_for(settings)
    editions = {}
    for spec in settings.get("PORTAL_FEEDS", {}).values():
        editions.setdefault(spec.edition, []).append(spec)
    for prefix, specs in editions.items():
        write_bytes(settings, f"{prefix}feeds/index.opml", opml(model, specs))
        remove_stale_feeds(settings, prefix, specs)


FEED_SUFFIXES = (".atom.xml", ".rss.xml", ".json")


def remove_stale_feeds(settings, prefix: str, specs: list[FeedSpec]) -> None:
    """Delete the feed files of `prefix`feeds/ that this build did not announce, and the folders
    left empty, as a clean build would not have them: a rebuild into the same output (the preview)
    keeps what it does not replace, and a field's feed for a province goes when its last item
    moves to another one. (plugins/editions converts feeds/ after every `finalized` receiver.)"""
    announced = {spec.file(kind) for spec in specs for kind in spec.formats}
    folder = os.path.join(settings["OUTPUT_PATH"], *f"{prefix}feeds".split("/"))
    for parent, _, files in os.walk(folder, topdown=False):  # a folder's own folders first
        for name in files:
            path = os.path.join(parent, name)
            site_path = os.path.relpath(path, settings["OUTPUT_PATH"]).replace(os.sep, "/")
            feed = site_path.removesuffix(".gz").removesuffix(".br")  # and its precompressed copies
            if feed.endswith(FEED_SUFFIXES) and feed not in announced:
                remove_file(path)
        if parent != folder and not os.listdir(parent):  # no build writes an empty folder
            os.rmdir(parent)


# ---------------------------------------------------------------- the generator

def write_news_feeds(settings, edition: Edition, items,
                     feeds: list[tuple[FeedSpec, list]]) -> list[tuple[FeedSpec, list]]:
    """Write every news feed of one edition (`news_feeds` of its published items); return each
    feed with the items it shows, its newest."""
    model = model_for(settings)
    # In the order write_feed sorts entries, so each feed's newest come first and only
    # those become entries (content with absolute links), once per item for all its feeds.
    ordered = sorted(items, key=lambda item: (shanghai(item.date), xml_text(news_entry_id(model, edition, item))),
                     reverse=True)
    position = {id(item): index for index, item in enumerate(ordered)}
    shown = [(spec, sorted(own, key=lambda item: position[id(item)])[: settings.get("FEED_MAX_ITEMS", 50)])
             for spec, own in feeds]
    written_feeds = WrittenFeeds(settings)
    write_shown_feeds(settings, edition, shown, newest=max((item.date for item in items), default=None),
                      written_feeds=written_feeds)
    written_feeds.save()
    return shown


def write_shown_feeds(settings, edition: Edition, shown: list[tuple[FeedSpec, list]], newest=None,
                      written_feeds: WrittenFeeds | None = None) -> None:
    """Each feed with the items it shows; `newest`, the edition's newest date, dates a feed that shows none."""
    model = model_for(settings)
    entries = {}
    for spec, kept in shown:
        for item in kept:
            if id(item) not in entries:
                entries[id(item)] = news_entry(model, edition, item)
        write_feed(settings, spec, [entries[id(item)] for item in kept], fallback_updated=newest,
                   written_feeds=written_feeds)


@dataclass
class FeedsPage:
    """What /feeds/ lists: all news, each field with its pairs, each province, other feeds."""

    all: FeedSpec
    fields: list[tuple[FeedSpec, list[FeedSpec]]]
    provinces: list[FeedSpec]
    others: dict[str, list[FeedSpec]]
    opml: str
    words: dict  # the edition's headings


def feeds_page(model, edition: Edition, feeds: list[tuple[FeedSpec, list]]) -> FeedsPage:
    by_group = {}
    for spec, _ in feeds:
        by_group.setdefault(spec.group, []).append(spec)
    words = edition.labels
    pairs = by_group.get(words["group.pair"], [])
    fields = [(spec, [pair for pair in pairs if pair.path.startswith(spec.path + "/")])
              for spec in by_group[words["group.field"]]]
    news_paths = {spec.path for spec, _ in feeds}
    others = {}
    for spec in model.settings.get("PORTAL_FEEDS", {}).values():
        if spec.edition == edition.prefix and spec.path not in news_paths:
            others.setdefault(spec.group, []).append(spec)
    return FeedsPage(by_group[words["group.all"]][0], fields, by_group[words["group.province"]],
                     others, f"{edition.prefix}feeds/index.opml", words)


class FeedsGenerator(Generator):
    """Collects the root edition's news feeds in generate_context, writes them and /feeds/ in generate_output."""

    def generate_context(self):
        model = model_for(self.settings)
        self.edition = run_edition(model)
        self.items = [a for a in self.context.get("articles", []) if a.lang == self.edition.lang]
        self.feeds = news_feeds(model, self.edition, self.items)
        self.shown = []  # each feed with the items it shows, once written
        for spec, _ in self.feeds:
            announce_feed(self.settings, spec)

    def generate_output(self, writer):
        model = model_for(self.settings)
        self.shown = write_news_feeds(self.settings, self.edition, self.items, self.feeds)
        url = f"{self.edition.prefix}feeds/"
        writer.write_file(
            f"{url}index.html", self.get_template("feeds"), self.context,
            relative_urls=self.settings["RELATIVE_URLS"], template_name="feeds", url=url,
            feeds_page=feeds_page(model, self.edition, self.feeds),
        )
        # Rendered in every run, so the browser view of a feed speaks the feed's edition.
        writer.write_file(self.edition.prefix + FEED_STYLESHEET, self.get_template("feed_xsl"), self.context,
                          template_name="feed_xsl", month_names=MONTHS_EN)


def rewrite_feeds_of(item, generators) -> None:
    """After a quick rebuild's edit of `item`'s text (plugins/quick_rebuild): the feeds that show it.

    Its date and entry id are as they were (else no quick rebuild), so every feed shows the items
    it showed: a feed whose newest items do not include it is left as it is, and the site's items
    are not sorted again (0.5 s at 20,000).
    """
    for generator in generators:
        if isinstance(generator, FeedsGenerator):
            showing = [(spec, kept) for spec, kept in generator.shown if item in kept]
            WrittenFeeds.forget(generator.settings, [spec for spec, _ in showing])
            write_shown_feeds(generator.settings, generator.edition, showing)


# ---------------------------------------------------------------- wiring

def enabled(pelican) -> bool:
    # Signal receivers stay connected for the whole process; act only in builds that load this plugin.
    return __name__ in pelican.settings.get("PLUGINS", ())


def check_settings(pelican) -> None:
    """Settings problems go into the build's one report."""
    if not enabled(pelican):
        return
    settings = pelican.settings
    model = model_for(settings)
    announced = settings["PORTAL_FEEDS"] = {}  # a fresh list of feeds per build
    settings.setdefault("JINJA_GLOBALS", {}).update(
        feeds_for=lambda thing=None, edition=None: feeds_for(model, thing, edition),
        # Another plugin's feed as announced (announce_feed): its pages' links then carry the feed's own
        # title. The list itself, not the settings: the incremental writer's key of the settings takes
        # in what a global refers to, and the settings hold every item's source (0.3 s at 10,000 items).
        announced_feed=announced.__getitem__,
    )
    limit = settings.get("FEED_MAX_ITEMS", 50)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        model.problem("pelicanconf.py", f"FEED_MAX_ITEMS = {limit!r} 不对 — 应是正整数，如 50"
                                        " (FEED_MAX_ITEMS must be a positive integer)")
    authority = settings.get("FEED_ID_AUTHORITY", "")
    if not TAG_AUTHORITY.match(str(authority)):
        model.problem("pelicanconf.py", f"FEED_ID_AUTHORITY = {authority!r} 不对 — 应是“域名,年份”，"
                                        "如 \"csj.example,2018\"；设定后不要再改，否则订阅者会重复收到旧消息"
                                        " (FEED_ID_AUTHORITY must be 'domain,year')")
    for name in PELICAN_FEED_SETTINGS:
        if settings.get(name):
            model.problem("pelicanconf.py", f"{name} 应为 None — 订阅源由 plugins/feeds 统一生成，"
                                            "Pelican 自带的订阅会重复写出 (Pelican's own feeds must stay off)")


def get_generators(pelican):
    return FeedsGenerator if enabled(pelican) else []


def register():
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
    signals.finalized.connect(write_opml)
    ITEM_EDITED_IN_PLACE.connect(rewrite_feeds_of)
