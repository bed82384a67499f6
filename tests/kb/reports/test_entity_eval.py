"""``kb eval --entities`` and ``--doctypes`` on tiny hand-labelled sets with known hits, misses and spurious ones."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.reports.doctype_eval import run_doctype_eval
from kb.reports.entity_eval import Tally, matches, run_entity_eval, score_excerpt
from tests.helpers import fake_kb

ES = "La Policía Nacional del Perú y Yanet Quispe visitaron Desaguadero en Bolivia. El Perú firmó."
EN = "Officers from Desaguadero met in Bolivia."


def mention(excerpt: str, surface: str, type: str, entity: str) -> dict[str, Any]:
    return {"surface": surface, "start": excerpt.index(surface), "type": type, "entity": entity}


#: es: 3 of 4 gold entities found (the person is missed: no NER, no title, no common given name),
#: the second "Perú" is spurious;
#: en: "Bolivia" is keyed to the wrong country on purpose, so it is a miss and a spurious prediction
GOLD = [
    {
        "doc": "acta-frontera.md",
        "page": None,
        "lang": "es",
        "excerpt": ES,
        "mentions": [
            mention(ES, "Policía Nacional del Perú", "ORG", "org:pnp"),
            mention(ES, "Yanet Quispe", "PERSON", "person:Yanet Quispe"),
            mention(ES, "Desaguadero", "BORDER_CROSSING", "bc:desaguadero"),
            mention(ES, "Bolivia", "COUNTRY", "country:bo"),
        ],
    },
    {
        "doc": "visit-notes.md",
        "page": None,
        "lang": "en",
        "excerpt": EN,
        "mentions": [
            mention(EN, "Desaguadero", "BORDER_CROSSING", "bc:desaguadero"),
            mention(EN, "Bolivia", "COUNTRY", "country:pe"),
        ],
    },
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    root = tmp_path_factory.mktemp("entity-eval")
    kb = fake_kb(root, {"acta-frontera.md": f"# Acta de la reunión\n\n{ES}\n", "visit-notes.md": f"# Notes\n\n{EN}\n"})
    gold = root / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(g, ensure_ascii=False) for g in GOLD) + "\n", encoding="utf-8")
    yield kb, gold
    kb.close()


def test_entity_precision_and_recall_by_hand(tiny: tuple[Any, Path]) -> None:
    kb, gold = tiny
    res = run_entity_eval(kb, gold)
    assert res["located"] == 2 and res["unlocated"] == []
    ents = res["entities"]
    # predicted: es {pnp, desaguadero, bo, pe}, en {desaguadero, bo}; matched: es 3, en 1
    assert ents["overall"] == {"gold": 6, "predicted": 6, "matched": 4, "precision": 0.667, "recall": 0.667}
    assert ents["by_lang"]["es"]["precision"] == 0.75 and ents["by_lang"]["es"]["recall"] == 0.75
    assert ents["by_lang"]["en"]["precision"] == 0.5 and ents["by_lang"]["en"]["recall"] == 0.5
    assert ents["by_type"]["COUNTRY"] == {"gold": 2, "predicted": 3, "matched": 1, "precision": 0.333, "recall": 0.5}
    assert ents["by_type"]["PERSON"]["recall"] == 0.0 and ents["by_type"]["PERSON"]["precision"] is None
    assert ents["by_type"]["BORDER_CROSSING"]["recall"] == 1.0
    # mentions: the wrongly keyed "Bolivia" still overlaps a COUNTRY prediction; the second "Perú" overlaps nothing
    assert res["mentions"]["overall"] == {"gold": 6, "predicted": 6, "found": 5, "precision": 0.833, "recall": 0.833}
    assert res["person_names"]["gold_mentions"] == 1 and res["person_names"]["complete"] == 0
    missed = {(m["type"], m["entity"]) for m in res["worst_missed"]}
    assert missed == {("PERSON", "person:Yanet Quispe"), ("COUNTRY", "country:pe")}
    spurious = {(m["type"], m["name"]) for m in res["worst_spurious"]}
    assert spurious == {("COUNTRY", "Peru"), ("COUNTRY", "Bolivia")}
    assert "Person names complete: 0/1" in kb.entity_eval_table(res)


def test_ner_entities_match_by_folded_name_and_gazetteer_ones_by_id() -> None:
    ner = {"type": "PERSON", "origin": "ner", "name": "ANA PEREZ", "entity_id": "person:ana-perez"}
    assert matches(ner, "PERSON", "person:Ana Pérez (Tacna)")
    assert not matches(ner, "ORG", "org:Ana Pérez")
    assert not matches(ner, "PERSON", "person:Ana Pérez Soto")
    gaz = {"type": "ORG", "origin": "gazetteer", "name": "National Police of Peru", "entity_id": "org:pnp"}
    assert matches(gaz, "ORG", "org:pnp")
    assert not matches(gaz, "ORG", "org:National Police of Peru", by_name=False)
    assert not matches({**ner, "origin": "ner", "name": "PNP"}, "PERSON", "org:pnp")


def test_a_gazetteer_entity_matches_a_gold_key_made_of_its_name_unless_ids_only() -> None:
    gaz = {"type": "PLACE", "origin": "gazetteer", "name": "Latin America", "entity_id": "place:latin-america"}
    assert matches(gaz, "PLACE", "place:Latin America")
    assert not matches(gaz, "PLACE", "place:Latin America", by_name=False)
    assert not matches(gaz, "ORG", "org:Latin America")
    assert not matches(gaz, "PLACE", "place:latin-america-2")  # another gazetteer id: never by name
    amazonas = {**gaz, "name": "Amazonas (Colombia)", "entity_id": "place:amazonas-co"}
    assert matches(amazonas, "PLACE", "place:Amazonas (Colombia)") and matches(amazonas, "PLACE", "place:Amazonas")
    assert not matches(amazonas, "PLACE", "place:Amazonas (Brasil)")


def test_a_truncated_person_name_is_found_but_not_complete() -> None:
    text = "Se reunió con Ana María Pérez."
    item = {"lang": "es", "mentions": [mention(text, "Ana María Pérez", "PERSON", "person:Ana María Pérez")]}
    start = text.index("Pérez")
    pred = {"type": "PERSON", "origin": "ner", "name": "Pérez", "entity_id": "person:perez", "surface": "Pérez"}
    ents, ments = Tally(), Tally()
    state: dict[str, Counter[str]] = {"missed": Counter(), "spurious": Counter(), "person": Counter()}
    score_excerpt(item, [pred | {"start": start, "end": start + 5}], ents, ments, state)
    assert state["person"] == Counter({"gold": 1, "found": 1})
    assert ents.tp["all"] == 0 and ments.tp["all"] == 1


def test_doctype_accuracy_and_confusion(tiny: tuple[Any, Path]) -> None:
    kb, gold = tiny
    predicted = {Path(s).name: t for _, s, t in kb.evidence().document_list()}
    assert predicted["visit-notes.md"] != "news"
    labels = gold.parent / "doctypes.tsv"
    labels.write_text(
        f"file\ttype\nacta-frontera.md\t{predicted['acta-frontera.md']}\nvisit-notes.md\tnews\nabsent.pdf\treport\n",
        encoding="utf-8",
    )
    res = run_doctype_eval(kb, labels)
    assert (res["documents"], res["correct"], res["accuracy"]) == (2, 1, 0.5)
    assert res["missing"] == ["absent.pdf"]
    assert res["confusion"] == {
        predicted["acta-frontera.md"]: {predicted["acta-frontera.md"]: 1},
        "news": {predicted["visit-notes.md"]: 1},
    }
    assert res["wrong"] == [{"file": "visit-notes.md", "gold": "news", "predicted": predicted["visit-notes.md"]}]


def test_cli_eval_entities_and_doctypes(tiny: tuple[Any, Path]) -> None:
    kb, gold = tiny
    runner = CliRunner()
    result = runner.invoke(cli, ["--kb", str(kb.root), "eval", "--entities", str(gold), "--json"], obj={"kb": kb})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["entities"]["overall"]["matched"] == 4
    result = runner.invoke(cli, ["--kb", str(kb.root), "eval", "--entities", str(gold)], obj={"kb": kb})
    assert result.exit_code == 0 and "Canonical entities" in result.output and "all (micro)" in result.output
    labels = gold.parent / "labels.tsv"
    labels.write_text("file\ttype\nvisit-notes.md\tnews\n", encoding="utf-8")
    result = runner.invoke(cli, ["--kb", str(kb.root), "eval", "--doctypes", str(labels)], obj={"kb": kb})
    assert result.exit_code == 0, result.output
    assert "accuracy 0.0 (0/1 documents)" in result.output and "gold \\ predicted" in result.output
