"""``kb relink`` re-runs the document type rules on the stored text, and keeps a type set by hand."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import fake_kb


def test_relink_reclassifies_and_keeps_an_override(tmp_path: Path) -> None:
    kb = fake_kb(
        tmp_path,
        {
            "a.md": "# Acta de la reunión\n\nAsistentes: PNP y DIGEMIN. Orden del día: cooperación.\n",
            "b.md": "# Acta de la reunión\n\nAsistentes: PNP. Orden del día: patrullaje.\n",
        },
    )
    try:
        ids = {Path(src).name: doc_id for doc_id, src, _ in kb.evidence().document_list()}
        # a type stored by an older rule set, and a type a user corrected
        kb.store.db.execute("UPDATE documents SET doc_type='other' WHERE id=?", (ids["a.md"],))
        kb.set_metadata(ids["b.md"], {"doc_type": "report"})
        kb.relink()
        types = {Path(src).name: t for _, src, t in kb.evidence().document_list()}
        assert types == {"a.md": "minutes", "b.md": "report"}
    finally:
        kb.close()
