"""`make demo` stays true: the demo script serves the sample site, crawls it and summarises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_crawls_the_sample_site_and_prints_a_summary(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "tools/demo.py", "--archive-dir", str(tmp_path / "data")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "Articles archived: 27" in out
    assert "WARC files: 1" in out and "JSON Lines files: 1" in out
    assert "2021-05-06T09:00:00+07:00  Phục dựng lễ hội đình làng" in out
    assert "make wayback ARCHIVE_DIR=" in out
    assert "Traceback" not in done.stderr
    assert list((tmp_path / "data" / "warc").glob("*.warc.gz"))
