"""`/sitemap.xml` and `/robots.txt` for every public page the build wrote.

Written by hand rather than with pelican-sitemap because that plugin only
knows Pelican's own page kinds, not the portal's field, province, timeline and
dashboard pages. Pages are collected as they are written, so a page that is
not written (a draft, a future item) can never be listed.
"""

from __future__ import annotations

import os
from xml.sax.saxutils import escape

from pelican import signals

from portal_model import SHANGHAI, model_for, write_if_changed

NOT_LISTED = {"404.html"}


def remember_page(path, context):
    settings = context.get("PORTAL") and context["PORTAL"].settings
    if settings is None or not path.endswith(".html"):
        return
    output = settings["OUTPUT_PATH"].rstrip(os.sep) + os.sep
    # The writer joins every page's path to OUTPUT_PATH; relpath would normalise both for each page.
    relative = path[len(output):] if path.startswith(output) else os.path.relpath(path, output)
    relative = relative.replace(os.sep, "/")
    if relative in NOT_LISTED:
        return
    item = context.get("article") or context.get("page")
    stamp = getattr(item, "modified", None) or getattr(item, "date", None)
    settings.setdefault("PORTAL_WRITTEN_PAGES", {})[relative] = stamp


def page_url(relative: str) -> str:
    return relative[: -len("index.html")] if relative.endswith("index.html") else relative


def write_sitemap(pelican):
    settings = pelican.settings
    model = model_for(settings)
    pages = settings.pop("PORTAL_WRITTEN_PAGES", {})
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for relative in sorted(pages, key=page_url):
        lines.append(f"<url><loc>{escape(model.absolute_url(page_url(relative)))}</loc>")
        if pages[relative]:
            lastmod = pages[relative].astimezone(SHANGHAI).isoformat(timespec="seconds")
            lines.append(f"<lastmod>{lastmod}</lastmod>")
        lines.append("</url>")
    lines.append("</urlset>\n")
    output = settings["OUTPUT_PATH"]
    write_if_changed(os.path.join(output, "sitemap.xml"), "\n".join(lines).encode("utf-8"))
    # Crawlers read the site's /robots.txt only: it names the sitemaps of parts built by other
    # runs too (PORTAL_OTHER_SITEMAPS: plugins/editions), so that it is written once, unchanged.
    sitemaps = [model.absolute_url("sitemap.xml"), *settings.get("PORTAL_OTHER_SITEMAPS", ())]
    write_if_changed(os.path.join(output, "robots.txt"),
                     ("User-agent: *\nAllow: /\n\n" + "".join(f"Sitemap: {url}\n" for url in sitemaps)).encode("utf-8"))


def register():
    signals.content_written.connect(remember_page)
    signals.finalized.connect(write_sitemap)
