"""Remove means gone: no removed text on disk, no orphan originals, a private knowledge base."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.service import KnowledgeBase
from tests.helpers import FakeEmbedder, make_docs

SECRET = "Quorblax Vendrimoth"  # in the removed document only: a phrase and a word of it
SECRET_TEXT = (
    f"# Memorando confidencial\n\nEl informante {SECRET} entregó la lista de vehículos del paso de "
    f"Desaguadero. {SECRET} pidió reserva total sobre su identidad.\n"
)


def open_kb(path: Path) -> KnowledgeBase:
    return KnowledgeBase.open(path, embedder_impl=FakeEmbedder(), use_ner=False)


def kb_cli(base: KnowledgeBase, *args: str) -> str:
    """Run a ``kb`` command on an open knowledge base (the CLI cannot load the fake embedder)."""
    out = CliRunner().invoke(cli, ["--kb", str(base.root), *args], obj={"kb": base})
    assert out.exit_code == 0, out.output
    return out.output


def files_holding(root: Path, needle: str) -> list[str]:
    """Every file under ``root`` whose bytes contain ``needle`` (UTF-8, any letter case)."""
    want = needle.lower().encode()
    return sorted(str(p.relative_to(root)) for p in walk(root) if want in p.read_bytes().lower())


def walk(root: Path) -> Iterator[Path]:
    return (p for p in root.rglob("*") if p.is_file())


def test_kb_remove_and_compact_leave_no_byte_of_the_removed_text(tmp_path: Path) -> None:
    docs = make_docs(tmp_path / "docs", "d", 3)
    with open_kb(tmp_path / "kb") as base:
        memo = base.root / "uploads" / "memo.md"  # uploaded through the app, which keeps it there
        memo.parent.mkdir()
        memo.write_text(SECRET_TEXT, encoding="utf-8")
        base.ingest([docs, memo])
        base.ingest([make_docs(tmp_path / "more", "m", 2)])  # a second segment: compact has work
        root = base.root
        assert "store.sqlite" in files_holding(root, SECRET) or "store.sqlite-wal" in files_holding(root, SECRET)
        assert any(p.startswith("segments/") for p in files_holding(root, "Vendrimoth")), "BM25 vocabulary"

        assert "removed" in kb_cli(base, "remove", str(memo))
        assert not memo.exists()
        # the store (database, write-ahead log) and files/ hold no removed text at once ...
        assert [p for p in files_holding(root, SECRET) if not p.startswith("segments/")] == []
        assert [p for p in files_holding(root, "Vendrimoth") if not p.startswith("segments/")] == []
        assert base.stats()["tombstones"] > 0, "the tombstones stay until compaction, without their text"
        assert base.unmatched_phrases('"Vendrimoth"') == ("Vendrimoth",)  # no passage holds it any more
        assert all(Path(r.best.source).name != memo.name for r in base.search('"Vendrimoth"', k=5))

        kb_cli(base, "compact")
        # ... and after compaction, not the segments either (BM25 vocabulary, retired segments)
        assert files_holding(root, SECRET) == []
        assert files_holding(root, "Vendrimoth") == []
        assert files_holding(root, "informante") == [], "a word only the removed document used"
        found = base.search("patrulla binacional", k=10)  # the generated reports are near-duplicates
        assert len(found) + sum(len(r.duplicates) for r in found) == 5, "the other documents are all there"


def test_an_orphan_original_is_deleted_by_the_next_writer(tmp_path: Path) -> None:
    with open_kb(tmp_path / "kb") as base:
        base.ingest([make_docs(tmp_path / "a", "a", 2)])
        kept = sorted(p for p in (base.root / "files").rglob("*") if p.is_file())
        # what an ingest killed after copying its originals and before its commit leaves behind
        orphan = base.root / "files" / "ab" / ("ab" + "0" * 62 + ".pdf")
        orphan.parent.mkdir()
        orphan.write_bytes(b"%PDF-1.4 an original no document refers to")
        half_copied = kept[0].with_name(f".{kept[0].name}.999.tmp")
        half_copied.write_bytes(b"half")

        kb_cli(base, "compact")  # any writer run: ingest, remove, compact, reindex
        assert not orphan.exists() and not orphan.parent.exists() and not half_copied.exists()
        assert sorted(p for p in (base.root / "files").rglob("*") if p.is_file()) == kept


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default, which makes files world-readable
    yield
    os.umask(old)


def test_a_new_knowledge_base_is_private(tmp_path: Path, umask_022: None) -> None:
    with open_kb(tmp_path / "kb") as base:
        base.ingest([make_docs(tmp_path / "a", "a", 2)])
        base.ingest([make_docs(tmp_path / "b", "b", 2)])
        kb_cli(base, "remove", str(tmp_path / "a" / "a-00.md"))
        kb_cli(base, "compact")
        root = base.root
        names = {str(p.relative_to(root)) for p in walk(root)}
        assert {"store.sqlite", "manifest.json", "lock", "cache/embeddings.sqlite"} <= names
        assert any(n.startswith("files/") for n in names) and any(n.startswith("segments/") for n in names)
        modes = {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*")}
        modes["."] = stat.S_IMODE(root.stat().st_mode)
        loose = {n: oct(m) for n, m in modes.items() if m != (0o700 if (root / n).is_dir() else 0o600)}
        assert loose == {}


def test_the_original_of_a_replaced_version_is_deleted_by_the_next_writer(tmp_path: Path) -> None:
    docs = make_docs(tmp_path / "a", "a", 2)
    with open_kb(tmp_path / "kb") as base:
        base.ingest([docs])
        (docs / "a-00.md").write_text(SECRET_TEXT, encoding="utf-8")  # a new version of the file
        base.ingest([docs])
        kb_cli(base, "compact")
        kept = {r[0] for r in base.store.db.execute("SELECT file FROM documents")}
        on_disk = {str(p.relative_to(base.root)) for p in walk(base.root / "files")}
        assert on_disk == kept and len(kept) == 2
