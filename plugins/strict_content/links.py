"""Links between content files: `{filename}` and `{static}` links in items and pages, and the
page paths of news items (for links given as site paths, such as the timelines').

Pelican replaces `{filename}/news/x.md` by the item's URL and `{static}/images/x.jpg` by the
file's, but when the file does not exist it only logs a warning in English and publishes the
link as written, `{filename}/news/x.md`. The check finds the links in each file's text (kept in
the file's record, so that a link to a file removed since is still found in an unchanged item),
then, knowing every content file, reports each link whose file is not there.
"""

from __future__ import annotations

import difflib
import html
import os
import re
from urllib.parse import unquote, urlsplit

from portal_model import made_by_the_system, page_path

# Pelican's INTRASITE_LINK_REGEX (`{what}` or `|what|`), for the kinds that name a content file.
# Pelican looks for it in the HTML's href/src; in the Markdown it ends where a link's target does,
# in raw HTML at the attribute's quote (a file name may have spaces there).
INTRASITE_LINK = re.compile(r"""(?P<quote>["'])?[{|](?P<what>filename|static|attach)[|}]"""
                            r"""(?P<value>(?(quote)[^"'<>]*|[^\s"'<>()\[\]]*))""")
ARTICLE_LINK = "filename"  # to an item or page; `static` and `attach` name any other file


def find_links(text: str) -> tuple[tuple[int, str, str], ...]:
    """(line, what, value) of every `{filename}`, `{static}` and `{attach}` link in a file's text."""
    if not INTRASITE_LINK.search(text):
        return ()
    return tuple((number, match["what"], match["value"])
                 for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1)
                 for match in INTRASITE_LINK.finditer(line))


def linked_paths(root: str, source_path: str, value: str) -> list[str]:
    """The files a link may name, absolute, as Pelican tries them: as written, unquoted (%20), then
    with HTML entities undone; `/x` is in the content folder, `x` beside the linking file."""
    paths = []
    for written in (value, unquote(value), html.unescape(value)):
        path = urlsplit(written).path
        folder = root if path.startswith("/") else os.path.dirname(os.path.abspath(source_path))
        paths.append(os.path.normpath(os.path.join(folder, path.lstrip("/"))))
    return paths


def check_links(model, sources) -> None:
    """A problem for each link of `sources` whose file is not in the content folder."""
    files = ContentFiles(model.settings, sources)
    for source in sources:
        for line, what, value in source.links:
            message = files.problem_with(model, source, what, value)
            if message:
                model.problem(source.path, message, line)


class ContentFiles:
    """The files a link may name: the checked items and pages (by their language), and the rest of
    the content folder; the static files are listed only to suggest one for a broken link."""

    def __init__(self, settings, sources):
        self.settings = settings
        self.root = os.path.abspath(settings["PATH"])
        self.documents = {os.path.abspath(source.path): source.lang for source in sources}
        self.static_folders = tuple(os.path.join(self.root, folder) + os.sep
                                    for folder in settings.get("STATIC_PATHS", ()))
        self._static = None

    def has(self, what: str, path: str, lang: str) -> bool:
        if what == ARTICLE_LINK:  # an item or page, or a static file Pelican takes for one (with a warning)
            return self.documents.get(path) == lang or (path.startswith(self.static_folders) and os.path.isfile(path))
        # Pelican copies any file of the content folder named by {static}, but an item or page
        return path.startswith(self.root + os.sep) and os.path.isfile(path) and path not in self.documents

    def problem_with(self, model, source, what: str, value: str) -> str | None:
        """What is wrong with one link of `source`, for the editor; None if Pelican will find its file."""
        paths = linked_paths(self.root, source.path, value)
        if any(self.has(what, path, source.lang) for path in paths):
            return None
        written, wanted = f"{{{what}}}{value}", self.relative(paths[0])
        other_lang = next((self.documents[path] for path in paths if path in self.documents), None)
        if what == ARTICLE_LINK and other_lang:
            # Each language is a build of its own (plugins/editions): the other's items are not in it.
            return (f"链接 “{written}” 指向的是另一种语言(Lang: {other_lang})的文章，各语言版本分开发布，"
                    "这样链接不到 — 请链接同一语言的文章，或写出那篇文章在网站上的网址 (link to another language)")
        folder = model.relative(self.root)
        meant = closest(wanted, self.candidates(what))
        meant = f"是否应为 {{{what}}}/{meant}？" if meant else ""
        if what == ARTICLE_LINK:
            return (f"链接 “{written}” 指向的文章 {wanted} 不存在 — {meant}请写成已有文件相对 {folder}/ 的路径，"
                    f"如 {{filename}}/news/2019/文件名.md (broken link)")
        static = (self.settings.get("STATIC_PATHS") or ["images"])[0]
        return (f"图片或附件 “{written}” 指向的文件 {wanted} 不存在 — {meant}请把文件放进 {folder}/{static}/,"
                f"并写成它相对 {folder}/ 的路径，如 {{static}}/{static}/图片.jpg (missing file)")

    def candidates(self, what: str) -> list[str]:
        if what == ARTICLE_LINK:
            return sorted(self.relative(path) for path in self.documents)
        if self._static is None:
            self._static = sorted(self.relative(os.path.join(folder, name))
                                  for top in self.static_folders
                                  for folder, _, names in os.walk(top)
                                  for name in names if not made_by_the_system(name))
        return self._static

    def relative(self, path: str) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")


def closest(wanted: str, known) -> str | None:
    """The one of `known` most like `wanted` (a typo's likely meaning), or None."""
    close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.8)  # lower, it guessed unrelated names
    return close[0] if close else None


# ---------------------------------------------------------------- page paths of items

def item_page_paths(settings) -> set[str] | None:
    """The page path of every news item the check found, None before the check. Every language's:
    an edition's run (plugins/editions) sees the same site paths, below its own folder."""
    sources = settings.get("PORTAL_SOURCES")
    if sources is None:
        return None
    paths = set()
    for source in sources.values():
        if source.kind == "article":
            try:
                paths.add(page_path(settings, source))
            except (ValueError, TypeError):  # no date, or one that does not exist: reported by the check
                pass
    return paths


def missing_item(settings, link: str, item_paths: set[str]) -> bool:
    """Whether a site path (`/news/2019/x/`, `news/2019/x`) has the form of ARTICLE_URL, where only
    an item can be, and no item of `item_paths` is there."""
    path = page_of(link)
    shape = "".join("[^/]+" if part.startswith("{") else re.escape(part)
                    for part in re.split(r"(\{[^}]*\})", settings["ARTICLE_URL"]) if part)
    return re.fullmatch(shape, path) is not None and path not in item_paths


def page_of(link: str) -> str:
    """The page path a site path leads to: `news/2019/x/` for `/news/2019/x`, `…/x/index.html#a`."""
    path = urlsplit(link).path.lstrip("/").removesuffix("index.html")
    last = path.rsplit("/", 1)[-1]
    return path if not last or "." in last else f"{path}/"  # the server adds the slash of a folder
