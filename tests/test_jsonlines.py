"""JSON Lines output: whole lines only, repaired after a crash."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.jsonlines import repair_open_file


def test_repair_cuts_a_partial_last_line_and_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "articles-20260101000000000-1.jsonl.open"
    whole = [
        json.dumps({"n": i, "title": "Văn phòng Chính phủ"}, ensure_ascii=False) for i in range(3)
    ]
    path.write_bytes(("\n".join(whole) + "\n").encode() + b'{"n": 3, "title": "V\xc4')
    assert repair_open_file(path) == 3
    assert not path.exists()
    final = tmp_path / "articles-20260101000000000-1.jsonl"
    lines = final.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["n"] for line in lines] == [0, 1, 2]


def test_repair_removes_a_file_with_no_whole_line(tmp_path: Path) -> None:
    path = tmp_path / "articles-x.jsonl.open"
    path.write_bytes(b'{"n": 0')
    assert repair_open_file(path) == 0
    assert list(tmp_path.iterdir()) == []


def test_a_file_of_a_live_writer_is_left_alone(tmp_path: Path) -> None:
    import subprocess
    import sys

    from pipelines.jsonlines import writer_alive

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = tmp_path / f"articles-20260101000000000-{proc.pid}.jsonl.open"
        live.write_bytes(b'{"n": 0}\n')
        assert writer_alive(live)
    finally:
        proc.kill()
        proc.wait()
    assert not writer_alive(live)
