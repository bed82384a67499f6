"""A re-ingest of a changed file embeds only the chunk texts that changed: the rest come from the cache."""

from __future__ import annotations

from pathlib import Path

from kb.service import KnowledgeBase
from tests.helpers import FakeEmbedder

SECTIONS = [
    ("Control migratorio", "El control migratorio conjunto en el puente de Desaguadero registra a cada viajero"),
    ("Patrullas", "Las patrullas binacionales recorren el río contra el contrabando de combustible"),
    ("Capacitación", "Los inspectores reciben formación en la detección de documentos falsos y alterados"),
    ("Seguimiento", "La comisión mixta revisará los acuerdos y los resultados en su próxima reunión"),
]


def report(sections: list[tuple[str, str]]) -> str:
    """A report whose sections are long enough to be chunks of their own (a section boundary cuts)."""
    body = "\n\n".join(
        f"## {title}\n\n" + " ".join([f"{text}, punto {n}." for n in range(1, 6)]) for title, text in sections
    )
    return "# Acta de la reunión binacional\n\n" + body + "\n"


def test_only_the_changed_chunks_are_embedded_again(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "acta.md").write_text(report(SECTIONS), encoding="utf-8")
    (docs / "otra.md").write_text(report(SECTIONS[:2]).replace("Acta", "Nota"), encoding="utf-8")
    emb = FakeEmbedder()
    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=emb, use_ner=False) as kb:
        assert kb.ingest([docs]).count("ingested") == 2
        first = emb.calls
        assert first >= 4, "several chunks were embedded"
        changed = [*SECTIONS[:3], ("Seguimiento", "La comisión mixta se reunirá de nuevo en Puno en el mes de octubre")]
        (docs / "acta.md").write_text(report(changed), encoding="utf-8")
        again = kb.ingest([docs])
        assert (again.count("updated"), again.count("ingested")) == (1, 0)  # the unchanged file is not read again
        assert emb.calls - first == 1, "only the rewritten section's chunk is new text"
        assert kb.search("Puno octubre", k=1)[0].best.text.count("Puno") == 5
