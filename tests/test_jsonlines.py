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
