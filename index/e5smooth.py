"""The query encoder's attention projections in int8: SmoothQuant-calibrated, with ONNX Runtime's fast int8 kernel.

ONNX Runtime's block kernel (``MatMulNBits``, :mod:`index.e5nbits`) keeps e5's 4-bit weights and
per-row activations, but at a query's ~25 rows it runs at a fifth of what the machine's int8
arithmetic allows; ``DynamicQuantizeMatMul`` (one activation scale per matrix, int8 weights per
column) runs 2.5x faster and loses too much where activations have outlier channels: the whole
model that way drops cross-language R@1 by 0.01-0.02 (README, "Query encoder int8").

SmoothQuant (Xiao et al., 2023) moves those outliers into the weights before rounding: each input
channel ``k`` of a product ``A @ W`` is divided by ``s_k`` in the activations and multiplied by it in
the weights (the product is unchanged), with ``s_k = max|A_k|^alpha / max|W_k|^(1-alpha)`` from
activation peaks measured on calibration text. Here it is applied to the four attention projections
(query, key, value, output: the square weights) only; the feed-forward products keep e5's exact blocks.
That split was measured (README, Performance): the whole model smoothed gains more speed but lowers
cross-language XQuAD R@1 by 0.003-0.005; attention alone keeps every figure within 0.002 of fp32.

Activations are rounded per matrix, so a row's vector depends on the rows beside it: this copy
encodes one text per run (:class:`index.e5onnx.OnnxE5` reads ``rows_per_run`` from its metadata).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.onnxrewrite import Replacement, replace_products

ALPHA = 0.7  # how much of an outlier moves into the weights (SmoothQuant's migration strength)
CALIBRATION = Path(__file__).resolve().parent / "data" / "calibration.txt"


def calibration_texts() -> list[str]:
    """Query-like lines of glossary terms in the four languages (``scripts/calibration_texts.py`` writes them)."""
    return [line for line in CALIBRATION.read_text(encoding="utf-8").splitlines() if line.strip()]


def attention_products(model: Any) -> list[Any]:
    """The ``MatMul`` nodes whose right operand is a square 2-D float weight: attention's projections."""
    shapes = {init.name: tuple(init.dims) for init in model.graph.initializer if init.data_type == 1}
    out = []
    for node in model.graph.node:
        dims = shapes.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if dims is not None and len(dims) == 2 and dims[0] == dims[1]:
            out.append(node)
    return out


def activation_peaks(model: Any, inputs: Sequence[str], encode: Any, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Per-channel ``max |a|`` of each tensor in ``inputs`` over ``texts``; ``encode(text)`` gives the model's
    ``input_ids`` and ``attention_mask`` feed for one text."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for name in inputs:
        probe.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    peaks: dict[str, np.ndarray] = {}
    for text in texts:
        for name, value in zip(inputs, session.run(list(inputs), encode(text)), strict=True):
            peak = np.abs(value.reshape(-1, value.shape[-1])).max(axis=0)
            peaks[name] = np.maximum(peaks[name], peak) if name in peaks else peak
    return peaks


def smoothed_int8(weight: np.ndarray, peak: np.ndarray, alpha: float = ALPHA) -> tuple[np.ndarray, ...]:
    """``(1/s, int8 weights, per-column scales)`` such that ``(a / s) @ (q * scales) ~= a @ weight``."""
    s = np.maximum(peak, 1e-5) ** alpha / np.maximum(np.abs(weight).max(axis=1), 1e-5) ** (1 - alpha)
    moved = weight * s[:, None]
    scales = np.abs(moved).max(axis=0) / 127.0
    scales[scales == 0] = 1.0
    q = np.clip(np.rint(moved / scales), -127, 127).astype(np.int8)
    return (1.0 / s).astype(np.float32), q, scales.astype(np.float32)


def smooth_attention(model: Any, encode: Any, texts: Sequence[str], alpha: float = ALPHA) -> int:
    """Rewrite, in place, attention's projections into ``Mul(1/s)`` + ``DynamicQuantizeMatMul``, calibrated on
    ``texts``; returns how many were rewritten."""
    from onnx import helper

    products = attention_products(model)
    if not products:
        return 0
    targets = {id(node) for node in products}
    peaks = activation_peaks(model, sorted({node.input[0] for node in products}), encode, texts)

    def smoothed(node: Any, weight: np.ndarray) -> Replacement | None:
        if id(node) not in targets:
            return None
        name, x = node.input[1], node.input[0]
        inverse, q, scales = smoothed_int8(weight, peaks[x], alpha)
        mul = helper.make_node("Mul", [x, f"{name}_inv"], [f"{name}_smoothed"], name=f"{node.name}_smooth")
        product = helper.make_node(
            "DynamicQuantizeMatMul",
            [f"{name}_smoothed", f"{name}_q", f"{name}_qscale"],
            list(node.output),
            name=f"{node.name}_int8",
            domain="com.microsoft",
        )
        return [(f"{name}_inv", inverse), (f"{name}_q", q), (f"{name}_qscale", scales)], [mul, product]

    return replace_products(model, smoothed)
