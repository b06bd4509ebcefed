"""The interface-text catalogue: gettext messages in theme/translations/, managed with Babel.

Source strings are Chinese (the root edition's language); `en/LC_MESSAGES/messages.po`
holds their English. The .po file is compiled in memory when a build starts, so
there is no compiled .mo file to keep in step with it.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages import mofile, pofile
from babel.messages.extract import extract_from_dir
from babel.messages.catalog import Catalog
from babel.support import NullTranslations, Translations

DOMAIN = "messages"
# Where interface text is written: the theme's templates and the plugins' Python code.
METHOD_MAP = [
    ("theme/templates/**.html", "jinja2.ext:babel_extract"),
    ("plugins/*/test_*.py", "ignore"),
    ("plugins/**.py", "python"),
]
OPTIONS_MAP = {"theme/templates/**.html": {
    "extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}}
# `model.gettext("…")` and `N_("…")` (marked, translated later) in plugins, `_("…")` / {% trans %}
# in templates.
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def catalogue_folder(theme: str | Path) -> Path:
    return Path(theme) / "translations"


def po_path(theme: str | Path, lang: str) -> Path:
    return catalogue_folder(theme) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def translations_for(theme: str | Path, lang: str, source_lang: str = "zh") -> NullTranslations:
    """The translations of the interface into `lang`; none for the source language."""
    path = po_path(theme, lang)
    if lang == source_lang or not path.exists():
        return NullTranslations()
    return compiled(str(path), path.stat().st_mtime_ns)


@functools.cache
def compiled(path: str, _mtime: int) -> Translations:
    with open(path, "rb") as handle:
        catalog = pofile.read_po(handle)
    buffer = io.BytesIO()
    mofile.write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def extract(root: str | Path) -> Catalog:
    """Every interface string of the templates and plugins, with where it is used."""
    template = Catalog(project="csj-portal", locale="zh", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), METHOD_MAP, OPTIONS_MAP, KEYWORDS, strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def untranslated(catalog: Catalog, template: Catalog) -> list[str]:
    """Messages of the template that have no (or only a fuzzy) translation."""
    missing = []
    for message in template:
        if not message.id:
            continue
        known = catalog.get(message.id, context=message.context)
        if known is None or not known.string or known.fuzzy:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def update(root: str | Path, theme: str | Path, lang: str = "en") -> list[str]:
    """Write messages.pot, merge it into the language's .po; return what still needs translating."""
    template = extract(root)
    folder = catalogue_folder(theme)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{DOMAIN}.pot", "wb") as handle:
        pofile.write_po(handle, template, omit_header=True, sort_output=True, width=100)
    path = po_path(theme, lang)
    if path.exists():
        with open(path, "rb") as handle:
            catalog = pofile.read_po(handle, locale=lang)
    else:
        catalog = Catalog(locale=lang)
        path.parent.mkdir(parents=True, exist_ok=True)
    catalog.update(template, no_fuzzy_matching=True)
    with open(path, "wb") as handle:
        pofile.write_po(handle, catalog, omit_header=True, sort_output=True, width=100,
                        ignore_obsolete=True)
    return untranslated(catalog, template)
