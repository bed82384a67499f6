"""A small knowledge base for the app tests (fake embedder, gazetteer-only entities) and an AppTest runner."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.service import KnowledgeBase
from tests.conftest import ROOT, FakeEmbedder

DOCS = {
    "acta-desaguadero.md": "# Acta de la reunión en Desaguadero\n\nFecha: 14 de marzo de 2024.\n\n"
    "La Policía Nacional del Perú y la Policía Boliviana acordaron patrullajes binacionales en el río "
    "Desaguadero contra el contrabando de combustible.\n\nSe revisó también el control migratorio en el puente "
    "y el registro de viajeros menores de edad.\n",
    "rumichaca.txt": "Technical visit to Rumichaca\n\nDate: 2 June 2022.\n\nMigración Colombia registers travellers "
    "at the Rumichaca bridge; the National Police of Colombia reported migrant smuggling and joint patrols "
    "against fuel smuggling on the river.\n",
    "hostile.html": "<html><head><title>Note hostile</title></head><body><main><h1>Note hostile</h1>"
    "<p>Ce texte parle de &lt;script&gt;alert(1)&lt;/script&gt; et de &lt;b&gt;balises&lt;/b&gt; à Desaguadero, "
    "avec la Police aux frontières et les patrouilles conjointes contre la contrebande.</p></main></body></html>",
    "script-tag.txt": "Página con etiquetas\n\nEste informe sobre Tacna–Arica contiene <script>alert(1)</script> "
    "y <img src=x onerror=alert(2)> en su texto, que deben verse como texto.\n",
}


def build(root: Path) -> KnowledgeBase:
    docs = root / "docs"
    docs.mkdir(parents=True)
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    kb = KnowledgeBase.open(root / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    report = kb.ingest([docs])
    assert report.count("ingested") == len(DOCS), report.rows
    return kb


@pytest.fixture(scope="session")
def app_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """Shared and read-only: tests that write (uploads) build their own with ``fresh_kb``."""
    kb = build(tmp_path_factory.mktemp("appkb"))
    yield kb
    kb.close()


@pytest.fixture
def fresh_kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    kb = build(tmp_path)
    yield kb
    kb.close()


def run_app(kb: KnowledgeBase | None, **params: str) -> Any:
    """Run app.py once with ``kb`` injected and the given query parameters."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if kb is not None:
        at.session_state["kb"] = kb
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def shown(markup: str) -> str:
    """``markup`` with the numeric character references of ``render.esc`` decoded.

    ``esc`` writes every ASCII punctuation of document text as ``&#NN;`` (and ``<``, ``>``, ``&``,
    ``"`` as ``&lt;`` ...), so tests can look for document text with punctuation in it; the named
    references stay, so ``<script`` in the result is still real markup.
    """
    return re.sub(r"&#(\d+);", lambda m: chr(int(m[1])), markup)


def html_of(at: Any) -> str:
    return shown("\n".join(str(m.value) for m in at.markdown))


def cards(at: Any) -> list[str]:
    return [shown(str(m.value)) for m in at.markdown if 'class="kb-card"' in str(m.value)]
