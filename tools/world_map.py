"""Make datasette/static/world.svg, the offline base map, from world-atlas's countries-110m.json.

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python tools/world_map.py package/countries-110m.json datasette/static/world.svg

Equirectangular: x is longitude, y is minus latitude, so the SVG's user units are degrees
and a click maps to coordinates with no projection maths. Natural Earth data (public domain)
via world-atlas (ISC, Copyright 2013-2019 Michael Bostock).
"""

from __future__ import annotations

import json
import sys
from html import escape
from pathlib import Path

NOTICE = (
    "Country outlines: Natural Earth 1:110m (public domain), via world-atlas 2.0.2, "
    "Copyright 2013-2019 Michael Bostock, ISC licence. Made by tools/world_map.py."
)


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs are quantised and delta-encoded: undo both."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(ring: list[int], arcs: list) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)
    return points


def ring_paths(points: list[tuple[float, float]]) -> list[str]:
    """A ring as SVG path data; one that crosses the antimeridian is unwrapped and drawn twice."""
    unwrapped, shift = [], 0.0
    for i, (lon, lat) in enumerate(points):
        if i and abs(lon + shift - unwrapped[-1][0]) > 180:
            shift += 360 if unwrapped[-1][0] > lon + shift else -360
        unwrapped.append((lon + shift, lat))
    lons = [p[0] for p in unwrapped]
    offsets = [0.0]
    if max(lons) > 180:
        offsets.append(-360.0)
    if min(lons) < -180:
        offsets.append(360.0)
    return [path_data([(lon + off, lat) for lon, lat in unwrapped]) for off in offsets]


def path_data(points: list[tuple[float, float]]) -> str:
    out, last = [], None
    for lon, lat in points:
        xy = f"{lon:.1f} {-lat:.1f}".replace(".0 ", " ").replace("-0 ", "0 ")
        if xy.endswith(".0"):
            xy = xy[:-2]
        if xy != last:
            out.append(xy)
            last = xy
    return "M" + "L".join(out) + "Z"


def country_paths(topology: dict) -> list[tuple[str, str]]:
    arcs = decode_arcs(topology)
    result = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs") or []
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        data = "".join(
            part
            for polygon in polygons
            for ring in polygon
            for part in ring_paths(ring_points(ring, arcs))
        )
        result.append((geometry.get("properties", {}).get("name", ""), data))
    return result


def world_svg(topology: dict) -> str:
    paths = "\n".join(
        f'<path d="{d}"><title>{escape(name)}</title></path>' for name, d in country_paths(topology)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-180 -90 360 180" '
        'preserveAspectRatio="none">\n'
        f"<!-- {NOTICE} -->\n"
        '<rect x="-180" y="-90" width="360" height="180" fill="#dbe8f2"/>\n'
        '<g fill="#f4f1e8" stroke="#9aa3ad" stroke-width="0.15" stroke-linejoin="round">\n'
        f"{paths}\n</g>\n</svg>\n"
    )


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    target.write_text(world_svg(json.loads(source.read_text("utf-8"))), "utf-8")
