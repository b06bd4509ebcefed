import hashlib

import pytest

from fingerprint import fingerprinted_name
from sitebuild import ROOT, build_site, soup

ITEM = {"news/a.md": "Title: 公开\nDate: 2019-01-03 09:00\nFields: culture\nSlug: public\n\n正文。\n"}


def test_name_carries_the_content_hash():
    digest = hashlib.sha256(b"body{}").hexdigest()[:10]
    assert fingerprinted_name("css/portal.css", b"body{}") == f"css/portal.{digest}.css"
    assert fingerprinted_name("css/portal.css", b"body{}") != fingerprinted_name("css/portal.css", b"p{}")


def test_pages_link_hashed_copies_identical_to_the_theme_files(tmp_path):
    output = build_site(ITEM, tmp_path, SITEURL="https://www.csj.example")
    page = soup(output, "news/2019/public/")
    stylesheet = page.find("link", rel="stylesheet")["href"]
    script = page.find("script", src=True)["src"]
    for url, source in ((stylesheet, "css/portal.css"), (script, "js/portal.js")):
        assert url.startswith("https://www.csj.example/static/")
        copy = output / url.removeprefix("https://www.csj.example/")
        original = (ROOT / "theme" / "static" / source).read_bytes()
        assert copy.read_bytes() == original
        assert copy.name == fingerprinted_name(source, original).split("/")[-1]


def test_an_edition_below_the_site_links_the_one_copy_by_its_own_address(tmp_path):
    output = build_site(ITEM, tmp_path, SITEURL="https://www.csj.example/portal")
    for page in ("", "en/"):
        stylesheet = soup(output, page).find("link", rel="stylesheet")["href"]
        assert stylesheet.startswith("https://www.csj.example/portal/static/css/portal.")
        assert (output / stylesheet.removeprefix("https://www.csj.example/portal/")).is_file()


def test_a_changed_stylesheet_gets_a_new_name(tmp_path):
    theme = tmp_path / "theme"
    import shutil

    shutil.copytree(ROOT / "theme", theme)
    first = soup(build_site(ITEM, tmp_path / "one", THEME=str(theme)), "").find("link", rel="stylesheet")["href"]
    with open(theme / "static" / "css" / "portal.css", "a", encoding="utf-8") as handle:
        handle.write("\n/* changed */\n")
    second = soup(build_site(ITEM, tmp_path / "two", THEME=str(theme)), "").find("link", rel="stylesheet")["href"]
    assert first != second


def test_a_missing_theme_file_names_what_was_searched(tmp_path):
    from fingerprint import theme_file

    settings = {"THEME": str(ROOT / "theme"), "THEME_STATIC_PATHS": ["static"]}
    with pytest.raises(FileNotFoundError, match="css/missing.css"):
        theme_file(settings, "css/missing.css")
