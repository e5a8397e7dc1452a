"""``vnnews``: Scrapy's command line with this project's settings, from any directory.

``scrapy`` finds a project through ``scrapy.cfg`` in the current directory or above it,
so a cron job or a systemd unit started elsewhere would get no project at all. The
``vnnews`` console script (``[project.scripts]`` in pyproject.toml) names the settings
module itself::

    vnnews crawl news -a site=nhandan -s ARCHIVE_DIR=/srv/archive
    vnnews schedule -s ARCHIVE_DIR=/srv/archive

The script's entry point is :func:`vnnews.console.main`, which first puts the project's own
modules on the path (an install from a wheel keeps them in ``vnnews/_app``, off ``sys.path``)
and then calls :func:`main` here. ``vnnews schedule`` starts each crawl as
``python -m commands.cli``, which finds them through the ``PYTHONPATH`` it inherits.

An explicit ``SCRAPY_SETTINGS_MODULE`` in the environment still wins. Relative paths
(``ARCHIVE_DIR`` defaults to ``data``) stay relative to the current directory: give a
scheduled job an absolute ``-s ARCHIVE_DIR=``.
"""

from __future__ import annotations

import os
import sys

#: the project's settings module (beside the packages: the checkout's root, vnnews/_app installed)
SETTINGS_MODULE = "settings"


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    from scrapy.cmdline import execute

    args = list(sys.argv if argv is None else argv)
    args[0] = "vnnews"
    execute(args)


if __name__ == "__main__":
    main()
