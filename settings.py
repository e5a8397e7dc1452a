"""Scrapy settings for the Vietnamese news archiver.

Every default lives here, grouped by component and prefixed per component
(``ARCHIVE_*``, ``WARC_*``, ``DEDUP_*``, ``EXTRACT_*``, ``NEWS_*``). Override
any of them on the command line with ``-s NAME=VALUE``.
"""

from __future__ import annotations

BOT_NAME = "vnnews"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "commands"

# --- Politeness and fetching -------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = "vnnews-archiver/0.1 (+https://github.com/vnnews-archiver; news archive crawler)"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Outputs of one response handled at once. Scrapy starts this many tasks for every response
# (default 100) though a page yields one item and a few requests: 8 is plenty, ~10% of the
# crawl process's CPU less.
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.25
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
DEPTH_LIMIT = 16  # outer bound; NEWS_MAX_HOPS is the finer one
DEPTH_PRIORITY = 1
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# Scrapy's own LogStats line is off: monitoring.progress logs a fuller one every
# MONITOR_PROGRESS_INTERVAL seconds (set this > 0 to have Scrapy's line back).
LOGSTATS_INTERVAL = 0.0

# --- Archive (where everything is written) ------------------------------------
# ARCHIVE_DIR/warc/*.warc.gz, ARCHIVE_DIR/json/*.jsonl, ARCHIVE_DIR/index/...
ARCHIVE_DIR = "data"

# --- Discovery (spiders.news) ---------------------------------------------------
# Trap guard: once this many distinct URLs of one "shape" (path with digits and slugs
# folded) were admitted, more of that shape are followed only while its pages keep being
# different (at least NEWS_TRAP_MIN_DISTINCT of the first NEWS_TRAP_SAMPLE fetched are not
# near-identical or empty); a shape that keeps producing the same page is a trap and is cut
# (a WARNING at the end, stat news/caps/pattern). A big site (every article one shape) is
# crawled whole.
NEWS_MAX_PER_PATTERN = 2000
NEWS_TRAP_SAMPLE = 50
NEWS_TRAP_MIN_DISTINCT = 0.5
# URLs of capped shapes held until the shape is judged (beyond: dropped and counted).
NEWS_TRAP_BACKLOG = 100_000
# Maximum listing pages followed per listing (pagination depth).
NEWS_MAX_PAGINATION = 50
# Link hops followed from an HTML page (pagination, sitemaps and feeds do not
# count); the main guard against calendar-style traps.
NEWS_MAX_HOPS = 4
# The warcinfo record's "profile" field ("" = the spider's -a site); NEWS_PROFILE is an alias.
NEWS_SITE = ""
NEWS_PROFILE = ""

# --- Limits against hostile servers (spiders.news, spiders.robots; docs/reliability.md) ---
# Bytes of one response body, on the wire and after Content-Encoding is decoded (Scrapy's
# HttpCompressionMiddleware stops a gzip/deflate/br/zstd bomb at this size); bigger bodies are
# dropped and counted (news/dropped/too_big). Scrapy's defaults are 1 GB / 32 MB.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# DOWNLOAD_TIMEOUT (above) bounds the total time of one response, headers to last byte, so
# a body dripping a byte a second (slowloris) ends there too.
# Sitemaps may be bigger than pages: the protocol's own limit is 50 MB uncompressed.
NEWS_SITEMAP_MAXSIZE = 50 * 1024 * 1024
# Entries read from one sitemap (the protocol's limit), child sitemaps followed from one
# index (most recent lastmod first), and sitemaps fetched per crawl in all. Child sitemaps
# are fetched after the articles already found, so a huge index never starves them.
NEWS_SITEMAP_MAX_URLS = 50_000
NEWS_SITEMAP_MAX_CHILDREN = 500
NEWS_MAX_SITEMAPS = 2000
# Links read from one HTML page (in document order).
NEWS_MAX_LINKS_PER_PAGE = 5000
# Bytes of robots.txt parsed (RFC 9309 section 2.5 asks for at least 500 KiB).
NEWS_ROBOTS_MAX_BYTES = 512 * 1024

# --- Components ------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # Records every exchange as WARC request/response records. 950 puts it
    # next to the downloader, before HttpCompressionMiddleware (590) decodes.
    "archive.middleware.WarcWriterMiddleware": 950,
    # robots.txt per RFC 9309 (5xx or unreachable: nothing fetched from that origin this
    # run); a fetch error (DNS, refused) is one log line.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.robots.RobotsTxtMiddleware": 100,
    # Scope is origins (scheme, host, port); never file:/data:, private or link-local
    # addresses; applies to redirects too. Before Scrapy's host-based OffsiteMiddleware (50).
    "spiders.scope.ScopeMiddleware": 40,
    # A dedup back-end error (Redis gone) stops the crawl cleanly: exit code 4.
    "spiders.guard.BackendGuardMiddleware": 960,
    # Scrapy's meta-refresh redirects, read from the page's head only (spiders/metarefresh.py)
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "spiders.metarefresh.HeadMetaRefreshMiddleware": 580,
}
# Keeps the status line's reason phrase and the connection headers (Transfer-Encoding,
# Connection...) that Scrapy drops, so the WARC shows the response as received.
DOWNLOAD_HANDLERS = {
    "http": "archive.handler.WarcHttpDownloadHandler",
    "https": "archive.handler.WarcHttpDownloadHandler",
}

