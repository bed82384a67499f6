"""The precedent finder's drafts are parsed like ingested files: in the sandbox, with the kb's limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.readers.docx import MAX_XML_ELEMENTS
from kb.service import KnowledgeBase
from tests.helpers import FakeEmbedder, cards, docx_bytes, paragraph_bomb, run_app, shown


def test_a_docx_bomb_draft_is_refused_with_its_figure_and_a_normal_draft_works(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, page="precedents")
    at.get("file_uploader")[0].set_value(("borrador.docx", paragraph_bomb(), "application/octet-stream")).run()
    assert not at.exception
    [error] = at.error
    text = shown(error.value)  # as the user reads it: esc writes punctuation as character references
    assert "borrador.docx" in text and "too_large" in text and f"{MAX_XML_ELEMENTS:,}" in text
    assert not cards(at)
    draft = docx_bytes("Joint patrols against fuel smuggling on the river at Rumichaca bridge.", "National Police.")
    at.get("file_uploader")[0].set_value(("borrador.docx", draft, "application/octet-stream")).run()
    assert not at.exception and not at.error
    assert any("Technical visit to Rumichaca" in c for c in cards(at))


def test_a_draft_is_parsed_in_the_sandbox_with_the_kbs_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A parser that never finishes on the draft is stopped at the kb's file_timeout_s, in another process."""
    import ingest.sandbox as sandbox
    from tests.helpers import sleepy_reader  # hangs on files named hang*

    seen: list[Any] = []
    real = sandbox.read_isolated

    def hanging(path: Path, limits: Any) -> Any:
        seen.append(limits)
        return real(path, limits, reader=sleepy_reader)

    monkeypatch.setattr(sandbox, "read_isolated", hanging)
    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), file_timeout_s=1.5) as kb:
        with pytest.raises(ValueError, match=r"^timeout: parsing took longer than 1.5 s"):
            kb.read_upload("hang.txt", b"Borrador sobre el control migratorio en Desaguadero.")
        assert kb.read_upload("nota.txt", b"Borrador sobre Desaguadero.") == "Borrador sobre Desaguadero."
        [limits, _] = seen
        assert limits.timeout_s == 1.5 and limits.max_memory_mb == kb.config.max_parser_memory_mb
        assert not [p for p in (Path(kb.root) / "uploads").iterdir()], "the draft is not kept"
