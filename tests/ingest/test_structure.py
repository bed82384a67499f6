"""Action items and affiliations, in the four languages."""

from __future__ import annotations

import pytest

from ingest.structure import action_items, affiliations


@pytest.mark.parametrize(
    ("text", "heading", "kind", "n"),
    [
        (
            "Acta\n\n## Acuerdos\n\n1. Intercambiar alertas. Responsable: Migraciones.\n2. Capacitar.\n\nFin.",
            "Acuerdos",
            "decision",
            2,
        ),
        (
            "Minutes\n\nAction items:\n- Share the list (owner: Europol, deadline: 30 June 2024)\n- Draft the SOP\n",
            "Action items",
            "action",
            2,
        ),
        (
            "Ata\n\nEncaminhamentos\n1) Enviar o relatório à Polícia Federal.\n"
            "2) Agendar nova reunião.\n3) Revisar o protocolo.\n",
            "Encaminhamentos",
            "action",
            3,
        ),
        (
            "Compte rendu\n\nSuites à donner\n• Transmettre la note au CCPD.\n• Organiser une formation.\n",
            "Suites à donner",
            "action",
            2,
        ),
        ("Informe\n\nPróximos pasos:\na) Visitar Tacna.\nb) Reunión con la PNP.\n", "Próximos pasos", "action", 2),
    ],
)
def test_action_items_under_headings(text: str, heading: str, kind: str, n: int) -> None:
    items = action_items(text)
    assert len(items) == n
    assert {i.heading for i in items} == {heading}
    assert {i.kind for i in items} == {kind}
    for item in items:
        assert text[item.start : item.start + len(item.text)] == item.text


def test_owner_and_deadline() -> None:
    items = action_items("Action items\n1. Share the alert list. Owner: Migración Colombia. Deadline: 15 July 2024.\n")
    assert items[0].owner == "Migración Colombia"
    assert items[0].deadline == "15 July 2024"


def test_no_heading_no_items() -> None:
    assert action_items("1. Primer punto.\n2. Segundo punto.\n") == []


def _spans(text: str, names: list[str]) -> list[tuple[int, int]]:
    return [(text.index(n), text.index(n) + len(n)) for n in names]


@pytest.mark.parametrize(
    ("text", "person", "org", "role"),
    [
        (
            "Nos reunimos con Jaime Carhuavilca, jefe de la oficina de Migraciones en Puno.",
            "Jaime Carhuavilca",
            "Migraciones",
            "jefe de la oficina",
        ),
        ("Participó el comisario Luis Rojas, de la Policía Boliviana.", "Luis Rojas", "Policía Boliviana", "comisario"),
        (
            "We met Anna Smith, head of the liaison office of Europol, in The Hague.",
            "Anna Smith",
            "Europol",
            "head of the liaison office",
        ),
        (
            "Foi recebida pelo delegado Carlos Mendes, da Polícia Federal.",
            "Carlos Mendes",
            "Polícia Federal",
            "delegado",
        ),
        (
            "La délégation a rencontré Marie Dubois, commissaire de la Police aux frontières.",
            "Marie Dubois",
            "Police aux frontières",
            "commissaire",
        ),
    ],
)
def test_affiliations(text: str, person: str, org: str, role: str) -> None:
    [aff] = affiliations(text, _spans(text, [person]), _spans(text, [org]))
    assert text[aff.org_start : aff.org_end] == org
    assert aff.role == role
    assert person in aff.sentence


def test_person_without_role_or_org_is_not_linked() -> None:
    text = "Gracias a Pedro Pérez por su apoyo."
    assert affiliations(text, _spans(text, ["Pedro Pérez"]), []) == []