ITEM_PIPELINES = {
    "pipelines.extract.ExtractionPipeline": 300,
    # One JSON record per article version (after extraction, before writing).
    "pipelines.dedup.DedupPipeline": 500,
    # near_duplicates / syndicated_from / syndicated_to of each new record (issue 14).
    "pipelines.syndication.SyndicationPipeline": 600,
    "pipelines.jsonlines.JsonLinesPipeline": 800,
}

# --- Extraction -------------------------------------------------------------------
# Where extract_article() runs: "process" (a process pool: both cores busy while
# the reactor downloads), "thread" (a thread pool: off the reactor thread, but the
# GIL keeps it on one core) or "inline" (no pool). `make bench` measured the process
# pool at 1.2-1.6x the inline baseline with 2 workers, the thread pool at 0.9-1.1x.
EXTRACT_POOL = "process"
EXTRACT_WORKERS = 2
# Append a WARC metadata record holding the extracted article after each response.
EXTRACT_WARC_METADATA = True
# Site profiles (one TOML file per site); extra directories may be added.
NEWS_PROFILE_DIRS: list[str] = []

# --- WARC writing -------------------------------------------------------------------
WARC_ENABLED = True
WARC_PREFIX = "vnnews"
WARC_OPERATOR = ""
# Rotate to a new .warc.gz once the current one reaches this many bytes.
WARC_MAX_SIZE = 1_000_000_000
# zlib level (1-9) of each record's gzip member.
WARC_GZIP_LEVEL = 6

# --- Deduplication (archive.dedupindex, pipelines.dedup) ---------------------------
# Unchanged payloads become revisit records; one JSON record per article version.
DEDUP_ENABLED = True
# "sqlite" (ARCHIVE_DIR/index/dedup.sqlite3) or "redis" (shared by distributed crawls).
DEDUP_BACKEND = "sqlite"
DEDUP_REDIS_URL = "redis://127.0.0.1:6379/0"
DEDUP_REDIS_PREFIX = "vnnews:dedup:"
# Re-crawls send If-None-Match / If-Modified-Since from the URL's last capture.
DEDUP_CONDITIONAL_REQUESTS = True

# --- Replay and offline re-runs (archive.cdxj, archive.httpcache, scrapy wayback) ----
# ARCHIVE_DIR/index/index.cdxj is kept up to date as WARC files close (pywb format).
# `scrapy wayback` runs pywb's `wayback` from this path ("" = .venv-pywb, else PATH).
WAYBACK_PYWB_BIN = ""
# Offline re-run from an archive: -s HTTPCACHE_ENABLED=1
#   -s HTTPCACHE_STORAGE=archive.httpcache.WarcCacheStorage -s HTTPCACHE_IGNORE_MISSING=1
# The archive to answer from ("" = ARCHIVE_DIR), so a re-run can write elsewhere.
HTTPCACHE_ARCHIVE_DIR = ""

# --- JSON Lines output (pipelines.jsonlines) -----------------------------------------
# ARCHIVE_DIR/json/{JSONL_PREFIX}-{timestamp}-{pid}.jsonl
JSONL_PREFIX = "articles"
# fsync after every line: survives a power cut, costs a disk flush per record.
JSONL_FSYNC = False

# --- Crash-safety tests only (vnnews.crashpoint; docs/reliability.md) -------------------
# "POINT:N" makes the crawl SIGKILL itself the N-th time it reaches POINT (warc, warc-close,
# cdxj, json, json-commit, commit), so tests/test_kills.py can kill it mid-write. Leave empty.
ARCHIVE_TEST_KILL_AT = ""

# --- Start-up checks, exit codes and logs (vnnews.config, spiders.guard; docs/settings.md) ---
# Every setting is checked against vnnews.config.SPEC before a crawl starts (exit code 2 and
# one line naming the setting); the guard also checks that ARCHIVE_DIR can be written and the
# Redis dedup back end answers, stops the crawl cleanly when either fails mid-run, and sets
# the exit code (vnnews.outcome; table in docs/settings.md).
EXTENSIONS = {
    "spiders.guard.RunGuard": 0,
    # The one owner of the crawl's archive state (archive.extension): opens the WARC writer,
    # the dedup index and the CDXJ updates, closes them when the spider closes.
    "archive.extension.ArchiveExtension": 100,
    # The crawl's worker pool (vnnews.workpool, EXTRACT_POOL): the spider reads each HTML page
    # there (spiders.pageanalysis) and the extraction pipeline extracts what it was not given.
    "vnnews.workpool.WorkPool": 110,
}
# Item log lines name the URL and the reason, never the item (a page's HTML body).
LOG_FORMATTER = "pipelines.logformatter.ItemLogFormatter"
# A dropped page (unchanged text, not an article) is one INFO line; the run summary counts them.
DEFAULT_DROPITEM_LOG_LEVEL = "INFO"

