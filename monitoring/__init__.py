"""Monitoring: one report per crawl, drift checks against a site's own history, progress lines.

* :mod:`monitoring.report` builds the run report (a JSON-ready dict) from the crawl's stats and
  what the run saw (plain Python, no Scrapy);
* :mod:`monitoring.drift` holds the drift checks: pure functions over the current report and
  the site's earlier reports;
* :mod:`monitoring.history` reads and writes reports under ``ARCHIVE_DIR/runs/<site>/``;
* :mod:`monitoring.runreport` and :mod:`monitoring.progress` are the Scrapy extensions;
* :mod:`monitoring.archivescan` and :mod:`monitoring.htmlreport` feed ``scrapy sites`` and
  ``scrapy report``.

See docs/monitoring.md.
"""
