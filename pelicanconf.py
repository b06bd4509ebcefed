"""Settings of the 中国长三角 portal and its registries (fields, provinces).

Data only: the meaning of these registries lives in plugins/portal_model.
"""

SITENAME = "中国长三角"
SITENAME_EN = "China Yangtze River Delta"
SITE_DESCRIPTION = "长三角区域合作办公室主办：沪苏浙皖一体化进展、各领域时间线与三年行动计划进展公开。"
SITEURL = ""
# Absolute base for feeds, sitemap and canonical links while SITEURL is relative (development).
FEED_DOMAIN = "http://localhost:8000"
AUTHOR = "长三角区域合作办公室"
SPONSOR = "长三角区域合作办公室"
CONTACT_EMAIL = "office@csj.example"
CONTACT_ADDRESS = "上海市徐汇区"
# Filing numbers required of sites in mainland China; shown in the footer when set.
ICP_NUMBER = ""
PUBLIC_SECURITY_NUMBER = ""
SITE_ID_CODE = ""

PATH = "content"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
DEFAULT_DATE_FORMAT = "%Y年%-m月%-d日"

# The field registry: ordered; adding a field is one entry here.
FIELDS = [
    {"key": "culture", "zh": "文化", "en": "Culture",
     "description": "公共文化服务、文旅合作与文化遗产保护的区域协同。",
     "description_en": "Public cultural services, cultural tourism and heritage protection across the region."},
    {"key": "education", "zh": "教育", "en": "Education",
     "description": "高校联盟、师资交流与优质教育资源共享。",
     "description_en": "University alliances, teacher exchanges and shared access to good schools."},
    {"key": "innovation", "zh": "科创", "en": "Innovation",
     "description": "G60科创走廊、科技资源共享与产业协同创新。",
     "description_en": "The G60 Science and Innovation Corridor, shared research resources and joint innovation."},
    {"key": "transport", "zh": "交通", "en": "Transport",
     "description": "城际轨道、省际断头路与交通一卡通等互联互通。",
     "description_en": "Intercity rail, closing road gaps between provinces and one transport card."},
    {"key": "ecology", "zh": "生态环境", "en": "Ecology and Environment",
     "description": "太湖流域等跨界水体治理与大气污染联防联控。",
     "description_en": "Joint care of shared waters such as Lake Tai and joint control of air pollution."},
    {"key": "credit", "zh": "信用", "en": "Credit",
     "description": "信用信息共享与跨区域联合奖惩。",
     "description_en": "Shared credit information and joint rewards and penalties across the region."},
    {"key": "livelihood", "zh": "民生", "en": "Public Services",
     "description": "异地就医结算、养老与社保等便民服务的互通。",
     "description_en": "Medical bills settled across provinces, elderly care and social security for residents."},
]

PROVINCES = [
    {"key": "shanghai", "zh": "上海", "short": "沪", "en": "Shanghai"},
    {"key": "jiangsu", "zh": "江苏", "short": "苏", "en": "Jiangsu"},
    {"key": "zhejiang", "zh": "浙江", "short": "浙", "en": "Zhejiang"},
    {"key": "anhui", "zh": "安徽", "short": "皖", "en": "Anhui"},
]

# The action plan's cooperation topics (plugins/action_plan): ordered; a task's `topic` names one.
ACTION_PLAN_TOPICS = [
    {"key": "transport", "zh": "交通互联", "en": "Transport Links"},
    {"key": "energy", "zh": "能源互济", "en": "Energy"},
    {"key": "innovation", "zh": "科技创新", "en": "Science and Innovation"},
    {"key": "industry", "zh": "产业协同", "en": "Industrial Coordination"},
    {"key": "digital", "zh": "信息化", "en": "Digital Infrastructure"},
    {"key": "credit", "zh": "信用体系", "en": "Credit System"},
    {"key": "environment", "zh": "生态环保", "en": "Environmental Protection"},
    {"key": "public-services", "zh": "公共服务", "en": "Public Services"},
    {"key": "finance", "zh": "商务金融", "en": "Commerce and Finance"},
    {"key": "cities", "zh": "城市合作", "en": "City Cooperation"},
    {"key": "market", "zh": "市场监管", "en": "Market Regulation"},
    {"key": "education-culture", "zh": "教育文化", "en": "Education and Culture"},
]

PLUGIN_PATHS = ["plugins"]
# In order: a plugin that imports another comes after it (Pelican loads them one by one,
# without putting PLUGIN_PATHS on the import path).
PLUGINS = ["portal_model", "strict_content", "incremental_writer", "item_memory", "taxonomy_pages", "sitemap", "item_neighbours", "timelines", "feeds", "fingerprint", "action_plan", "editions", "search", "quick_rebuild"]

