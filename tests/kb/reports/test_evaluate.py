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


def test_split_is_stratified_deterministic_and_matches_the_committed_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv
    import importlib.util
    import json
    from collections import Counter

    from kb.reports.evaluate import load_half
    from tests.helpers import ROOT

    gold = ROOT / "corpus" / "eval"
    spec = importlib.util.spec_from_file_location("gold_split", gold / "split.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    queries = [json.loads(line) for line in (gold / "queries.jsonl").read_text("utf-8").splitlines() if line]
    half = mod.split(queries)
    assert half == mod.split(list(reversed(queries)))  # the order of the file does not matter
    with open(gold / "split.tsv", encoding="utf-8") as fh:
        assert {r["query_id"]: r["half"] for r in csv.DictReader(fh, delimiter="\t")} == half
    per = Counter((q["lang"], bool(q["cross_lingual"]), half[q["id"]]) for q in queries)
    for lang, cross, _ in per:
        assert abs(per[(lang, cross, "dev")] - per[(lang, cross, "test")]) <= 1
    assert load_half(gold, "dev") | load_half(gold, "test") == {q["id"] for q in queries}
    with pytest.raises(ValueError, match="no split.tsv"):
        load_half(tmp_path, "dev")
