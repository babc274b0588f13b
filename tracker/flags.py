"""Small national flags drawn as SVG shapes, so no image is ever fetched.

Only the countries the office works with are drawn; any other country shows
its two-letter code alone (the code is always shown next to a flag anyway).
"""

from __future__ import annotations

import math
from typing import Any

W, H = 30, 20

Shape = dict[str, Any]


def _stripes(colours: list[str], vertical: bool) -> list[Shape]:
    n = len(colours)
    if vertical:
        return [
            {
                "tag": "rect",
                "x": round(i * W / n, 2),
                "y": 0,
                "width": round(W / n, 2) + 0.01,
                "height": H,
                "fill": c,
            }
            for i, c in enumerate(colours)
        ]
    return [
        {
            "tag": "rect",
            "x": 0,
            "y": round(i * H / n, 2),
            "width": W,
            "height": round(H / n, 2) + 0.01,
            "fill": c,
        }
        for i, c in enumerate(colours)
    ]


def star(cx: float, cy: float, r: float, rotation: float = 0.0) -> str:
    """Points of a five-pointed star, for a ``<polygon>``."""
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = math.radians(-90 + rotation + i * 36)
        points.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return " ".join(points)


def _greece() -> list[Shape]:
    blue, white, band = "#0d5eaf", "#ffffff", H / 9
    shapes: list[Shape] = [{"tag": "rect", "x": 0, "y": 0, "width": W, "height": H, "fill": blue}]
    shapes += [
        {
            "tag": "rect",
            "x": 0,
            "y": round(i * band, 2),
            "width": W,
            "height": round(band, 2),
            "fill": white,
        }
        for i in range(1, 9, 2)
    ]
    canton = band * 5
    shapes += [
        {
            "tag": "rect",
            "x": 0,
            "y": 0,
            "width": round(canton, 2),
            "height": round(canton, 2),
            "fill": blue,
        },
        {
            "tag": "rect",
            "x": 0,
            "y": round(band * 2, 2),
            "width": round(canton, 2),
            "height": round(band, 2),
            "fill": white,
        },
        {
            "tag": "rect",
            "x": round(band * 2, 2),
            "y": 0,
            "width": round(band, 2),
            "height": round(canton, 2),
            "fill": white,
        },
    ]
    return shapes


def _nordic(ground: str, cross: str) -> list[Shape]:
    return [
        {"tag": "rect", "x": 0, "y": 0, "width": W, "height": H, "fill": ground},
        {"tag": "rect", "x": 9, "y": 0, "width": 4, "height": H, "fill": cross},
        {"tag": "rect", "x": 0, "y": 8, "width": W, "height": 4, "fill": cross},
    ]


def _china() -> list[Shape]:
    shapes: list[Shape] = [
        {"tag": "rect", "x": 0, "y": 0, "width": W, "height": H, "fill": "#ee1c25"},
        {"tag": "polygon", "points": star(5, 5, 3), "fill": "#ffff00"},
    ]
    for cx, cy, rot in ((10, 2, 23), (12, 4, 45), (12, 7, 0), (10, 9, 20)):
        shapes.append({"tag": "polygon", "points": star(cx, cy, 1, rot), "fill": "#ffff00"})
    return shapes


def _cyprus() -> list[Shape]:
    island = "7,9 11,6.5 17,6 23,4.5 21,7.5 19,9.5 14,10.5 9,11"
    return [
        {"tag": "rect", "x": 0, "y": 0, "width": W, "height": H, "fill": "#ffffff"},
        {"tag": "polygon", "points": island, "fill": "#d57800"},
        {"tag": "ellipse", "cx": 12, "cy": 15, "rx": 3, "ry": 1, "fill": "#4e5b31"},
        {"tag": "ellipse", "cx": 18, "cy": 15, "rx": 3, "ry": 1, "fill": "#4e5b31"},
    ]


FLAGS: dict[str, list[Shape]] = {
    "GR": _greece(),
    "SE": _nordic("#006aa7", "#fecc02"),
    "LT": _stripes(["#fdb913", "#006a44", "#c1272d"], vertical=False),
    "IT": _stripes(["#009246", "#ffffff", "#ce2b37"], vertical=True),
    "RO": _stripes(["#002b7f", "#fcd116", "#ce1126"], vertical=True),
    "RS": _stripes(["#c6363c", "#0c4076", "#ffffff"], vertical=False),
    "CY": _cyprus(),
    "CN": _china(),
}


def flag(country: str) -> list[Shape]:
    """The shapes of ``country``'s flag, or an empty list when it is not drawn."""
    return FLAGS.get((country or "").upper(), [])