THEME = "theme"
THEME_STATIC_DIR = "static"

ARTICLE_PATHS = ["news"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images"]
IGNORE_FILES = [".#*", "*.yaml", "*.yml"]

ARTICLE_URL = "news/{date:%Y}/{slug}/"
ARTICLE_SAVE_AS = "news/{date:%Y}/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
# Drafts and future-dated items appear nowhere public, not even at a hidden URL.
WITH_FUTURE_DATES = False
DRAFT_SAVE_AS = ""
DRAFT_LANG_SAVE_AS = ""
DRAFT_PAGE_SAVE_AS = ""
DRAFT_PAGE_LANG_SAVE_AS = ""

# Pelican's own taxonomies and feeds are off: fields and provinces replace them.
CATEGORY_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
TAG_SAVE_AS = ""
TAGS_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
YEAR_ARCHIVE_SAVE_AS = ""
MONTH_ARCHIVE_SAVE_AS = ""
DAY_ARCHIVE_SAVE_AS = ""
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
FEED_ATOM = None
FEED_RSS = None
CATEGORY_FEED_ATOM = None
CATEGORY_FEED_RSS = None
TAG_FEED_ATOM = None
TAG_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None

DIRECT_TEMPLATES = ["index", "sitemap_page", "404"]
SITEMAP_PAGE_SAVE_AS = "sitemap/index.html"
SITEMAP_PAGE_URL = "sitemap/"

# The site's sections besides fields, provinces and standing pages, in menu order:
# shown in the header menu and on the site map. Add a section here once its pages are built,
# e.g. {"url": "timeline/", "zh": "一体化时间线"}.
SECTIONS = [
    {"url": "timeline/", "zh": "一体化时间线", "en": "Integration timeline"},
    {"url": "action-plan/", "zh": "行动计划进展", "en": "Action plan progress"},
    {"url": "feeds/", "zh": "订阅", "en": "Subscribe"},
]

DEFAULT_PAGINATION = 12
PAGINATED_TEMPLATES = {"index": None, "taxonomy": 12}
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)
FEED_MAX_ITEMS = 50
# Authority of the feed entry ids (tag: URIs); never change it, or readers show every item again.
FEED_ID_AUTHORITY = "csj.example,2018"

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.sane_lists": {},
    },
    "output_format": "html5",
}
# Titles and every other value are escaped unless a template marks it safe.
# Interface text is gettext (`{{ _("…") }}`, {% trans %}): plugins/editions installs the catalogue.
# auto_reload off: each build makes its own environment, and checking every included
# template's file for changes on every page was 3% of rendering.
JINJA_ENVIRONMENT = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True, "auto_reload": False,
                     "extensions": ["jinja2.ext.i18n"]}

# Pelican's content cache (reader layer): unchanged items are not parsed again.
# plugins/strict_content/fast_reading.py keeps it correct and gives each output folder its own.
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
# Beside this file, as PATH is: Pelican's defaults are relative to the folder a build is started
# from, and a cache made inside content/ was then checked as content.
CACHE_PATH = "cache"
OUTPUT_PATH = "output"

SLUG_MAX_LENGTH = 60
# Slugs are the portal's (plugins/strict_content: the editor's, or pinyin of the title). Any value
# but "title" or "basename" stops Pelican slugifying every title for a slug it would throw away.
SLUGIFY_SOURCE = "portal"
SUMMARY_MAX_CHARS = 120
# Summaries are plain one-line text, escaped wherever shown.
FORMATTED_FIELDS = []

# Editors write Markdown only; other formats are reported by the content check.
READERS = {"rst": None, "html": None, "htm": None}

# The English edition (/en/, plugins/editions): a second run of the build with these settings
# changed. Its items are the files with `Lang: en`; its interface text is
# theme/translations/en/LC_MESSAGES/messages.po.
ENGLISH_EDITION = {
    "SITENAME": SITENAME_EN,
    "SITE_DESCRIPTION": "Published by the Yangtze River Delta Regional Cooperation Office: integration"
                        " news from Shanghai, Jiangsu, Zhejiang and Anhui, a timeline for each field and"
                        " the progress of the three-year action plan.",
    "AUTHOR": "Yangtze River Delta Regional Cooperation Office",
    "SPONSOR": "Yangtze River Delta Regional Cooperation Office",
    "CONTACT_ADDRESS": "Xuhui District, Shanghai",
    "DEFAULT_DATE_FORMAT": "%-d %B %Y",
}
