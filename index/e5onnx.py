"""ONNX Runtime copies of the converted e5 model: an optional int8 one, and an fp32 one for queries.

The int8 copy is faster, slightly less exact, and its own embedder family. The fp32 copy gives
the sentence-transformers vectors (cosine >= 0.9999) without importing torch, transformers or
sentence-transformers, which take most of a cold start: a search in a new process answers in
about two seconds instead of fifteen. It embeds queries only; passages keep the configured embedder.

sentence-transformers' own ``backend="onnx"`` needs optimum-onnx, which pins an older
transformers, so the converted ``BertModel`` is exported with ``torch.onnx.export`` and its
weights quantised to int8 per output channel with ONNX Runtime's dynamic quantisation.
Encoding needs only onnxruntime, tokenizers and numpy (no torch): mean pooling over the
attention mask, then L2 normalisation, exactly as the sentence-transformers folder does.
Its vectors are close to, but not interchangeable with, the fp32 ones: it is its own family.
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.atomic import building_directory
from index.embed import E5_FAMILY, EmbedderInfo

MODEL_FILE = "model_int8.onnx"
FLOAT_FILE = "model_fp32.onnx"
NBITS_FILE = "model_nbits.onnx"  # built by index.e5nbits from the fp32 copy
BATCH_SIZE = 32


def export_int8(st_folder: Path, out_dir: Path) -> Path:
    """Export ``st_folder``'s BertModel to ONNX, quantise it to int8 and write ``out_dir``."""
    return _export(st_folder, out_dir, quantise=True)


def export_fp32(st_folder: Path, out_dir: Path) -> Path:
    """Export ``st_folder``'s BertModel to ONNX in fp32 (the query encoder) into ``out_dir``."""
    return _export(st_folder, out_dir, quantise=False)


