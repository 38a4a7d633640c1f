"""The figures as pictures, drawn on the server: a bar chart over time and a shaded world map.

Only geometry is computed here (plain numbers for SVG attributes, which take no locale
formatting); the templates add the localised dates, numbers and titles. No style attribute
anywhere: colours come from classes in static/css/site.css, so the strict CSP stays as it is.
"""

import functools
import json
import math
from pathlib import Path

MAP_FILE = Path(__file__).resolve().parent / "maps" / "world.json"
MAP_LEVELS = 5  # shades besides "none"

CHART_WIDTH = 720
CHART_HEIGHT = 200
CHART_LEFT = 56  # room for the scale's labels
CHART_BOTTOM = 24  # room for the first and last date


def _number(value):
    return f"{round(value, 2):g}"


def nice_ceiling(value):
    """The scale's top: 1, 2 or 5 times a power of ten, at least ``value``."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def time_chart(series):
    """Bars for ``[(date or datetime, n)]``: ``{"bars", "top", "width", "height", …}`` or None if empty."""
    if not series:
        return None
    top = nice_ceiling(max(n for _, n in series))
    plot_width = CHART_WIDTH - CHART_LEFT
    plot_height = CHART_HEIGHT - CHART_BOTTOM
    step = plot_width / len(series)
    gap = step * 0.15 if step > 4 else 0
    bars = []
    for index, (when, n) in enumerate(series):
        height = n / top * plot_height
        bars.append(
            {
                "when": when,
                "signatures": n,
                "x": _number(CHART_LEFT + index * step + gap / 2),
                "y": _number(plot_height - height),
                "width": _number(max(step - gap, 0.5)),
                "height": _number(height),
            }
        )
    return {
        "bars": bars,
        "top": top,
        "first": series[0][0],
        "last": series[-1][0],
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "axis_y": plot_height,
        "label_x": CHART_LEFT - 6,
        "label_y": plot_height + 18,
        "right": CHART_WIDTH,
    }


@functools.cache
def world_outline():
    """The vendored map (petitions/maps/world.json, see the LICENSE beside it), read once per process."""
    return json.loads(MAP_FILE.read_text())


def level_of(n, largest):
    """The shade of a country with ``n`` signatures: 0 for none, 1-5 on a square-root scale of the largest."""
    if n <= 0 or largest <= 0:
        return 0
    # The least level L with sqrt(n / largest) <= L / MAP_LEVELS, in integers (no rounding at the edges).
    return next(level for level in range(1, MAP_LEVELS + 1) if n * MAP_LEVELS**2 <= largest * level**2)


def world_map(by_country, country_name):
    """The map's countries with their shade and figure, and the legend's levels.

    ``by_country``: ``[(code, n)]``; ``country_name``: code → name in the page's language.
    """
    counts = dict(by_country)
    largest = max(counts.values(), default=0)
    outline = world_outline()
    shapes = []
    for country in outline["countries"]:
        code = country["code"]
        n = counts.get(code, 0) if code else 0
        shapes.append(
            {
                "code": code,
                "name": country_name(code) if code else "",
                "signatures": n,
                "level": level_of(n, largest),
                "d": country["d"],
            }
        )
    legend = []
    for level in range(1, MAP_LEVELS + 1):
        # The least a country needs for this shade, and the most it may have.
        low = largest * (level - 1) ** 2 // MAP_LEVELS**2 + 1
        high = largest * level**2 // MAP_LEVELS**2
        if largest and low <= high:
            legend.append({"level": level, "low": low, "high": high})
    return {"width": outline["width"], "height": outline["height"], "shapes": shapes, "legend": legend}
