"""Glossary query expansion: matching concepts in the query's language, weighted terms in the others."""

from __future__ import annotations

from index.analyze import tokenize
from ingest.glossary import Concept, load_glossary, packaged_glossary
from kb.read.expand import GlossaryIndex, also_searched, glossary_expansion

BORDER = Concept(
    "concept:border-control",
    "border",
    (
        ("es", ("control fronterizo", "control de fronteras")),
        ("en", ("border control",)),
        ("pt", ("controle fronteiriço",)),
        ("fr", ("contrôle aux frontières",)),
    ),
)
SEIZURE = Concept(
    "concept:seizure",
    "customs",
    (("es", ("incautación",)), ("en", ("seizure",)), ("pt", ("apreensão",)), ("fr", ("saisie",))),
)
INFORMANT = Concept(
    "concept:informant",
    "policing",
    (("es", ("informante",)), ("en", ("informant",)), ("pt", ("informante",)), ("fr", ("informateur",))),
)
CENTRE = Concept(
    "concept:cebaf",
    "border",
    (("es", ("CEBAF",)), ("en", ("binational border service centre",)), ("pt", ("CEBAF",)), ("fr", ("CEBAF",))),
)


def test_concept_in_the_query_language_expands_into_the_others_analysed_in_each() -> None:
    gi = GlossaryIndex([BORDER, SEIZURE])
    exp = gi.expand("controles fronteiriços na ponte", "pt", 0.5, tokenize("controles fronteiriços na ponte", "pt"))
    terms = dict(exp.terms)
    own = set(tokenize("controles fronteiriços na ponte", "pt"))
    assert set(tokenize("control fronterizo", "es")) - own <= set(terms)  # "control": the Portuguese stem too
    assert set(tokenize("contrôle aux frontières", "fr")) - own <= set(terms)
    assert "border" in terms and all(w == 0.5 for w in terms.values())
    assert "fronteriz" in terms and not set(terms) & own  # the query's own terms are not repeated
    assert exp.shown == ("control fronterizo (es)", "border control (en)", "contrôle aux frontières (fr)")


def test_inflected_forms_match_but_stemmer_collisions_do_not() -> None:
    gi = GlossaryIndex([SEIZURE, INFORMANT])
    assert gi.match("incautaciones de cocaína", "es") == [0]
    assert gi.match("who shares information with customs", "en") == []  # "information" stems like "informant"
    assert gi.match("paid informants", "en") == [1]


def test_acronyms_match_only_in_capitals_and_unknown_language_tries_all() -> None:
    gi = GlossaryIndex([CENTRE, BORDER])
    assert gi.match("el CEBAF de Desaguadero", "es") == [0]
    assert gi.match("cebaf", None) == []
    assert gi.match("border control", None) == [1]


def test_nothing_named_or_weight_zero_adds_nothing() -> None:
    gi = GlossaryIndex([BORDER])
    assert gi.expand("tiempo de espera de camiones", "es", 0.5).terms == ()
    assert glossary_expansion("control fronterizo", "es", 0.0).terms == ()
    assert also_searched("control fronterizo en el puente", 0.0) == ()


def test_packaged_glossary_loads_and_expands(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert len(packaged_glossary()) >= 400
    assert "border control (en)" in also_searched("¿Cómo se organiza el control fronterizo en Desaguadero?", 0.5)
    bad = tmp_path / "g.jsonl"
    bad.write_text('{"id": "concept:x", "terms": {"es": ["a"], "en": ["b"], "pt": ["c"], "fr": []}}\n', "utf-8")
    try:
        load_glossary(bad)
    except ValueError as exc:
        assert "g.jsonl:1" in str(exc)
    else:
        raise AssertionError("a concept without French terms was accepted")