# --- Distributed crawling (spiders/distributed; docs/distributed.md) -----------------------
# One switch: a Redis URL here (-s REDIS_URL=redis://host:6379/0) makes this crawl one worker of
# a shared crawl: scrapy-redis queue and dupefilter with leases, dedup index in Redis.
ADDONS = {"spiders.distributed.addon.DistributedAddon": 0}
REDIS_URL = ""
# Keys are {REDIS_KEY_PREFIX}crawl:{crawl id}:...; the crawl id is REDIS_CRAWL_ID, else the
# site profile's name, else the start hosts, so workers started with one command share a crawl.
REDIS_KEY_PREFIX = "vnnews:"
REDIS_CRAWL_ID = ""
# Seconds between a worker's heartbeats; a worker silent for REDIS_WORKER_TIMEOUT is dead and
# its leased requests go back into the queue for the others.
REDIS_HEARTBEAT_INTERVAL = 5.0
REDIS_WORKER_TIMEOUT = 60.0
# A worker exits (reason "finished") once the shared queue is empty and nobody holds a lease
# for this many seconds.
REDIS_IDLE_CLOSE = 10.0
# Only push the start requests into Redis and exit (`scrapy distributed seed`).
REDIS_SEED_ONLY = False

# --- Incremental re-crawls (archive.recheck, spiders.incremental; docs/scheduling.md) ---------
# An archived article is fetched again only when a discovery source says it changed (a sitemap
# lastmod or feed <updated> newer than our last check, a title no listing or feed showed before)
# or when its re-check is due: once after each of these ages since publication (since first
# seen when the date is unknown), then never. A profile's `[recheck] after = [...]` overrides
# it per site. Re-checks are conditional requests (If-None-Match / If-Modified-Since).
# NEWS_RECHECK: "policy" applies this; "all" fetches every archived URL again (audits, tests).
NEWS_RECHECK = "policy"
NEWS_RECHECK_AFTER = ["1h", "6h", "1d", "3d", "7d"]
# Known non-article pages (sections, listings) are fetched again only up to this many link
# hops from a start page (1: the start pages and the pages they link to); their next pages
# only while the page before showed something new.
NEWS_RECHECK_LISTING_HOPS = 1
# Key prefix of the re-check hashes (one per site) when DEDUP_BACKEND = "redis".
NEWS_RECHECK_REDIS_PREFIX = "vnnews:recheck:"
# Unless -s JOBDIR=... is given, each site's crawl keeps Scrapy's job state (pending
# requests, seen fingerprints) in ARCHIVE_DIR/jobs/<site>, so a killed run resumes with the
# same command; it is emptied when a run finishes. False: no JOBDIR.
NEWS_JOBDIR_PER_SITE = True

# --- Near-duplicates and syndication (archive.neardup, pipelines.syndication; docs/records.md) --
# Every new record version is compared with every record archived before (any run, any site)
# by MinHash/LSH over word shingles of its lead and text. The index lives where the dedup index
# does: DEDUP_BACKEND "sqlite" -> ARCHIVE_DIR/index/neardup.sqlite3, "redis" -> DEDUP_REDIS_URL
# under NEARDUP_REDIS_PREFIX. Changing NUM_PERM, SEED, SHINGLE_WORDS or THRESHOLD (which sets
# the LSH bands) needs a new index: an index built with other values is refused.
NEARDUP_ENABLED = True
NEARDUP_REDIS_PREFIX = "vnnews:neardup:"
# Estimated Jaccard similarity of the shingle sets from which a record is a near-duplicate.
NEARDUP_THRESHOLD = 0.5
NEARDUP_NUM_PERM = 128
NEARDUP_SEED = 1
NEARDUP_SHINGLE_WORDS = 3
# At most this many near-duplicates per record (most similar first); at most
# NEARDUP_CANDIDATES documents sharing an LSH bucket are compared per lookup.
NEARDUP_MAX_RESULTS = 20
NEARDUP_CANDIDATES = 500

