"""The Traditional Chinese edition: the finished zh-Hans output, converted with OpenCC.

Every text file of the root edition is converted and written to the same path
under `zh-hant/`. OpenCC changes Chinese characters only, so markup, URLs, slugs
and ids come through untouched; then the site's own links are moved into
`zh-hant/` (see `LinkRewriter`). Theme assets, content images, the other
editions and everything that is not converted stay shared at their own URLs.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import shutil
from dataclasses import dataclass

import opencc

# Standard Traditional characters, no regional vocabulary: see README.md.
CONVERSION = "s2t"
TEXT_SUFFIXES = (".html", ".xml", ".json", ".opml", ".csv", ".txt", ".xsl")
# Language tags of the root edition in markup, feeds and data, and their Traditional form.
# Open Graph knows no script-only locale; zh_TW is its usual Traditional one.
LANGUAGE_TAGS = {"zh-CN": "zh-Hant", "zh_CN": "zh_TW"}
LANGUAGE_TAG = re.compile(r"\b(?:zh-CN|zh_CN)\b")
# Links of the edition switcher and the hreflang alternates name their edition: never moved.
HREFLANG_TAG = re.compile(r"<(?:a|link)\b[^<>]*\shreflang=\"[^\"]*\"[^<>]*>")
# URL attributes in HTML and XML (also <?xml-stylesheet href="…"?>).
URL_ATTRIBUTE = re.compile(r"(\s(?:href|src|action|poster|data-[a-z-]+)=\")([^\"]*)(\")")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


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
        path = site_path.split("#", 1)[0].split("?", 1)[0]
        if path.split("/", 1)[0] in self.shared:
            return True
        last = path.rsplit("/", 1)[-1]
        return "." in last and not last.endswith(TEXT_SUFFIXES)

    def site_path(self, site_path: str) -> str:
        return site_path if self.is_shared(site_path) else self.prefix + site_path

    def attribute_url(self, url: str, page_folder: str) -> str:
        """A root-relative or relative URL of an attribute (absolute ones are done with the text)."""
        if url.startswith("//") or SCHEME.match(url) or url.startswith(("#", "?")) or not url:
            return url
        if url.startswith("/"):
            root = self.root_path + "/"
            if not url.startswith(root):
                return url
            return root + self.site_path(url[len(root):])
        # Relative: the page moved one folder down, so a shared target is one more level up.
        target = posixpath.normpath(posixpath.join(page_folder, url))
        if target.startswith("..") or not self.is_shared(target):
            return url
        return "../" * self.prefix.count("/") + url

    def rewrite(self, text: str, page_folder: str) -> str:
        """Links, absolute URLs and feed ids of one converted file, outside hreflang links."""
        absolute = re.compile(re.escape(self.absolute_base) + r"([^\s\"'<>()]*)")
        ids = re.compile(re.escape(self.tag_prefix) + r"(?=[a-z0-9])") if self.tag_prefix else None

        def part(segment: str) -> str:
            segment = URL_ATTRIBUTE.sub(
                lambda m: m[1] + self.attribute_url(m[2], page_folder) + m[3], segment)
            # Absolute URLs anywhere: attributes, text, JSON, feed elements.
            segment = absolute.sub(lambda m: self.absolute_base + self.site_path(m[1]), segment)
            if ids:
                segment = ids.sub(self.tag_prefix + self.prefix, segment)
            return LANGUAGE_TAG.sub(lambda m: LANGUAGE_TAGS[m[0]], segment)

        pieces, position = [], 0
        for tag in HREFLANG_TAG.finditer(text):
            pieces.append(part(text[position:tag.start()]))
            pieces.append(current_edition_marked(tag[0]))
            position = tag.end()
        pieces.append(part(text[position:]))
        return "".join(pieces)


CURRENT = ' aria-current="page"'


def current_edition_marked(tag: str) -> str:
    """The switcher marks the page's own edition: the Traditional link now, not the simplified."""
    if 'hreflang="zh-Hans"' in tag:
        return tag.replace(CURRENT, "")
    if 'hreflang="zh-Hant"' in tag and tag.startswith("<a") and CURRENT not in tag:
        return tag[:-1] + CURRENT + ">"
    return tag


def source_files(output: str, skipped: set[str]):
    """Every text file of the root edition, as (absolute path, site path)."""
    for folder, dirnames, filenames in os.walk(output):
        relative_folder = os.path.relpath(folder, output)
        if relative_folder == ".":
            dirnames[:] = [d for d in dirnames if d not in skipped]
        for name in filenames:
            if name.endswith(TEXT_SUFFIXES):
                path = os.path.join(folder, name)
                yield path, os.path.relpath(path, output).replace(os.sep, "/")


class ConvertedFiles:
    """Converted files kept by a digest of everything the conversion depends on.

    An edit changes a handful of the root edition's files; the others are copied
    from the cache instead of going through OpenCC again. Entries not used by a run
    are removed at its end, so the cache holds one site's worth.
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
        self.used: set[str] = set()

    def path(self, source: bytes, site_path: str) -> str:
        name = hashlib.blake2b(b"\0".join((self.salt, site_path.encode(), source))).hexdigest()
        self.used.add(name)
        return os.path.join(self.folder, name)

    def prune(self) -> None:
        for name in set(os.listdir(self.folder)) - self.used:
            os.remove(os.path.join(self.folder, name))


def write_traditional(output: str, rewriter: LinkRewriter, skipped: set[str], cache_folder: str | None = None) -> int:
    """Convert the root edition under `output` into output/<prefix>; return the number of files.

    With `cache_folder`, files converted by an earlier run from the same bytes are copied from there.
    """
    converter = opencc.OpenCC(CONVERSION)
    cache = ConvertedFiles(cache_folder, rewriter) if cache_folder else None
    target_root = os.path.join(output, rewriter.prefix)
    shutil.rmtree(target_root, ignore_errors=True)  # no stale pages of removed items
    count = 0
    for path, site_path in list(source_files(output, skipped | {rewriter.prefix.rstrip("/")})):
        destination = os.path.join(target_root, *site_path.split("/"))
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        with open(path, "rb") as handle:
            source = handle.read()
        cached = cache.path(source, site_path) if cache else None
        if cached and os.path.exists(cached):
            shutil.copyfile(cached, destination)
        else:
            text = source.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads
            text = rewriter.rewrite(converter.convert(text), posixpath.dirname(site_path))
            with open(destination, "w", encoding="utf-8") as handle:
                handle.write(text)
            if cached:
                shutil.copyfile(destination, cached)
        count += 1
    if cache:
        cache.prune()
    return count
