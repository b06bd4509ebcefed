"""Production settings: the development settings plus the public address."""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: E402,F403

# The public address; PORTAL_SITEURL overrides it for a staging server.
SITEURL = os.environ.get("PORTAL_SITEURL", "https://www.csj.example")
FEED_DOMAIN = SITEURL
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True
