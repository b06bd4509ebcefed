"""Content-hashed names for the theme's CSS and JS, so a server can cache them for a year.

Templates write `{{ SITEURL }}/{{ 'css/portal.css'|asset }}`: the filter reads the
file from the theme's static folders, writes a copy named `portal.<hash>.css`
beside Pelican's own copy in the output, and returns that copy's URL path. A
changed file gets a new name, so a browser never keeps a stale stylesheet.

Written for the portal because pelican-webassets needs a version manifest kept
on disk outside the site and `{% assets %}` blocks in every template.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urljoin

from jinja2 import pass_context
from pelican import signals

from portal_model import copy_whole

HASH_LENGTH = 10


def fingerprinted_name(name: str, data: bytes) -> str:
    """`css/portal.css` -> `css/portal.<first HASH_LENGTH hex digits of its SHA-256>.css`."""
    stem, extension = os.path.splitext(name)
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:HASH_LENGTH]}{extension}"


def theme_file(settings, name: str) -> Path:
    """The source of a theme static file, searched like Pelican does (THEME_STATIC_PATHS in order)."""
    for folder in settings["THEME_STATIC_PATHS"]:
        candidate = Path(settings["THEME"], folder, name)
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(Path(settings["THEME"], folder)) for folder in settings["THEME_STATIC_PATHS"])
    raise FileNotFoundError(f"asset filter: no {name!r} in the theme's static folders ({searched})")


def asset_filter(settings):
    written: dict[str, str] = {}

    # pass_context only so that Jinja calls the filter when rendering: with a constant argument
    # it would otherwise run it while compiling and keep the result in the (maybe cached) code.
    @pass_context
    def asset(_context, name: str) -> str:
        if name not in written:
            url_path = write_copy(settings, name, theme_file(settings, name))
            # The page's address, resolved: the English run's static folder is "../static",
            # and "/en/../static/…" works but is not the address of the file.
            written[name] = urljoin(f"{settings['SITEURL']}/", url_path)
        return written[name]

    return asset


def write_copy(settings, name: str, source: Path) -> str:
    """Write the hashed copy of the theme file `name` (unless it is there); its path in the output."""
    url_path = "/".join(filter(None, [settings["THEME_STATIC_DIR"], fingerprinted_name(name, source.read_bytes())]))
    destination = Path(settings["OUTPUT_PATH"], url_path)
    if not destination.exists():  # the name is its content's: one there is this file
        destination.parent.mkdir(parents=True, exist_ok=True)
        copy_whole(source, destination)
    return url_path


def write_every_copy(pelican):
    """A hashed copy of every theme file, whether or not a page was rendered in this build: pages
    that plugins/incremental_writer put back unrendered (an emptied output) link theirs too."""
    settings = pelican.settings
    for folder in settings["THEME_STATIC_PATHS"]:
        root = Path(settings["THEME"], folder)
        for source in sorted(root.rglob("*")):
            if source.is_file():
                write_copy(settings, source.relative_to(root).as_posix(), source)


def add_filter(generator):
    # One filter per generator: every generator (plugins' own too) renders with its own Jinja env.
    generator.env.filters["asset"] = asset_filter(generator.settings)


def register():
    signals.generator_init.connect(add_filter)
    signals.finalized.connect(write_every_copy)
