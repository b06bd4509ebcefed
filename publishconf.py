"""Production settings: the development settings plus the public address."""

import os
import sys

# pelicanconf.py beside this file, whatever folder the build is started from.
sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *  # noqa: E402,F403

# The public address; PORTAL_SITEURL overrides it for a staging server.
SITEURL = os.environ.get("PORTAL_SITEURL", "https://www.csj.example")
FEED_DOMAIN = SITEURL
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True

# Where `invoke publish` sends the site (rsync destination: host:path, or a local folder).
# PORTAL_PUBLISH_TARGET overrides it, `invoke publish --target` overrides both.
PUBLISH_TARGET = os.environ.get("PORTAL_PUBLISH_TARGET", "deploy@www.csj.example:/srv/www/csj/")

# Fingerprinted assets (plugins/fingerprint) are written before this runs: it compresses
# every text file once all other plugins have finished (pelican-granular-signals "compress").
PLUGINS = [*PLUGINS, "pelican.plugins.precompress"]  # noqa: F405
# .gz and .br beside each text file for nginx's gzip_static / brotli_static. Only gzip and
# brotli: both deterministic (zlib writes mtime 0 in the gzip header), both served by nginx.
PRECOMPRESS_GZIP = True
PRECOMPRESS_BROTLI = True
PRECOMPRESS_ZOPFLI = False
PRECOMPRESS_ZSTANDARD = False
PRECOMPRESS_OVERWRITE = True
PRECOMPRESS_MIN_SIZE = 20
PRECOMPRESS_TEXT_EXTENSIONS = {
    ".atom", ".css", ".csv", ".html", ".js", ".json", ".mjs", ".opml", ".rss",
    ".svg", ".txt", ".webmanifest", ".xml", ".xsl",
}
