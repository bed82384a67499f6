"""The one directory-replace helper: old or new at the target name, never half of either."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.atomic import building_directory, replace_directory


def test_building_directory_replaces_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with building_directory(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        (tmp / "new.txt").write_text("new")
        assert (target / "old.txt").is_file()  # readers still see the old folder meanwhile
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # nothing left beside


def test_a_failed_build_leaves_the_target_alone(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), building_directory(target) as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("disk full")
    assert sorted(p.name for p in target.iterdir()) == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_replace_directory_creates_a_missing_target(tmp_path: Path) -> None:
    built = tmp_path / ".seg.building"
    built.mkdir()
    (built / "a").write_bytes(b"x")
    replace_directory(built, tmp_path / "seg")
    assert (tmp_path / "seg" / "a").read_bytes() == b"x"
    assert not built.exists()
