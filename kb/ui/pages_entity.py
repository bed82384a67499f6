"""Entity page (aliases, documents, co-mentions, mentions over time, map) and the map of all crossings.

The map draws the country borders (Natural Earth, shipped with the package: :mod:`kb.ui.borders`)
under the crossings in a Mercator projection zoomed to their region, each crossing a circle sized
by its document count that links to the crossing's page. It needs no map tiles, so it works
offline and behind firewalls that block tile servers.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from kb.service import KnowledgeBase
from kb.ui.borders import borders_in, box_around
from kb.ui.curate import curate_box
from kb.ui.nav import L, link, param, register
from kb.ui.render import CSS, LANG_NAMES, anchor, bullets, chip, esc


def crossing_rows(kb: KnowledgeBase, highlight_id: str | None = None) -> list[dict[str, Any]]:
    """Border crossings with coordinates and their document counts, the selected one flagged."""
    return [
        {
            "id": e["id"],
            "name": e["name"],
            "lat": e["lat"],
            "lon": e["lon"],
            "documents": e["doc_count"],
            "selected": e["id"] == highlight_id,
        }
        for e in kb.entities(type="BORDER_CROSSING")
        if e.get("lat") is not None and e.get("lon") is not None
    ]


def near(rows: list[dict[str, Any]], lat: float, lon: float, degrees: float = 14.0) -> list[dict[str, Any]]:
    """The crossings within a box around a point: the entity map zooms on the selected crossing's region."""
    return [r for r in rows if abs(r["lat"] - lat) <= degrees and abs(r["lon"] - lon) <= degrees]


def crossing_map(rows: list[dict[str, Any]], height: int = 460, labels: int = 12) -> None:
    """Crossings as sized circles in a Mercator projection (no tiles needed).

    Only the selected crossing and the ``labels`` crossings with most documents are labelled, so
    that neighbouring crossings do not print over each other; every circle has a tooltip.
    """
    import pandas as pd

    if not rows:
        st.caption(L("no_coordinates"))
        return
    ranked = sorted(rows, key=lambda r: (not r["selected"], -r["documents"], r["name"]))
    shown = {r["id"] for r in ranked[:labels]}
    df = pd.DataFrame(
        [
            {**r, "label": f"{r['name']} ({r['documents']})" if r["id"] in shown else "", "url": _page(r["id"])}
            for r in rows
        ]
    )
    box = box_around((r["lon"], r["lat"]) for r in rows)
    where = {
        "longitude": {"field": "lon", "type": "quantitative"},
        "latitude": {"field": "lat", "type": "quantitative"},
    }
    colour = {
        "field": "selected",
        "type": "nominal",
        "legend": None,
        "scale": {"domain": [False, True], "range": ["#2563eb", "#dc2626"]},
    }
    size = {
        "field": "documents",
        "type": "quantitative",
        "scale": {"range": [40, 900]},
        "legend": {"title": L("results"), "orient": "bottom", "direction": "horizontal"},
    }
    st.vega_lite_chart(
        df,
        {
            "layer": [
                _borders_layer(box),
                {
                    "mark": {
                        "type": "circle",
                        "opacity": 0.75,
                        "stroke": "white",
                        "strokeWidth": 1,
                        "cursor": "pointer",
                    },
                    "encoding": {
                        **where,
                        "size": size,
                        "color": colour,
                        "href": {"field": "url"},
                        "tooltip": [{"field": "name"}, {"field": "documents"}],
                    },
                },
                {
                    "mark": {"type": "text", "dx": 10, "align": "left", "fontSize": 11},
                    "encoding": {**where, "text": {"field": "label"}},
                },
            ],
            "projection": {"type": "mercator"},
        },
        width="stretch",
        height=height,
    )


def _page(entity_id: str) -> str:
    return link(page="entity", id=entity_id)


def _borders_layer(box: tuple[float, float, float, float] | None) -> dict[str, Any]:
    """The countries under the crossings, clipped to their box: grey land, white borders, a name on hover."""
    features = borders_in(box)["features"] if box else []
    return {
        "data": {"values": features},
        "mark": {"type": "geoshape", "fill": "#e5e7eb", "stroke": "#ffffff", "strokeWidth": 0.8},
        "encoding": {"tooltip": [{"field": "properties.name", "title": L("country")}]},
    }


