import xml.etree.ElementTree as ET

from sitebuild import build_site

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_sitemap_lists_published_pages_with_content_dates_and_robots_points_to_it(tmp_path):
    output = build_site({
        "news/a.md": "Title: 公开\nDate: 2019-01-03 09:00\nFields: culture\nSlug: public\n\n正文。\n",
        "news/b.md": "Title: 草稿\nDate: 2019-01-04\nFields: culture\nSlug: secret\nStatus: draft\n\n正文。\n",
        "pages/about.md": "Title: 关于\nSlug: about\n\n关于。\n",
    }, tmp_path, SITEURL="https://www.csj.example")
    root = ET.parse(output / "sitemap.xml").getroot()
    entries = {u.findtext("s:loc", namespaces=NS): u.findtext("s:lastmod", namespaces=NS)
               for u in root.findall("s:url", NS)}
    assert entries["https://www.csj.example/news/2019/public/"] == "2019-01-03T09:00:00+08:00"
    assert "https://www.csj.example/about/" in entries
    assert "https://www.csj.example/fields/culture/" in entries
    assert not any("secret" in url or "404" in url for url in entries)
    robots = (output / "robots.txt").read_text()
    assert "Sitemap: https://www.csj.example/sitemap.xml" in robots
