"""Filter representations at 1M chunks: SQLite vs numpy codes, bool arrays, packed bitmaps and roaring bitmaps.

Usage: .venv/bin/python bench/bench_filters.py [--chunks 1000000]

One synthetic segment (12 chunks a document; language per chunk, 4 values; document type, 7 values;
collection, 5 values, one of them 1% of the documents; a date; 0-3 entities per document) is held
in a SQLite store shaped like kb's (``chunks`` joined to ``documents``) and in each candidate
representation. Each row of the table is one filter resolved to the allowed chunk ids (the array
FAISS and BM25 are handed), p50 of 20 runs, and its ratio to SQLite in the same process. The
last rows are kb's own resolver (``kb.read.bitmaps`` over ``kb.store.filters`` arrays) per filter.
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from common import log, table

LANGS = ("es", "pt", "en", "fr")
TYPES = ("report", "agreement", "protocol", "minutes", "news", "training", "other")
COLLS = ("default", "field", "legal", "press", "rare")


def p50_ms(fn: Callable[[], Any], runs: int = 20) -> float:
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(float(np.median(times)) * 1000, 3)


def synthetic(n: int) -> dict[str, Any]:
    rng = np.random.default_rng(5)
    ids = np.arange(1, n + 1, dtype=np.int64)
    doc = (ids - 1) // 12
    nd = int(doc[-1]) + 1
    coll = rng.choice(4, nd, p=[0.4, 0.3, 0.2, 0.1])
    coll[rng.choice(nd, nd // 100, replace=False)] = 4
    return {
        "ids": ids, "doc": doc, "lang": rng.choice(4, n, p=[0.5, 0.2, 0.2, 0.1]),
        "type": rng.choice(7, nd), "coll": coll,
        "date": (np.datetime64("2005-01-01") + rng.integers(0, 7300, nd).astype("timedelta64[D]")).astype(str),
        "ents": [sorted({f"org:e{int(e)}" for e in rng.zipf(1.3, k) if e < 5000}) for k in rng.poisson(1.5, nd)],
    }  # fmt: skip


def sqlite_store(d: dict[str, Any]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE documents (id TEXT PRIMARY KEY, doc_type TEXT, collection TEXT, date TEXT)")
    db.execute("CREATE TABLE chunks (id INTEGER PRIMARY KEY, doc_id TEXT, lang TEXT, deleted_gen INTEGER)")
    db.execute("CREATE INDEX chunks_doc ON chunks(doc_id)")
    db.executemany(
        "INSERT INTO documents VALUES (?,?,?,?)",
        (
            (f"d{i}", TYPES[t], COLLS[c], dt)
            for i, (t, c, dt) in enumerate(zip(d["type"], d["coll"], d["date"], strict=True))
        ),
    )
    db.executemany(
        "INSERT INTO chunks VALUES (?,?,?,NULL)",
        ((int(i), f"d{int(g)}", LANGS[lg]) for i, g, lg in zip(d["ids"], d["doc"], d["lang"], strict=True)),
    )
    db.commit()
    return db


def sql_ids(db: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> np.ndarray:
    sql = f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.deleted_gen IS NULL AND {where}"
    return np.array([r[0] for r in db.execute(sql, args)], dtype=np.int64)


def representations(d: dict[str, Any], rows: list[dict[str, Any]], sql_ms: float) -> None:
    """lang in (es, pt) resolved to ids in each representation."""
    ids, codes, n = d["ids"], d["lang"].astype(np.uint8), len(d["ids"])
    lut = np.zeros(4, bool)
    lut[[0, 1]] = True
    bools = [codes == v for v in range(4)]
    packed = [np.packbits(b, bitorder="little") for b in bools]
    cands: dict[str, Callable[[], Any]] = {
        "numpy codes + isin": lambda: ids[np.isin(codes, [0, 1])],
        "numpy codes + lookup table": lambda: ids[lut[codes]],
        "numpy bool array per value": lambda: ids[bools[0] | bools[1]],
        "packed numpy bitmap per value": lambda: ids[
            np.unpackbits(packed[0] | packed[1], count=n, bitorder="little").view(bool)
        ],
    }
    try:
        from pyroaring import BitMap

        roar = [BitMap(ids[b].tolist()) for b in bools]
        cands["pyroaring, union to numpy (kb)"] = lambda: np.array((roar[0] | roar[1]).to_array(), dtype=np.int64)
    except ImportError:
        log("pyroaring is not installed: not measured")
    for name, fn in cands.items():
        ms = p50_ms(fn)
        rows.append({"filter": "lang in (es, pt)", "how": name, "p50_ms": ms, "vs_sql": round(ms / sql_ms, 4)})


def main() -> None:
    from kb.read.bitmaps import segment_ids
    from kb.store.filters import encode, load, save
    from kb.types import Filters

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chunks", type=int, default=1_000_000)
    n = ap.parse_args().chunks
    log(f"synthesising {n:,} chunks")
    d = synthetic(n)
    db = sqlite_store(d)
    docs = {
        f"d{i}": {"doc_type": TYPES[d["type"][i]], "collection": COLLS[d["coll"][i]], "date": str(d["date"][i]),
                  "entity": d["ents"][i], "country": [], "crossing": []}
        for i in range(len(d["type"]))
    }  # fmt: skip
    chunk_doc = [f"d{int(g)}" for g in d["doc"]]
    lang = [LANGS[v] for v in d["lang"]]
    import tempfile
    from pathlib import Path

    t0 = time.perf_counter()
    arrays = encode(d["ids"], chunk_doc, {"lang": lang, "region": ["other"] * n}, docs)
    with tempfile.TemporaryDirectory() as tmp:
        save(Path(tmp), 1, arrays)
        size_mb = round((Path(tmp) / "filters.1.npz").stat().st_size / 1e6, 1)
        seg = load(Path(tmp) / "filters.1.npz")
    log(f"filter arrays built in {time.perf_counter() - t0:.1f} s, {size_mb} MB on disk")
    rows: list[dict[str, Any]] = []
    sql_lang = p50_ms(lambda: sql_ids(db, "c.lang IN (?,?)", ("es", "pt")), 5)
    rows.append({"filter": "lang in (es, pt)", "how": "SQLite", "p50_ms": sql_lang, "vs_sql": 1.0})
    representations(d, rows, sql_lang)
    tomb = None  # no tombstones in a freshly built segment
    cases = {
        "lang=es": (Filters(lang=("es",)), "c.lang = ?", ("es",)),
        "doc_type=agreement": (Filters(doc_type=("agreement",)), "d.doc_type = ?", ("agreement",)),
        "collection=field": (Filters(collection=("field",)), "d.collection = ?", ("field",)),
        "1% (collection=rare)": (Filters(collection=("rare",)), "d.collection = ?", ("rare",)),
        "date 2018-2019": (Filters(since="2018-01-01", until="2019-12-31"), "d.date >= ? AND d.date <= ?",
                           ("2018-01-01", "2019-12-31\uffff")),
        "entity org:e7": (Filters(entity=("org:e7",)), None, ()),
    }  # fmt: skip
    for name, (f, where, args) in cases.items():
        got = segment_ids(seg, f, (), (), f.entity, tomb)
        base = None
        if where is not None:
            base = p50_ms(lambda w=where, a=args: sql_ids(db, w, a), 5)
            assert np.array_equal(np.sort(sql_ids(db, where, args)), np.sort(got)), name
            rows.append(
                {"filter": name, "how": "SQLite", "p50_ms": base, "vs_sql": 1.0, "kept": round(len(got) / n, 4)}
            )
        ms = p50_ms(lambda f=f: segment_ids(seg, f, (), (), f.entity, tomb))
        rows.append({"filter": name, "how": "kb.read.bitmaps", "p50_ms": ms,
                     "vs_sql": round(ms / base, 4) if base else "", "kept": round(len(got) / n, 4)})  # fmt: skip
    print(table(rows, ["filter", "how", "p50_ms", "vs_sql", "kept"], f"Filter resolution at {n:,} chunks"))
    print(f"filter file: {size_mb} MB for {n:,} chunks")


if __name__ == "__main__":
    main()
