"""``scrapy wayback [--port 8080]``: browse ``ARCHIVE_DIR`` in pywb.

Writes a pywb collection config (``ARCHIVE_DIR/pywb/config.yaml``) that points at our
``warc/`` directory and our CDXJ index (nothing is copied), then runs pywb's
``wayback`` server on 127.0.0.1 in the foreground until Ctrl-C. pywb lives in its own
virtualenv (``make venv`` builds ``.venv-pywb``); ``WAYBACK_PYWB_BIN`` overrides where
its ``wayback`` program is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

from archive.cdxj import update_index
from vnnews.paths import ARCHIVE_SUFFIXES, ArchivePaths

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PYWB_BIN = PROJECT_ROOT / ".venv-pywb" / "bin" / "wayback"


def pywb_binary(settings: BaseSettings) -> str | None:
    """``WAYBACK_PYWB_BIN``, else the project's ``.venv-pywb``, else ``wayback`` on PATH."""
    configured = str(settings["WAYBACK_PYWB_BIN"])
    if configured:
        return shutil.which(configured)
    if DEFAULT_PYWB_BIN.exists():
        return str(DEFAULT_PYWB_BIN)
    return shutil.which("wayback")


def warc_files(warc_dir: Path) -> list[Path]:
    """Closed WARC/ARC files under ``warc_dir`` (``.open`` files are still being written)."""
    if not warc_dir.is_dir():
        return []
    return sorted(p for p in warc_dir.rglob("*") if p.name.endswith(ARCHIVE_SUFFIXES))


def write_config(archive_dir: Path, conf_dir: Path, collection: str) -> Path:
    """A pywb ``config.yaml`` in ``conf_dir`` serving ``archive_dir`` as ``collection``."""
    paths = ArchivePaths.of(archive_dir.resolve())
    conf_dir.mkdir(parents=True, exist_ok=True)
    index = paths.cdxj
    warcs = paths.warc_dir
    text = (
        "# Written by `scrapy wayback`: replay of this archive in pywb.\n"
        "# Run pywb by hand with: wayback -b 127.0.0.1 -p 8080 -d <this directory>\n"
        "collections:\n"
        f"  {collection}:\n"
        f"    index: {_yaml_str(str(index))}\n"
        f"    archive_paths: {_yaml_str(str(warcs) + os.sep)}\n"
    )
    path = conf_dir / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _yaml_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure_index(archive_dir: Path, rebuild: bool = False) -> int:
    """Index every closed WARC file if there is no index yet (or ``rebuild``);
    returns the number of files indexed."""
    paths = ArchivePaths.of(archive_dir)
    index = paths.cdxj
    if index.exists() and not rebuild:
        return 0
    if rebuild:
        index.unlink(missing_ok=True)
    files = warc_files(paths.warc_dir)
    for path in files:
        update_index(archive_dir, path)
    return len(files)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--port PORT] [--collection NAME] [--reindex]"

    def short_desc(self) -> str:
        return "Browse the WARC archive (ARCHIVE_DIR) in pywb on 127.0.0.1"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
        parser.add_argument(
            "--collection", default="vnnews", help="pywb collection name (default vnnews)"
        )
        parser.add_argument(
            "--reindex", action="store_true", help="rebuild index/index.cdxj from warc/ first"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("wayback takes no arguments")
        if not opts.collection.isidentifier():
            raise UsageError("--collection must be letters, digits and _")
        assert self.settings is not None
        paths = ArchivePaths.of(self.settings["ARCHIVE_DIR"])
        archive_dir = paths.root
        binary = pywb_binary(self.settings)
        if binary is None:
            self._fail("pywb not found; run make venv")
            return
        if not warc_files(paths.warc_dir):
            self._fail(f"no WARC files in {paths.warc_dir}; crawl first (or set ARCHIVE_DIR)")
            return
        indexed = ensure_index(archive_dir, rebuild=opts.reindex)
        if indexed:
            print(f"indexed {indexed} WARC files into {paths.cdxj}")
        conf_dir = paths.pywb_dir
        write_config(archive_dir, conf_dir, opts.collection)
        url = f"http://127.0.0.1:{opts.port}/{opts.collection}/"
        print(f"pywb replay of {archive_dir.resolve()}: browse {url}  (Ctrl-C to stop)")
        sys.stdout.flush()
        cmd = [binary, "-b", "127.0.0.1", "-p", str(opts.port), "-d", str(conf_dir)]
        self.exitcode = self._serve(cmd)

    @staticmethod
    def _serve(cmd: list[str]) -> int:
        proc = subprocess.Popen(cmd)
        signal.signal(signal.SIGTERM, _interrupt)  # stop pywb too when we are stopped
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            return 0

    def _fail(self, message: str) -> None:
        print(f"error: {message}", file=sys.stderr)
        self.exitcode = 1
