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


def test_relink_makes_an_entity_the_gazetteer_now_lists_a_gazetteer_entity(tmp_path: Path) -> None:
    """A name NER found before the gazetteer listed it has the id the new entry takes: after relink it reads as
    the gazetteer's (type, name, origin), as after a fresh ingest."""
    kb = fake_kb(tmp_path, {"a.md": "# Nota\n\nReunión con la PNP en la frontera.\n"})
    try:
        db = kb.store.db
        db.execute("UPDATE entities SET origin='ner', type='PLACE', name='Pnp' WHERE id='org:pnp'")
        db.commit()
        kb.relink()
        row = db.execute("SELECT name, type, origin FROM entities WHERE id='org:pnp'").fetchone()
        assert tuple(row) == ("National Police of Peru", "ORG", "gazetteer")
    finally:
        kb.close()
