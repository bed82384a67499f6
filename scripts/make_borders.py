"""Make ``kb/ui/data/borders.geojson``, the country borders the crossing map draws, from Natural Earth.

Natural Earth is public domain. Its 1:50m Admin 0 countries come as TopoJSON in the npm package
``world-atlas`` (``npm pack world-atlas@2``; ``countries-50m.json``). This decodes the TopoJSON
(quantized, delta-encoded arcs), simplifies each arc with Douglas-Peucker (0.05 degrees, about 5 km:
arcs are shared by the two countries they separate, so neighbours still meet exactly), rounds to
0.01 degrees, drops the points that rounding makes repeat, and writes plain GeoJSON. Run it
once when updating the data; the app only reads the result (no network at run time).

    python scripts/make_borders.py package/countries-50m.json kb/ui/data/borders.geojson
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TOLERANCE = 0.05


def decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Every arc in degrees: TopoJSON stores quantized deltas, undone with the transform."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(simplify(points, TOLERANCE))
    return arcs


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker: keep the ends, and recursively the point farthest from the chord if it is
    farther than ``tolerance``."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = points[a], points[b]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        best, far = -1.0, -1
        for i in range(a + 1, b):
            px, py = points[i]
            d = abs(dy * (px - x1) - dx * (py - y1)) / norm if norm else ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
            if d > best:
                best, far = d, i
        if far >= 0 and best > tolerance:
            keep[far] = True
            stack.extend(((a, far), (far, b)))
    return [p for p, k in zip(points, keep, strict=True) if k]


def ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    """A ring from arc indexes (``~i``: arc ``i`` reversed), rounded, repeats dropped, closed."""
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc[1:] if points else arc)
    out: list[list[float]] = []
    for lon, lat in points:
        p = [round(lon, 2), round(lat, 2)]
        if not out or out[-1] != p:
            out.append(p)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out


def polygons(geometry: dict[str, Any], arcs: list[list[tuple[float, float]]]) -> list[list[list[list[float]]]]:
    parts = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry.get("arcs", [])
    out = []
    for polygon in parts:
        rings = [r for r in (ring(idx, arcs) for idx in polygon) if len(r) >= 4]
        if rings:
            out.append(rings)
    return out


def main(src: Path, dst: Path) -> None:
    topo = json.loads(src.read_text(encoding="utf-8"))
    arcs = decode_arcs(topo)
    features = []
    for g in topo["objects"]["countries"]["geometries"]:
        polys = polygons(g, arcs)
        if polys:
            geometry = {"type": "MultiPolygon", "coordinates": polys}
            features.append({"type": "Feature", "properties": {"name": g["properties"]["name"]}, "geometry": geometry})
    doc = {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:50m Admin 0 countries v4.1.0 (public domain), via world-atlas 2.0.2",
        "features": features,
    }
    dst.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"{len(features)} countries, {dst.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