def _export(st_folder: Path, out_dir: Path, quantise: bool) -> Path:
    """Export to ``out_dir``: the model, the folder's ``tokenizer.json`` and a small
    ``onnx_e5.json`` with the prompts and maximum length; it is written beside and renamed into
    place so a half-written export is never picked up.
    """
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import BertModel

    st_folder, out_dir = Path(st_folder), Path(out_dir)
    with building_directory(out_dir) as tmp:
        model = BertModel.from_pretrained(str(st_folder), add_pooling_layer=False, attn_implementation="eager")
        model.eval()
        encoder = _Encoder(model)
        ids = torch.tensor([[0, 10, 20, 30, 2], [0, 11, 2, 1, 1]], dtype=torch.long)
        mask = (ids != 1).long()
        # The tracer's warnings concern shapes this fixed-rank encoder never varies; keep them quiet.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                encoder,
                (ids, mask),
                str(tmp / FLOAT_FILE),
                input_names=["input_ids", "attention_mask"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "sequence"},
                    "attention_mask": {0: "batch", 1: "sequence"},
                    "last_hidden_state": {0: "batch", 1: "sequence"},
                },
                opset_version=17,
                dynamo=False,
            )
        del model, encoder
        if quantise:
            quantize_dynamic(
                str(tmp / FLOAT_FILE), str(tmp / MODEL_FILE), per_channel=True, weight_type=QuantType.QInt8
            )
            (tmp / FLOAT_FILE).unlink()
        shutil.copyfile(st_folder / "tokenizer.json", tmp / "tokenizer.json")
        prompts = json.loads((st_folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        max_len = json.loads((st_folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        meta = {"prompts": prompts.get("prompts", {}), "max_seq_length": max_len.get("max_seq_length", 512)}
        (tmp / "onnx_e5.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out_dir


def _Encoder(model: Any) -> Any:
    """Wrap the BertModel so the export sees keyword inputs and one plain tensor output."""
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    return Encoder()


class OnnxE5:
    """Encode with the int8 ONNX model: tokenizers for tokens, ONNX Runtime for the encoder."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(folder)
        meta = json.loads((folder / "onnx_e5.json").read_text(encoding="utf-8"))
        self.prompts: dict[str, str] = dict(meta["prompts"])
        # a copy that rounds activations per run (index.e5smooth) encodes one text per run, so that a
        # text's vector does not depend on the texts beside it
        self._rows = int(meta.get("rows_per_run", BATCH_SIZE))
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(meta["max_seq_length"]))
        pad_id = self._tokenizer.token_to_id("<pad>")
        self._pad_id = 1 if pad_id is None else pad_id
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        # Idle intra-op threads otherwise spin for a while after each run, on the cores the rest of
        # the search (FAISS, BM25, snippets) needs next: on two cores that doubled a search's time.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        model = next((folder / f for f in (MODEL_FILE, NBITS_FILE) if (folder / f).is_file()), folder / FLOAT_FILE)
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    def feed(self, texts: Sequence[str], prompt: str = "") -> dict[str, np.ndarray]:
        """The model's inputs for ``prompt + text`` of each text (token ids and mask, padded to the longest)."""
        return self._inputs([e.ids for e in self._tokenizer.encode_batch([prompt + t for t in texts])])

    def _inputs(self, token_ids: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
        width = max(len(ids) for ids in token_ids)
        ids = np.full((len(token_ids), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(token_ids), width), dtype=np.int64)
        for r, row in enumerate(token_ids):
            ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        return {"input_ids": ids, "attention_mask": mask}

    def encode(self, texts: Sequence[str], prompt: str = "") -> np.ndarray:
        """Return ``(len(texts), 384)`` L2-normalised float32 vectors of ``prompt + text``.

        Texts are batched by length, which saves padding work. Dynamic int8 quantisation scales
        activations per batch, so a vector can shift slightly with its batch companions; a copy whose
        metadata says ``rows_per_run: 1`` (the block copy) is run one text at a time instead.
        """
        vectors = np.zeros((len(texts), 384), dtype=np.float32)
        encodings = self._tokenizer.encode_batch([prompt + t for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self._rows):
            rows = order[start : start + self._rows]
            inputs = self._inputs([encodings[i].ids for i in rows])
            (hidden,) = self._session.run(None, inputs)
            weights = inputs["attention_mask"][:, :, None].astype(np.float32)
            vectors[rows] = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


def built(out_dir: Path, model_file: str, build: Callable[[Path], Path]) -> Path:
    """``out_dir`` holding ``model_file``: built by ``build(out_dir)`` unless it is there already.

    A build writes beside and renames into place; when the rename fails because a concurrent build
    (another process, the same install) finished first, that one's folder is the answer.
    """
    if (out_dir / model_file).is_file():
        return out_dir
    try:
        return build(out_dir)
    except OSError:
        if (out_dir / model_file).is_file():
            return out_dir
        raise


def ensure_int8(cache_dir: Path | None = None) -> Path:
    """Convert (if needed) and export (if needed) the int8 model; returns its folder."""
    from index import e5convert

    st_folder = e5convert.ensure_converted(cache_dir)
    return built(int8_folder(st_folder), MODEL_FILE, lambda out: export_int8(st_folder, out))


def ensure_fp32(cache_dir: Path | None = None) -> Path:
    """Convert (if needed) and export (if needed) the fp32 query encoder; returns its folder."""
    from index import e5convert

    return fp32_copy(e5convert.ensure_converted(cache_dir))


def fp32_copy(st_folder: Path) -> Path:
    """The fp32 query encoder of the converted folder ``st_folder``, exported (with torch) if needed."""
    return built(fp32_folder(st_folder), FLOAT_FILE, lambda out: export_fp32(st_folder, out))


def fp32_folder(st_folder: Path) -> Path:
    return st_folder.parent / f"{st_folder.name}-onnx-fp32"


def int8_folder(st_folder: Path) -> Path:
    return st_folder.parent / f"{st_folder.name}-onnx-int8"


def nbits_folder(st_folder: Path) -> Path:
    return st_folder.parent / f"{st_folder.name}-onnx-nbits2"  # 2: attention in int8 (index.e5smooth)


def ready_query_encoder(
    cache_dir: Path | None = None, *, int8: bool = False, nbits: bool = False, threads: int | None = None
) -> OnnxE5QueryEncoder | None:
    """The query encoder when it has been built (never builds one: the fp32 export needs torch), else None.

    ``int8``: the int8 copy, matched against fp32 passages (see the README's figures); else, with
    ``nbits``, the block copy of :mod:`index.e5nbits` (same family, ~24% less CPU) when built, else
    the fp32 copy.
    """
    from index import e5convert

    try:
        st_folder = e5convert.converted_folder(cache_dir)
        if int8:
            choices = [(int8_folder(st_folder), MODEL_FILE)]
        else:
            choices = [(nbits_folder(st_folder), NBITS_FILE)] if nbits else []
            choices.append((fp32_folder(st_folder), FLOAT_FILE))
        for folder, name in choices:
            if (folder / name).is_file():
                try:
                    return OnnxE5QueryEncoder(folder, threads)
                except Exception:  # noqa: BLE001 - a broken copy only costs speed: try the next one
                    continue
        return None
    except Exception:  # noqa: BLE001 - a broken copy only costs speed: the caller falls back
        return None


class OnnxE5QueryEncoder:
    """Queries for the ``e5`` family through an ONNX copy (fp32 or blocks: same vectors; int8), no torch import."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        self._model = OnnxE5(folder, threads)
        kinds = ((MODEL_FILE, "int8"), (NBITS_FILE, "nbits"))
        kind = next((k for f, k in kinds if (folder / f).is_file()), "fp32")
        self.info = EmbedderInfo(f"e5-onnx-{kind}", E5_FAMILY, f"onnx-{kind}", 384)

    def embed(self, texts: Sequence[str], kind: Any) -> np.ndarray:
        return self._model.encode(list(texts), self._model.prompts.get(kind, ""))


class OnnxE5Embedder:
    """The ``e5-int8`` embedder: :class:`OnnxE5` behind the project's ``Embedder`` interface."""

    def __init__(self, folder: Path) -> None:
        self._model = OnnxE5(folder)
        self.info = EmbedderInfo("e5-int8", E5_FAMILY + "#onnx-int8", "onnx-int8", 384)

    def embed(self, texts: Sequence[str], kind: Any) -> np.ndarray:
        return self._model.encode(list(texts), self._model.prompts.get(kind, ""))


def load_int8_embedder(cache_dir: Path | None = None) -> OnnxE5Embedder:
    """What ``index.models.load_embedder("e5-int8")`` calls."""
    return OnnxE5Embedder(ensure_int8(cache_dir))
