"""The metrics behind ``kb eval``, on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from kb.reports.evaluate import metrics


def test_metrics_by_hand() -> None:
    ranked = ["a", "b", "c", "d"]
    got = metrics(ranked, {"b": 2, "d": 1})
    assert got["R@1"] == 0.0 and got["R@5"] == 1.0 and got["R@10"] == 1.0
    assert got["MRR@10"] == pytest.approx(0.5)
    dcg = (2**2 - 1) / math.log2(3) + (2**1 - 1) / math.log2(5)
    idcg = (2**2 - 1) / math.log2(2) + (2**1 - 1) / math.log2(3)
    assert got["nDCG@10"] == pytest.approx(dcg / idcg)


def test_metrics_perfect_empty_and_beyond_ten() -> None:
    assert metrics(["x", "y"], {"x": 2, "y": 1})["nDCG@10"] == pytest.approx(1.0)
    assert metrics([], {"x": 1}) == {"R@1": 0.0, "R@5": 0.0, "R@10": 0.0, "MRR@10": 0.0, "nDCG@10": 0.0}
    late = metrics([f"n{i}" for i in range(10)] + ["x"], {"x": 1})
    assert late["R@10"] == 0.0 and late["MRR@10"] == 0.0 and late["nDCG@10"] == 0.0
