"""Filter bitmaps (kb.store.filters, kb.read.bitmaps) agree with SQL (kb.store.reads.allowed_chunk_ids).

SQLite is the source of truth: random filters over a knowledge base with several segments, collections
(one stored without: "default"), metadata edits, a removal, a compaction and a relink must allow the
same chunk ids both ways.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.read import bitmaps
from kb.store import reads
from kb.types import Filters
from tests.helpers import FakeEmbedder

DOCS_A = {
    "acta-desaguadero.md": "# Acta de la reunión en Desaguadero\n\nFecha: 14 de marzo de 2024.\n\nLa Policía "
    "Nacional del Perú y la Policía Boliviana acordaron patrullajes binacionales en el río Desaguadero contra "
    "el contrabando de combustible.\n",
    "rumichaca.txt": "Technical visit to Rumichaca\n\nDate: 2 June 2022.\n\nMigración Colombia registers "
    "travellers at the Rumichaca bridge; the National Police of Colombia reported migrant smuggling.\n",
    "note.md": "# Note de terrain\n\nLa Police aux frontières et les patrouilles conjointes à Tacna contre la "
    "contrebande.\n",
}
DOCS_B = {
    "protocolo.md": "# Protocolo binacional\n\nFirmado el 3 de enero de 2021 en Tacna y Arica por Chile y Perú.\n\n"
    "Contrabando y trata de personas en el paso fronterizo Chacalluta.\n",
    "minutes.md": "# Minutes of the meeting\n\nHeld on 5 May 2019 at Rumichaca with Ecuador and Colombia.\n\n"
    "Joint patrols against fuel smuggling were agreed.\n",
    "long.md": "# Informe largo\n\n"
    + "\n\n".join(f"Párrafo {i}: la patrulla {i} revisó vehículos y registros en la frontera norte." for i in range(60))
    + "\n\nEn Desaguadero, la Policía Boliviana reforzó el control.\n",
    "relatorio.md": "# Relatório\n\nCooperação na fronteira entre Brasil e Peru em 2020, em Assis Brasil.\n",
}


def _ingest(kb: Any, folder: Path, docs: dict[str, str], collection: str | None) -> None:
    folder.mkdir(parents=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    kb.ingest([folder], collection=collection)


def _build(root: Path) -> Any:
    from kb.service import KnowledgeBase

    kb = KnowledgeBase.open(root / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    _ingest(kb, root / "a", DOCS_A, None)  # stored without a collection: "default"
    _ingest(kb, root / "b", DOCS_B, "field")
    return kb


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Two segments, read only by the tests using it."""
    return _build(tmp_path_factory.mktemp("bitmaps"))


def pools(kb: Any) -> dict[str, list[str]]:
    """Values to draw filters from: what is stored, plus values that match nothing."""
    db = kb.store.db

    def col(sql: str) -> list[str]:
        return sorted({str(r[0]) for r in db.execute(sql) if r[0] is not None})

    return {
        "lang": [*col("SELECT lang FROM chunks"), "xx"],
        "doc_type": [*col("SELECT doc_type FROM documents"), "nope"],
        "collection": [*col("SELECT collection FROM documents"), "default", "other"],
        "region": [*col("SELECT COALESCE(region, 'other') FROM documents"), *col("SELECT region FROM chunk_regions")],
        "doc_id": [*col("SELECT id FROM documents"), "missing"],
        "country": [*col("SELECT j.value FROM documents d, json_each(d.countries) j"), "ZZ"],
        "crossing": [*col("SELECT j.value FROM documents d, json_each(d.crossings) j"), "bc:none"],
        "entity": [*col("SELECT entity_id FROM mentions"), "org:none"],
        "date": [*col("SELECT date FROM documents"), "2020", "2021-06", "2019-05-05", "2030"],
    }


@st.composite
def filters(draw: Any, values: dict[str, list[str]]) -> Filters:
    def some(key: str) -> tuple[str, ...]:
        return tuple(draw(st.lists(st.sampled_from(values[key]), max_size=2))) if values[key] else ()

    use = draw(st.sets(st.sampled_from(sorted(values)), max_size=3))
    kw: dict[str, Any] = {k: some(k) for k in use if k != "date"}
    if "date" in use:
        kw["since"] = draw(st.none() | st.sampled_from(values["date"]))
        kw["until"] = draw(st.none() | st.sampled_from(values["date"]))
    return Filters(**{k: v for k, v in kw.items() if v})


def both_ways(kb: Any, f: Filters) -> tuple[list[int], list[int] | None]:
    view, db = kb._reading().view, kb.store.db
    sql = sorted(reads.allowed_chunk_ids(db, f, countries=f.country, crossings=f.crossing, entities=f.entity))
    got = bitmaps.allowed(view, f, countries=f.country, crossings=f.crossing, entities=f.entity)
    return sql, None if got is None else sorted(int(i) for i in got)


def check_random(kb: Any, n: int) -> None:
    values = pools(kb)

    @settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(filters(values))
    def agree(f: Filters) -> None:
        sql, got = both_ways(kb, f)
        assert got == sql, f

    agree()


def test_every_segment_has_a_filter_file_and_the_default_collection(kb: Any) -> None:
    view = kb._reading().view
    assert set(view.filters) == set(view.segments) and len(view.segments) == 2
    sql, got = both_ways(kb, Filters(collection=("default",)))
    assert (
        got == sql
        and len(sql)
        == kb.store.db.execute(
            "SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.collection IS NULL"
        ).fetchone()[0]
        > 0
    )


