"""Config precedence: defaults < kb.toml < KB_* environment < explicit overrides, each typed."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from kb.config import SETTINGS, Config


@pytest.fixture(autouse=True)
def _no_kb_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for f in fields(Config):
        monkeypatch.delenv(f"KB_{f.name.upper()}", raising=False)


def write_toml(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kb.toml").write_text(text, encoding="utf-8")
    return folder


def test_defaults_without_file_environment_or_overrides(tmp_path: Path) -> None:
    assert Config.load(tmp_path) == Config()
    assert Config.load(None) == Config()
    assert set(SETTINGS) == {f.name for f in fields(Config)}  # every setting documented, none extra


def test_each_layer_overrides_the_one_below(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb_dir = write_toml(tmp_path / "kb", 'candidates = 50\ncompact_segments = 3\nrrf_k = 10\nembedder = "use"\n')
    cfg = Config.load(kb_dir)
    assert (cfg.candidates, cfg.compact_segments, cfg.rrf_k, cfg.embedder) == (50, 3, 10, "use")
    assert cfg.chunk_words == Config().chunk_words  # untouched settings keep their defaults

    monkeypatch.setenv("KB_COMPACT_SEGMENTS", "5")
    monkeypatch.setenv("KB_RRF_K", "20")
    cfg = Config.load(kb_dir)
    assert (cfg.candidates, cfg.compact_segments, cfg.rrf_k) == (50, 5, 20)  # the environment beats the file

    cfg = Config.load(kb_dir, rrf_k=30, candidates=None)
    assert (cfg.candidates, cfg.compact_segments, cfg.rrf_k) == (50, 5, 30)  # overrides beat both; None is "unset"


def test_environment_strings_are_coerced_to_each_settings_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_CANDIDATES", "250")
    monkeypatch.setenv("KB_FILE_TIMEOUT_S", "2.5")
    monkeypatch.setenv("KB_DENSE_WEIGHT", "2")
    monkeypatch.setenv("KB_USE_NER", "no")
    monkeypatch.setenv("KB_OCR", "YES")
    monkeypatch.setenv("KB_FAST_QUERIES", "0")
    cfg = Config.load(None)
    assert cfg.candidates == 250 and type(cfg.candidates) is int
    assert cfg.file_timeout_s == 2.5 and type(cfg.file_timeout_s) is float
    assert cfg.dense_weight == 2.0 and type(cfg.dense_weight) is float
    assert (cfg.use_ner, cfg.ocr, cfg.fast_queries) == (False, True, False)


def test_file_and_override_values_are_coerced_too(tmp_path: Path) -> None:
    kb_dir = write_toml(tmp_path / "kb", "sparse_weight = 2\nmax_pages = 10.0\nuse_ner = false\n")
    cfg = Config.load(kb_dir, chunk_words="90", ocr="off")
    assert cfg.sparse_weight == 2.0 and type(cfg.sparse_weight) is float
    assert cfg.max_pages == 10 and type(cfg.max_pages) is int
    assert cfg.chunk_words == 90 and (cfg.use_ner, cfg.ocr) == (False, False)


def test_unknown_or_untypable_settings_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown setting.*chunk_size"):
        Config.load(write_toml(tmp_path / "a", "chunk_size = 100\n"))
    with pytest.raises(ValueError, match="unknown setting.*colour"):
        Config.load(None, colour="blue")
    monkeypatch.setenv("KB_CANDIDATES", "many")
    with pytest.raises(ValueError):
        Config.load(None)


def test_every_setting_has_help_and_is_in_the_readme() -> None:
    """SETTINGS (help lines), the Config fields and the README's Settings section name the same settings."""
    from dataclasses import fields

    from kb.config import SETTINGS, Config
    from tests.helpers import ROOT

    names = {f.name for f in fields(Config)}
    assert set(SETTINGS) == names
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("## Settings") :]
    section = section[: section.index("\n## ", 5)]
    assert [n for n in sorted(names) if f"`{n}`" not in section] == []
