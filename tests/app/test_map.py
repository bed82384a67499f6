"""The offline crossing map: Natural Earth borders clipped to the crossings' region, counts, links."""

from __future__ import annotations

import json

import pytest

from kb.service import KnowledgeBase
from kb.ui.borders import _area, borders_in, box_around, clip
from tests.helpers import run_app


def test_clip_keeps_the_part_inside_the_box() -> None:
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    assert sorted(clip(square, (5, -1, 20, 5))) == [(5, 0), (5, 5), (10, 0), (10, 5)]
    assert clip(square, (20, 20, 30, 30)) == []
    assert sorted(clip(square, (-1, -1, 11, 11))) == sorted(square)


def test_box_around_has_a_margin_and_a_least_size() -> None:
    assert box_around([]) is None
    west, south, east, north = box_around([(-69.0, -16.5)])  # type: ignore[misc]
    assert east - west == pytest.approx(7.8) and north - south == 6 and west < -69 < east
    assert box_around([(-80, -20), (-60, 0)], margin=1) == pytest.approx((-84.3, -21, -55.7, 1))


def test_borders_in_the_andes_name_the_andean_countries_only() -> None:
    fc = borders_in((-80.0, -19.0, -67.0, 3.0))
    names = {f["properties"]["name"] for f in fc["features"]}
    assert {"Peru", "Bolivia", "Ecuador", "Colombia"} <= names
    assert not names & {"France", "Spain", "Mexico", "Fiji"}
    for f in fc["features"]:
        for polygon in f["geometry"]["coordinates"]:
            ring = [tuple(p) for p in polygon[0]]
            assert ring[0] == ring[-1]
            assert all(-80 <= x <= -67 and -19 <= y <= 3 for x, y in ring)
            assert _area(ring[:-1]) < 0  # clockwise, as d3-geo wants an outer ring


def test_the_crossings_map_draws_borders_and_links_each_crossing(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, page="crossings")
    assert not at.exception
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    borders, circles = spec["layer"][0], spec["layer"][1]
    assert borders["mark"]["type"] == "geoshape"
    names = {f["properties"]["name"] for f in borders["data"]["values"]}
    assert {"Peru", "Bolivia", "Ecuador", "Colombia"} <= names and "France" not in names
    assert circles["encoding"]["href"] == {"field": "url"}
    data = at.get("vega_lite_chart")[0].proto.data.data  # the crossings, as Arrow
    assert b"?page=entity&id=bc%3Arumichaca" in data  # each circle's link to its crossing's page


def test_the_entity_map_zooms_to_the_crossing(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, page="entity", id="bc:desaguadero")
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    names = {f["properties"]["name"] for f in spec["layer"][0]["data"]["values"]}
    assert {"Peru", "Bolivia"} <= names and "Mexico" not in names
