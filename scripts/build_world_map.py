"""Turn world-atlas's TopoJSON into the SVG paths of the countries page's map, once, by hand.

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/python scripts/build_world_map.py package/countries-110m.json petitions/maps/world.json

world-atlas (ISC licence, by Mike Bostock) redistributes Natural Earth's 1:110m countries (public
domain) as TopoJSON. This script decodes its arcs, projects them with the Equal Earth projection
(equal-area: a country's shaded area is its true share of the world), rounds to a tenth of a unit
on a 1000-unit-wide canvas, leaves out Antarctica, and keys each country by the ISO 3166-1 alpha-2
code the site's country field stores (from the numeric code world-atlas gives, via django-countries).
The three territories without a numeric code (N. Cyprus, Somaliland, Kosovo) are drawn unkeyed, so
the map has no holes. Standard library plus django-countries; the result is committed.
"""

import json
import math
import sys

WIDTH = 1000
ANTARCTICA = "010"
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon, lat):
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * lam * math.cos(theta) / (3 * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, -y


def decode_arcs(topology):
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


def ring_points(ring, arcs):
    points = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def unwrap(ring):
    """A ring that crosses the antimeridian (Fiji, Russia's far east) made continuous in longitude.

    world-atlas leaves such rings whole (d3 clips them on the sphere); projected as they are, they
    would draw a line across the map. Here the part beyond 180 degrees runs off the canvas's edge.
    """
    out = [ring[0]]
    for lon, lat in ring[1:]:
        previous = out[-1][0]
        while lon - previous > 180:
            lon -= 360
        while lon - previous < -180:
            lon += 360
        out.append((lon, lat))
    middle = sum(lon for lon, _ in out) / len(out)
    shift = -360 if middle > 180 else 360 if middle < -180 else 0
    return [(lon + shift, lat) for lon, lat in out]


def clamp(lon):
    # The projection's formula holds a little beyond the edge; the canvas clips the rest.
    return max(-200.0, min(200.0, lon))


def polygons(geometry):
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def path_data(rings, scale, offset_y):
    """Relative SVG path commands from the rounded absolute points, so rounding never drifts."""
    parts = []
    for ring in rings:
        rounded = []
        for x, y in ring:
            point = (round(x * scale * 10), round((y - offset_y) * scale * 10))
            if not rounded or point != rounded[-1]:
                rounded.append(point)
        if len(rounded) < 3:
            continue
        (x0, y0), commands = rounded[0], []
        commands.append(f"M{x0 / 10:g} {y0 / 10:g}")
        previous = rounded[0]
        steps = []
        for point in rounded[1:]:
            dx, dy = point[0] - previous[0], point[1] - previous[1]
            steps.append(f"{dx / 10:g} {dy / 10:g}")
            previous = point
        commands.append("l" + " ".join(steps).replace(" -", "-") + "z")
        parts.append("".join(commands))
    return "".join(parts)


def main(source, target):
    import django
    from django.conf import settings

    settings.configure(USE_I18N=False)
    django.setup()
    from django_countries import countries

    topology = json.load(open(source))
    arcs = decode_arcs(topology)
    features = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("id") == ANTARCTICA:
            continue
        rings = [
            [equal_earth(clamp(lon), lat) for lon, lat in unwrap(ring_points(ring, arcs))]
            for polygon in polygons(geometry)
            for ring in polygon
        ]
        code = countries.alpha2(int(geometry["id"])) if geometry.get("id") else ""
        features.append((code, geometry["properties"]["name"], rings))
    xs = [equal_earth(lon, 0)[0] for lon in (-180, 180)]
    ys = [y for _, _, rings in features for ring in rings for _, y in ring]
    scale = WIDTH / (2 * max(abs(min(xs)), abs(max(xs))))
    offset_x = -WIDTH / 2
    top = min(ys)
    height = math.ceil((max(ys) - top) * scale)
    countries_out = []
    for code, name, rings in features:
        shifted = [[(x - offset_x / scale, y) for x, y in ring] for ring in rings]
        countries_out.append({"code": code, "name": name, "d": path_data(shifted, scale, top)})
    countries_out.sort(key=lambda c: (c["code"] == "", c["code"], c["name"]))
    document = {
        "source": "world-atlas 2.0.2 countries-110m.json (ISC), from Natural Earth 4.1.0 (public domain)",
        "projection": "Equal Earth",
        "width": WIDTH,
        "height": height,
        "countries": countries_out,
    }
    with open(target, "w") as handle:
        json.dump(document, handle, ensure_ascii=False, separators=(",", ":"))
        handle.write("\n")
    size = sum(len(c["d"]) for c in countries_out)
    print(f"{len(countries_out)} countries, {size:,} characters of path data, {WIDTH} x {height}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
