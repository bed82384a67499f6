"""One configuration object, from defaults, an optional ``kb.toml`` and ``KB_*`` environment variables.

The fields of :class:`Config` are the settings (their types drive the coercion of ``kb.toml`` and
environment values); :data:`SETTINGS` holds one help line for each, and a test keeps the two in step
with the README's Settings section.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

#: name -> (help text). The defaults live on :class:`Config`.
SETTINGS: dict[str, str] = {
    "embedder": "embedder: e5 (default), e5-engine, e5-int8, use, minilm, or st:/path/to/model",
    "device": "where the embedder runs: auto (a CUDA GPU when torch sees one, else cpu), cpu or cuda",
    "chunk_words": "target words per chunk (chunks stay well under the embedder's 512 tokens)",
    "chunk_max_words": "hard cap of words per chunk",
    "use_ner": "run spaCy NER besides the gazetteer (PERSON, ORG, PLACE)",
    "ocr": "OCR image-only PDF pages with Tesseract when it is installed",
    "ocr_langs": "Tesseract languages",
    "max_file_mb": "files larger than this are skipped as too_large",
    "max_pages": "PDFs with more pages are skipped as too_large",
    "file_timeout_s": "per-file parsing time budget; a slower file is skipped as timeout",
    "max_chunks_per_doc": "documents that cut into more chunks than this are skipped as too_large",
    "max_parser_memory_mb": "memory cap (MB) of a parser and its OCR; a file that needs more is skipped as too_large",
    "rrf_k": "reciprocal-rank-fusion constant",
    "dense_weight": "weight of the dense ranking in fusion",
    "sparse_weight": "weight of the BM25 ranking in fusion when the query language matches the passage",
    "candidates": "candidates taken from each ranking before fusion",
    "document_fusion": "fuse document ranks (each document at its best passage per ranking) rather than passage ranks",
    "foreign_name_rank": "query names a specific entity: a foreign passage BM25 found counts its better rank twice",
    "language_centring": "share of the query language's mean passage vector taken out of dense scores (0: none)",
    "foreign_unseen_offset": "a foreign passage BM25 did not find: its dense rank plus this stands in for BM25",
    "score_fusion": "fuse normalised scores instead of ranks, unless the query names a specific entity",
    "foreign_unseen_score": "score fusion: a foreign passage BM25 did not find stands in its dense score less this",
    "title_weight": "weight of BM25's title field (the document's title, for passages that lack it; 0: body only)",
    "entity_sparse_weight": "weight of the BM25 ranking in fusion when the query names a known (gazetteer) entity",
    "feedback_passages": "other-language dense hits feeding terms back into the BM25 query (0, the default: none)",
    "feedback_terms": "terms fed back from them",
    "feedback_weight": "weight of the fed-back terms in the BM25 query",
    "glossary_weight": "weight of the glossary's other-language terms in the BM25 query (0: no glossary expansion)",
    "compact_segments": "compact automatically when more live segments than this exist",
    "ivf_threshold": "segments with more chunks than this use an approximate IVF index",
    "fast_queries": "embed queries with the fp32 ONNX copy of e5 when exported (same vectors, fast cold start)",
    "session_hours": "hours a login session (app or REST API) lasts before the user signs in again",
    "query_threads": "threads of the ONNX query encoder (0: one per core; kb serve --workers N shares the cores out)",
    "query_batch": "queries of overlapping searches embedded in one encoder run, at most this many (0: each alone)",
    "query_nbits": "embed queries with the block copy of e5 (4-bit weights, int8 activations; same vectors) if built",
    "query_int8": "embed queries (not documents) with the int8 ONNX copy of e5 when exported (faster; see README)",
    "watch_hook_hosts": "hosts a watched search's webhook may call, comma-separated (* for any); loopback by default",
    "watch_min_similarity": "a new passage also matches a watch when its dense similarity reaches this (0: words only)",
}


@dataclass(frozen=True, slots=True)
class Config:
    embedder: str = "e5"
    device: str = "auto"
    chunk_words: int = 160
    chunk_max_words: int = 220
    use_ner: bool = True
    ocr: bool = True
    ocr_langs: str = "spa+eng+por+fra"
    max_file_mb: int = 200
    max_pages: int = 2000
    file_timeout_s: float = 180.0
    max_chunks_per_doc: int = 2500  # the largest real document, a 1 MB legal code, makes 1,562
    max_parser_memory_mb: int = 2048
    rrf_k: int = 60
    dense_weight: float = 1.0
    sparse_weight: float = 1.0
    candidates: int = 100
    glossary_weight: float = 0.5
    feedback_passages: int = 0
    feedback_terms: int = 15
    feedback_weight: float = 0.3
    entity_sparse_weight: float = 2.0
    document_fusion: bool = False
    title_weight: float = 1.0
    foreign_name_rank: bool = True
    foreign_unseen_offset: int = 3
    score_fusion: bool = True
    foreign_unseen_score: float = 0.3
    language_centring: float = 0.3
    compact_segments: int = 8
    ivf_threshold: int = 200_000
    fast_queries: bool = True
    session_hours: float = 12.0
    query_int8: bool = False
    query_nbits: bool = True
    query_batch: int = 16
    query_threads: int = 0
    watch_hook_hosts: str = "127.0.0.1,localhost,::1"
    watch_min_similarity: float = 0.0

    @classmethod
    def load(cls, kb_dir: Path | None = None, **overrides: Any) -> Config:
        """Defaults, then ``<kb_dir>/kb.toml``, then ``KB_<NAME>`` variables, then ``overrides``."""
        cfg = cls()
        values: dict[str, Any] = {}
        if kb_dir is not None and (kb_dir / "kb.toml").is_file():
            with open(kb_dir / "kb.toml", "rb") as fh:
                values.update(tomllib.load(fh))
        for f in fields(cls):
            env = os.environ.get(f"KB_{f.name.upper()}")
            if env is not None:
                values[f.name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        typed = {f.name: _coerce(values[f.name], type(getattr(cfg, f.name))) for f in fields(cls) if f.name in values}
        return replace(cfg, **typed)


def _coerce(value: Any, kind: type) -> Any:
    if kind is bool and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return kind(value)


def default_kb_path() -> Path:
    """``KB_PATH`` if set, else the bundled corpus's knowledge base when run from the repository
    (``.kb/corpus``, built by ``make run``), else a per-user data directory."""
    env = os.environ.get("KB_PATH")
    if env:
        return Path(env).expanduser()
    local = Path(".kb") / "corpus"
    if (local / "manifest.json").is_file():
        return local.resolve()
    return Path(user_data_dir("kb", appauthor=False)) / "default"