def test_random_filters_agree_with_sql(kb: Any) -> None:
    check_random(kb, 120)


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
def test_searches_return_only_allowed_passages(kb: Any, mode: str) -> None:
    """What the filter allows is what every ranking may return, in every segment: a segment whose ids all
    lie above the largest allowed id once let the dense search through unfiltered."""
    values = pools(kb)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(filters(values), st.sampled_from(["contrabando", "joint patrols", "frontera Desaguadero", "police"]))
    def only_allowed(f: Filters, query: str) -> None:
        sql = set(both_ways(kb, f)[0])
        got = {h.chunk_id for r in kb.search(query, k=20, filters=f, mode=mode, per_doc=20) for h in r.hits}
        assert got <= sql, (f, got - sql)

    only_allowed()
    lang = pools(kb)["lang"][0]
    hits = kb.search("contrabando", k=20, filters={"lang": [lang]}, mode=mode, per_doc=20)
    assert hits and all(h.lang == lang for r in hits for h in r.hits)


def test_metadata_edits_removal_compaction_and_relink_keep_them_right(tmp_path: Path) -> None:
    kb = _build(tmp_path)
    db = kb.store.db
    docs = [r[0] for r in db.execute("SELECT id FROM documents ORDER BY id")]
    before = both_ways(kb, Filters(doc_type=("agreement",)))[1]
    kb.set_metadata(docs[0], {"doc_type": "agreement", "collection": "moved", "date": "2018-02-02", "region": "andes"})
    sql, got = both_ways(kb, Filters(doc_type=("agreement",)))
    assert got == sql and got != before  # the edit is seen at once, through the bitmaps
    assert both_ways(kb, Filters(collection=("moved",)))[1] == both_ways(kb, Filters(doc_id=(docs[0],)))[1]
    check_random(kb, 40)
    assert kb.remove(docs[1])
    check_random(kb, 40)
    kb.relink()
    check_random(kb, 40)
    kb.compact()
    view = kb._reading().view
    assert len(view.segments) == 1 and set(view.filters) == set(view.segments)
    check_random(kb, 40)


def test_a_knowledge_base_without_filter_files_falls_back_to_sql(tmp_path: Path) -> None:
    from kb.service import KnowledgeBase

    kb = KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    _ingest(kb, tmp_path / "a", DOCS_A, "one")
    for path in (tmp_path / "kb" / "segments").rglob("filters.*.npz"):
        path.unlink()  # as built before filter files existed
    kb2 = KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    f = Filters(lang=("es",))
    assert both_ways(kb2, f)[1] is None  # no files: SQL answers
    hits = kb2.search("contrabando", filters=f)
    assert hits and all(h.hits[0].lang == "es" for h in hits)
    _ingest(kb2, tmp_path / "b", DOCS_B, None)  # the next commit builds the missing files
    sql, got = both_ways(kb2, f)
    assert got is not None and got == sql


def test_a_killed_writers_filter_file_is_dropped_before_the_next_commit(tmp_path: Path) -> None:
    kb = _build(tmp_path)
    view = kb._reading().view
    first, second = sorted(view.segments)
    stray = kb.store.segment_dir(first) / f"filters.{view.generation + 1}.npz"
    stray.write_bytes((kb.store.segment_dir(first) / view.filters[first][0].name).read_bytes())  # stale content
    doc = kb.store.db.execute("SELECT doc_id FROM chunks WHERE segment = ? LIMIT 1", (second,)).fetchone()[0]
    kb.set_metadata(doc, {"collection": "moved"})  # commits generation + 1, rewriting only the second segment
    assert not stray.exists()
    check_random(kb, 20)


def test_bitmaps_of_one_segment_by_hand() -> None:
    from pyroaring import BitMap

    from kb.store.filters import NULL, encode, load, save

    ids = np.arange(10, 21, dtype=np.int64)
    docs = {d: {"doc_type": t, "collection": "c", "date": dt, "entity": e, "country": [], "crossing": []}
            for d, t, dt, e in (("a", "report", "2020-05", ["org:x"]), ("b", NULL, NULL, []))}  # fmt: skip
    chunk_doc = ["a"] * 6 + ["b"] * 5
    arrays = encode(ids, chunk_doc, {"lang": ["es", "en"] * 5 + ["es"], "region": [NULL] * 11}, docs)
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        save(Path(d), 3, arrays)
        seg = load(Path(d) / "filters.3.npz")
    tomb = BitMap([12])
    got = bitmaps.segment_ids(seg, Filters(lang=("es",), doc_type=("report",)), (), (), (), tomb)
    assert got.tolist() == [10, 14]
    assert bitmaps.segment_ids(seg, Filters(since="2000"), (), (), (), tomb).tolist() == [10, 11, 13, 14, 15]
    assert bitmaps.segment_ids(seg, Filters(until="2020-05"), (), (), ("org:x",), None).tolist() == list(range(10, 16))
    assert bitmaps.segment_ids(seg, Filters(until="2020-04"), (), (), (), None).tolist() == []
    assert bitmaps.segment_ids(seg, Filters(collection=("c", "zz")), (), (), (), tomb).tolist() == [
        i for i in range(10, 21) if i != 12
    ]
