"""The block copy of the query encoder: Q4_0 blocks recovered exactly, MatMul rewritten, the right copy picked.

Fast tier: small synthetic matrices and a one-node ONNX graph. The real model (vectors against
sentence-transformers, alone or batched) is checked in ``test_e5convert.py`` (slow).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.e5nbits import BLOCK, BlockError, q4_blocks, to_nbits


def q4_matrix(rng: np.random.Generator, k: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``(k, n)`` weight made the way llama.cpp's Q4_0 makes one: per block of 32 along k, the
    largest-magnitude weight is code 0 (-8 x scale), scales are fp16 numbers of either sign."""
    codes = rng.integers(1, 16, size=(n, k // BLOCK, BLOCK)).astype(np.uint8)
    codes[:, :, 0] = 0  # the peak of each block
    rng.permuted(codes, axis=2, out=codes)
    scale = (rng.normal(size=(n, k // BLOCK)) * 0.01).astype(np.float16).astype(np.float32)
    weight = ((codes.astype(np.float32) - 8.0) * scale[..., None]).reshape(n, k).T
    return np.ascontiguousarray(weight), codes, scale


def test_q4_blocks_are_recovered_bit_for_bit() -> None:
    weight, codes, scale = q4_matrix(np.random.default_rng(1), 96, 5)
    got_codes, got_scale = q4_blocks(weight)
    assert np.array_equal(got_codes, codes) and np.array_equal(got_scale, scale)


def test_a_zero_block_is_kept() -> None:
    weight, _, _ = q4_matrix(np.random.default_rng(2), 64, 3)
    weight[:BLOCK, 1] = 0.0
    codes, scale = q4_blocks(weight)
    assert scale[1, 0] == 0 and np.array_equal(
        (codes.astype(np.float32) - 8) * scale[..., None], weight.T.reshape(3, 2, 32)
    )


@pytest.mark.parametrize("damage", ["float", "shape"])
def test_a_matrix_that_is_not_q4_is_refused(damage: str) -> None:
    """A fine-tuned or foreign model must not be silently re-rounded into other weights."""
    rng = np.random.default_rng(3)
    weight = rng.normal(size=(64, 4)).astype(np.float32) if damage == "float" else q4_matrix(rng, 64, 4)[0][:40]
    with pytest.raises(BlockError):
        q4_blocks(weight)


def _graph(weight: np.ndarray):  # type: ignore[no-untyped-def]
    from onnx import TensorProto, helper, numpy_helper

    k, n = weight.shape
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["rows", n])],
        [numpy_helper.from_array(weight, "w")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_the_rewritten_product_computes_the_same_as_fp32(tmp_path: Path) -> None:
    """MatMulNBits over the blocks gives the fp32 product up to int8 rounding of each row's activations
    (per block of 32), and a row's result does not depend on the other rows."""
    ort = pytest.importorskip("onnxruntime")
    import onnx

    rng = np.random.default_rng(4)
    weight, _, _ = q4_matrix(rng, 128, 48)
    model = _graph(weight)
    assert to_nbits(model) == 1
    assert [node.op_type for node in model.graph.node] == ["MatMulNBits"]
    assert [init.name for init in model.graph.initializer] == ["w_blocks", "w_scales"]  # the fp32 weight is gone
    onnx.save(model, str(tmp_path / "m.onnx"))
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    x = rng.normal(size=(6, 128)).astype(np.float32)
    (y,) = session.run(None, {"x": x})
    exact = x @ weight
    cosine = np.sum(y * exact, axis=1) / (np.linalg.norm(y, axis=1) * np.linalg.norm(exact, axis=1))
    assert cosine.min() > 0.999
    (alone,) = session.run(None, {"x": x[:1]})
    np.testing.assert_allclose(alone[0], y[0], rtol=1e-5, atol=1e-6)


def test_a_graph_without_weights_is_left_alone() -> None:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["y"])],
        "g",
        [helper.make_tensor_value_info(v, TensorProto.FLOAT, [2, 2]) for v in "ab"],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])],
    )
    model = helper.make_model(graph)
    assert to_nbits(model) == 0 and model.graph.node[0].op_type == "MatMul"


def test_ready_query_encoder_prefers_the_block_copy_then_fp32(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``nbits``: the block copy when built, else the fp32 copy; int8 only when asked; nothing when neither."""
    from index import e5convert, e5onnx

    st = tmp_path / "models" / "e5"
    monkeypatch.setattr(e5convert, "converted_folder", lambda cache_dir=None: st)
    monkeypatch.setattr(e5onnx, "OnnxE5QueryEncoder", lambda folder, threads=None: folder.name)
    assert e5onnx.ready_query_encoder(nbits=True) is None
    for folder, name in ((e5onnx.fp32_folder(st), e5onnx.FLOAT_FILE), (e5onnx.nbits_folder(st), e5onnx.NBITS_FILE)):
        folder.mkdir(parents=True)
        (folder / name).write_bytes(b"")
    assert e5onnx.ready_query_encoder(nbits=True) == "e5-onnx-nbits2"
    assert e5onnx.ready_query_encoder(nbits=False) == "e5-onnx-fp32"
    assert e5onnx.ready_query_encoder(int8=True, nbits=True) is None


def test_the_service_asks_for_the_block_copy_unless_told_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from index import e5onnx
    from kb.service import KnowledgeBase

    asked: list[bool] = []

    def ready(cache_dir: object = None, *, int8: bool = False, nbits: bool = False, threads: int | None = None) -> str:
        asked.append(nbits)
        return "encoder"

    monkeypatch.setattr(e5onnx, "ready_query_encoder", ready)
    for setting in (True, False):
        kb = KnowledgeBase.open(tmp_path / "kb", query_nbits=setting)
        assert kb.query_embedder == "encoder"
        kb.close()
    assert asked == [True, False]


def test_a_block_copy_the_runtime_cannot_load_falls_back_to_fp32(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older ONNX Runtime without 8-bit MatMulNBits: the session fails, queries go through the fp32 copy."""
    from index import e5convert, e5onnx

    st = tmp_path / "models" / "e5"
    monkeypatch.setattr(e5convert, "converted_folder", lambda cache_dir=None: st)

    def encoder(folder: Path, threads: int | None = None) -> str:
        if folder == e5onnx.nbits_folder(st):
            raise RuntimeError("Could not find an implementation for MatMulNBits")
        return folder.name

    monkeypatch.setattr(e5onnx, "OnnxE5QueryEncoder", encoder)
    for folder, name in ((e5onnx.fp32_folder(st), e5onnx.FLOAT_FILE), (e5onnx.nbits_folder(st), e5onnx.NBITS_FILE)):
        folder.mkdir(parents=True)
        (folder / name).write_bytes(b"")
    assert e5onnx.ready_query_encoder(nbits=True) == "e5-onnx-fp32"