# --- Monitoring (monitoring/: run reports, drift checks, progress; docs/monitoring.md) ----------
# Every crawl writes a JSON report to ARCHIVE_DIR/runs/<site>/<UTC start>-<pid>.json (all kept)
# and logs a short summary at its end (MONITOR_SUMMARY).
MONITOR_ENABLED = True
MONITOR_SUMMARY = True
# Drift checks compare the run with the site's last MONITOR_HISTORY_RUNS reports. Each flag is an
# ERROR line, a flag in the report and the stat monitor/drift_flags; with MONITOR_FAIL_ON_DRIFT
# a run that otherwise succeeded exits with MONITOR_DRIFT_EXIT_CODE (the other exit codes are in
# vnnews/outcome.py; 3 to 6 are taken there).
MONITOR_HISTORY_RUNS = 10
MONITOR_FAIL_ON_DRIFT = True
MONITOR_DRIFT_EXIT_CODE = 7
# Checks of article quality are skipped on runs with fewer extracted articles than this.
MONITOR_MIN_ARTICLES = 5
# Flag when more than this share of article pages fails extraction (an error, or no text).
MONITOR_MAX_EXTRACTION_FAILURES = 0.25
# Flag when more than this share of articles has no published date, or the capture time as its
# date (within MONITOR_FETCH_DATE_WINDOW seconds; the same day for day-precision dates).
MONITOR_MAX_BAD_DATES = 0.5
MONITOR_FETCH_DATE_WINDOW = 120.0
# Flag when the median article text is shorter than this share of the last runs' median.
MONITOR_MIN_BODY_RATIO = 0.5
# Flag when the last MONITOR_NO_NEW_RUNS runs found no new article on a site where most earlier
# runs found some (0 = off).
MONITOR_NO_NEW_RUNS = 5
# Flag when the profile's selectors miss (or the layout guesser takes over) on more than this
# share of articles, or selector-found dates fall below (1 - this) of their usual share.
MONITOR_MAX_PROFILE_MISS = 0.5
# Flag robots/sitemap/feed URLs that answered in the last run and no longer do.
MONITOR_CHECK_DISCOVERY = True
# One progress line (pages, pages/min, items, queue, new/changed articles, errors) every this
# many seconds, instead of Scrapy's LogStats line (LOGSTATS_INTERVAL = 0; 0 = no progress line).
MONITOR_PROGRESS_INTERVAL = 60.0
# `scrapy report`: days shown in the "articles per day" charts (ending at the newest date).
MONITOR_REPORT_DAYS = 30
EXTENSIONS = {
    **EXTENSIONS,
    "monitoring.runreport.RunReportExtension": 600,
    "monitoring.progress.ProgressExtension": 610,
}
# Shows the run report every extracted record, before dedup drops those already recorded.
ITEM_PIPELINES = {**ITEM_PIPELINES, "monitoring.observe.ExtractedRecordObserver": 400}

# --- Page resources (spiders.resources; docs/replay.md) ------------------------------------------
# Article pages are archived with what they need to render: images (src, srcset, lazy data-src /
# data-srcset / data-original), stylesheets and what they @import / url() (fonts, backgrounds),
# scripts, icons, and the documents they link to (PDF, DOC(X), XLS(X), ...). Resources never reach
# the item pipelines; stats news/resources/*. Each URL is fetched once per crawl; an unchanged one
# is a revisit record in later crawls.
RESOURCES_ENABLED = True
# Also the resources of listing pages (home, sections, pagination).
RESOURCES_LISTINGS = False
RESOURCES_DOCUMENTS = True
RESOURCES_SCRIPTS = True
# Where resources may come from: "site" (the crawl's own hosts and their subdomains), "cdn" (hosts
# with one of RESOURCES_CDN_WORDS in a label: i1-vnexpress.vnecdn.net, static.mediacdn.vn),
# "*" (any host), or host names / "*.domain" patterns. RESOURCES_DENY_HOSTS wins over all.
RESOURCES_HOSTS = ["site", "cdn"]
RESOURCES_CDN_WORDS = ["cdn", "static", "img", "image", "photo", "media", "assets", "fonts"]
RESOURCES_DENY_HOSTS = [
    "*.facebook.com",
    "*.facebook.net",
    "*.fbcdn.net",
    "*.google-analytics.com",
    "*.googletagmanager.com",
    "*.doubleclick.net",
    "*.googlesyndication.com",
    "*.googleadservices.com",
]
# Bytes of one resource (wire and decoded), resources and bytes per page, bytes per run.
RESOURCES_MAX_SIZE = 16 * 1024 * 1024
RESOURCES_MAX_PER_PAGE = 150
RESOURCES_MAX_PAGE_BYTES = 48 * 1024 * 1024
RESOURCES_MAX_RUN_BYTES = 20 * 1024 * 1024 * 1024
# Host rule on every resource request (redirects too) and the byte budgets; before ScopeMiddleware.
DOWNLOADER_MIDDLEWARES = {**DOWNLOADER_MIDDLEWARES, "spiders.resources.ResourceMiddleware": 30}