def co_mention_chart(frame: Any) -> None:
    """Horizontal bars, most shared documents first, full names on the axis."""
    st.vega_lite_chart(
        frame,
        {
            "mark": {"type": "bar", "color": "#0f766e"},
            "encoding": {
                "y": {
                    "field": "name",
                    "type": "nominal",
                    "sort": "-x",
                    "title": None,
                    "axis": {"labelLimit": 220, "labelOverlap": False},
                },
                "x": {"field": "docs", "type": "quantitative", "title": L("results"), "axis": {"tickMinStep": 1}},
                "tooltip": [{"field": "name"}, {"field": "type"}, {"field": "docs"}],
            },
        },
        width="stretch",
        height=max(160, 26 * len(frame)),
    )


def timeline_chart(years: dict[str, int]) -> None:
    """Mentions per year as bars with horizontal year labels."""
    import pandas as pd

    frame = pd.DataFrame({"year": list(years), "mentions": list(years.values())})
    st.vega_lite_chart(
        frame,
        {
            "mark": {"type": "bar", "color": "#2563eb"},
            "encoding": {
                "x": {"field": "year", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}},
                "y": {"field": "mentions", "type": "quantitative", "title": L("mentions_axis")},
                "tooltip": [{"field": "year"}, {"field": "mentions"}],
            },
        },
        width="stretch",
        height=220,
    )


def _document_line(d: dict[str, Any]) -> str:
    where = f", {L('page')} {d['page']}" if d.get("page") else ""
    url = link(page="doc", id=d["id"], p=d.get("page"))
    return (
        f"{anchor(url, d['title'] or d['id'])} — {esc(d['doc_type'])}, "
        f"{esc(LANG_NAMES.get(d['lang'], d['lang']))}, {esc(d['date'] or '—')}{esc(where)} · "
        f"{esc(L('mentions').format(n=d['mentions']))}"
    )


@register("entity", "entity", menu=False)
def page_entity(kb: KnowledgeBase) -> None:
    import pandas as pd

    st.markdown(CSS, unsafe_allow_html=True)
    view = kb.entity(param("id"))
    if view is None:
        st.error(L("not_found"))
        return
    st.title(esc(view["name"]))
    countries = ", ".join(view.get("countries") or [])
    st.caption(
        esc(
            f"{L('type_' + view['type'])} · {view['id']}{' · ' + countries if countries else ''} · "
            f"{view['doc_count']} {L('results')}"
        )
    )
    if view["aliases"]:
        st.markdown(
            f"<div><b>{esc(L('aliases'))}:</b> {esc(' · '.join(view['aliases']))}</div>", unsafe_allow_html=True
        )
    st.markdown(anchor(link(page="search", q=view["name"]), L("search_for")), unsafe_allow_html=True)
    has_map = view.get("lat") is not None and view.get("lon") is not None
    left, right = st.columns([3, 2] if has_map else [1, 1])
    if has_map:
        with left:
            st.subheader(L("map_near"))
            rows = near(crossing_rows(kb, highlight_id=view["id"]), view["lat"], view["lon"])
            crossing_map(rows, height=360, labels=7)
    with right if has_map else left:
        st.subheader(L("co_mentions"))
        co = view["co_mentions"][:12]
        if co:
            co_mention_chart(pd.DataFrame(co))
        else:
            st.caption("—")
    with left if has_map else right:
        st.subheader(L("over_time"))
        years = view["mentions_by_year"]
        if years:
            timeline_chart(years)
        else:
            st.caption(L("undated"))
    if co:
        with right if has_map else left:
            st.markdown(
                "<div>" + " ".join(chip(link, c["id"], c["name"], c["type"], c["docs"]) for c in co) + "</div>",
                unsafe_allow_html=True,
            )
    st.subheader(L("mentioned_in"))
    st.markdown(bullets(_document_line(d) for d in view["documents"]), unsafe_allow_html=True)
    if view["type"] != "DATE":
        curate_box(kb, view)


@register("crossings", "crossings", order=50)
def page_crossings(kb: KnowledgeBase) -> None:
    st.markdown(CSS, unsafe_allow_html=True)
    st.title(L("crossings"))
    st.caption(L("map"))
    crossing_map(crossing_rows(kb), height=620)
    rows = kb.entities(type="BORDER_CROSSING")
    lines = (
        f"{anchor(link(page='entity', id=e['id']), e['name'])} — {esc(e['doc_count'])} {esc(L('results'))}"
        for e in rows
    )
    st.markdown(bullets(lines), unsafe_allow_html=True)
