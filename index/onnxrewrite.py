"""Replacing an ONNX model's weight products: the one graph rewrite the block copy and its int8 attention share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

#: what a rewrite puts in place of one product: arrays to add as initialisers (name, array) and the nodes
Replacement = tuple[list[tuple[str, np.ndarray]], list[Any]]


def replace_products(model: Any, rewrite: Callable[[Any, np.ndarray], Replacement | None]) -> int:
    """Replace, in place, each ``MatMul`` whose right operand is a 2-D float32 weight for which ``rewrite(node,
    weight)`` gives a :data:`Replacement` (``None`` keeps the node); the replaced weights are dropped and the
    ``com.microsoft`` operator set is declared. Returns how many products were replaced."""
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    nodes, dropped = [], set()
    for node in graph.node:
        init = weights.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        array = numpy_helper.to_array(init) if init is not None else None
        done = rewrite(node, array) if array is not None and array.ndim == 2 and array.dtype == np.float32 else None
        if done is None:
            nodes.append(node)
            continue
        added, new_nodes = done
        graph.initializer.extend(numpy_helper.from_array(a, name) for name, a in added)
        nodes.extend(new_nodes)
        dropped.add(node.input[1])
    kept = [init for init in graph.initializer if init.name not in dropped]
    del graph.node[:], graph.initializer[:]
    graph.node.extend(nodes)
    graph.initializer.extend(kept)
    if dropped and not any(op.domain == "com.microsoft" for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return len(dropped)
