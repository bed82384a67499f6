"""Attention in calibrated int8 (index.e5smooth): which products are rewritten, and what smoothing buys.

Fast tier: one-node ONNX graphs with synthetic weights and activations that have outlier channels,
as a transformer's do. The real model is checked in ``test_e5convert.py`` (slow).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from index.e5smooth import attention_products, calibration_texts, smooth_attention, smoothed_int8

ort = pytest.importorskip("onnxruntime")


def _graph(*shapes: tuple[int, int], seed: int = 0) -> Any:
    """``x -> MatMul(w0) -> MatMul(w1) ...`` with weights of ``shapes``."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes, inits, x = [], [], "x"
    for i, (k, n) in enumerate(shapes):
        inits.append(numpy_helper.from_array((rng.normal(size=(k, n)) * 0.05).astype(np.float32), f"w{i}"))
        nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [f"y{i}"], name=f"mm{i}"))
        x = f"y{i}"
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", shapes[0][0]])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["rows", shapes[-1][1]])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _activations(rows: int, k: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(rows, k)).astype(np.float32)
    x[:, 3] *= 60.0  # an outlier channel, as after a LayerNorm with a large gain
    return x


def _run(model: Any, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_only_square_weights_count_as_attention_products() -> None:
    model = _graph((64, 64), (64, 256), (256, 64))
    assert [n.name for n in attention_products(model)] == ["mm0"]


def test_the_smoothed_product_keeps_the_fp32_result_where_plain_int8_loses_it() -> None:
    """With an outlier channel, one activation scale per matrix flattens every other channel; moving the
    outlier into the weights first keeps the product (and smoothing with alpha 0 is plain int8)."""
    rng = np.random.default_rng(1)
    weight = (rng.normal(size=(64, 64)) * 0.05).astype(np.float32)
    x = _activations(25, 64, seed=2)
    exact = x @ weight
    errors = {}
    for alpha in (0.0, 0.7):
        inverse, q, scales = smoothed_int8(weight, np.abs(x).max(axis=0), alpha)
        xs = x * inverse
        step = (xs.max() - min(xs.min(), 0.0)) / 255.0  # per-matrix uint8, as DynamicQuantizeMatMul rounds
        rounded = np.rint((xs - min(xs.min(), 0.0)) / step) * step + min(xs.min(), 0.0)
        errors[alpha] = float(np.abs(rounded @ (q * scales) - exact).mean() / np.abs(exact).mean())
    assert errors[0.7] < errors[0.0] / 3, errors


def test_the_rewritten_graph_runs_in_onnx_runtime_close_to_fp32() -> None:
    model = _graph((64, 64), (64, 128))
    x = _activations(20, 64, seed=3)
    exact = _run(model, x)
    assert smooth_attention(model, lambda text: {"x": _activations(8, 64, seed=len(text))}, ["a", "bb", "ccc"]) == 1
    ops = [n.op_type for n in model.graph.node]
    assert ops == ["Mul", "DynamicQuantizeMatMul", "MatMul"]  # the non-square product is left alone
    assert "w0" not in {init.name for init in model.graph.initializer}  # the fp32 weight is gone
    got = _run(model, x)
    cosine = np.sum(got * exact, axis=1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(exact, axis=1))
    assert cosine.mean() > 0.9995 and cosine.min() > 0.995


def test_calibration_text_is_query_like_lines_in_the_four_languages() -> None:
    lines = calibration_texts()
    assert len(lines) == 300 and all(2 <= len(line.split()) <= 40 for line in lines)
    assert any("frontera" in line for line in lines) and any("border" in line for line in lines)
