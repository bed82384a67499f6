"""Country borders under the crossing map, offline: Natural Earth shipped with the package.

``kb/ui/data/borders.geojson`` is Natural Earth's 1:50m Admin 0 countries (public domain),
simplified by ``scripts/make_borders.py`` (about 470 kB). No tile server and no network: the map
works behind firewalls and on a laptop at a border post. A map shows one region, so only the
polygons there are sent to the browser, clipped to the region's box (which also makes Vega-Lite
fit its projection to the region: the zoom).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

PATH = Path(__file__).resolve().parent / "data" / "borders.geojson"

Box = tuple[float, float, float, float]  # west, south, east, north (degrees)

#: the least width of a map's box in its height (degrees): crossings along a north-south border
#: (the Andes) would otherwise give a thin strip with no neighbour country in sight
WIDE = 1.3


@lru_cache(maxsize=1)
def _countries() -> tuple[tuple[str, tuple[tuple[tuple[float, float], ...], ...]], ...]:
    """(name, outer rings) of every country; holes (lakes) are left out at this scale, and so are the
    few rings that cross the antimeridian (Fiji, Chukotka): no crossing of ours is near them."""
    doc = json.loads(PATH.read_text(encoding="utf-8"))
    out = []
    for f in doc["features"]:
        rings = tuple(
            tuple((p[0], p[1]) for p in poly[0])
            for poly in f["geometry"]["coordinates"]
            if max(p[0] for p in poly[0]) - min(p[0] for p in poly[0]) < 180  # not across the antimeridian
        )
        out.append((f["properties"]["name"], rings))
    return tuple(out)


def box_around(points: Iterable[tuple[float, float]], margin: float = 2.0, least: float = 6.0) -> Box | None:
    """The box holding ``(lon, lat)`` points plus ``margin`` degrees, at least ``least`` degrees wide and
    tall and at least :data:`WIDE` times as wide as tall."""
    pts = list(points)
    if not pts:
        return None
    west, east = min(p[0] for p in pts) - margin, max(p[0] for p in pts) + margin
    south, north = min(p[1] for p in pts) - margin, max(p[1] for p in pts) + margin
    width, height = max(least, east - west), max(least, north - south)
    width, height = max(width, height * WIDE), max(height, width / WIDE / 2)  # a landscape map, not a strip
    grow_x, grow_y = (width - (east - west)) / 2, (height - (north - south)) / 2
    return (
        max(-180.0, west - grow_x),
        max(-85.0, south - grow_y),
        min(180.0, east + grow_x),
        min(85.0, north + grow_y),
    )


def clip(ring: Sequence[tuple[float, float]], box: Box) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of a polygon ring inside ``box`` (a rectangle, so always convex)."""
    west, south, east, north = box
    edges = (
        (lambda p: p[0] >= west, lambda a, b: _at_x(a, b, west)),
        (lambda p: p[0] <= east, lambda a, b: _at_x(a, b, east)),
        (lambda p: p[1] >= south, lambda a, b: _at_y(a, b, south)),
        (lambda p: p[1] <= north, lambda a, b: _at_y(a, b, north)),
    )
    out = list(ring)
    for inside, cross in edges:
        points, out = out, []
        for i, p in enumerate(points):
            prev = points[i - 1]
            if inside(p):
                if not inside(prev):
                    out.append(cross(prev, p))
                out.append(p)
            elif inside(prev):
                out.append(cross(prev, p))
        if not out:
            return []
    return out


def _at_x(a: tuple[float, float], b: tuple[float, float], x: float) -> tuple[float, float]:
    return (x, a[1] + (b[1] - a[1]) * (x - a[0]) / (b[0] - a[0]))


def _at_y(a: tuple[float, float], b: tuple[float, float], y: float) -> tuple[float, float]:
    return (a[0] + (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]), y)


def borders_in(box: Box) -> dict[str, Any]:
    """The countries inside ``box``, clipped to it, as a GeoJSON FeatureCollection (Vega-Lite ``geoshape``).

    The rings are wound clockwise: d3-geo, under Vega-Lite, reads a counter-clockwise ring on the
    sphere as "everything but this polygon" and would paint the whole map.
    """
    features = []
    for name, rings in _countries():
        parts = []
        for ring in rings:
            cut = clip(ring, box)
            if len(cut) >= 3:
                cut = cut if _area(cut) < 0 else cut[::-1]
                parts.append([[[round(x, 3), round(y, 3)] for x, y in [*cut, cut[0]]]])
        if parts:
            geometry = {"type": "MultiPolygon", "coordinates": parts}
            features.append({"type": "Feature", "properties": {"name": name}, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def _area(ring: Sequence[tuple[float, float]]) -> float:
    """Twice the signed area (shoelace): positive when counter-clockwise."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True))
