"""The 日次推移 chart as server-rendered SVG geometry (no script: the CSP allows none inline)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tasks.render.labels import CHAIN_ORDER, chain_name

COLORS = {"seven": "#e5541b", "lawson": "#1d6fb8", "famima": "#1a9641", "ministop": "#f2b705",
          "daily": "#8c564b", "seicomart": "#e377c2"}
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 900, 260, 90, 30, 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    color: str
    label: str


def chart(rows: list[dict], start: date, end: date, measure: str) -> dict:
    """Stacked bars per day (one colour per chain) of `measure` (count or amount), with axis ticks."""
    days = (end - start).days + 1
    totals: dict[date, int] = {}
    for r in rows:
        totals[r["paid_date"]] = totals.get(r["paid_date"], 0) + int(r[measure])
    top = max(totals.values(), default=0) or 1
    plot_h, plot_w = HEIGHT - BOTTOM - TOP, WIDTH - LEFT - 10
    step = plot_w / days
    stacked: dict[date, float] = {}
    bars = []
    for r in sorted(rows, key=lambda r: (r["paid_date"], CHAIN_ORDER.index(r["chain"]))):
        h = int(r[measure]) / top * plot_h
        base = stacked.get(r["paid_date"], 0.0)
        x = LEFT + (r["paid_date"] - start).days * step
        bars.append(Bar(round(x, 1), round(TOP + plot_h - base - h, 1), round(max(step * 0.8, 0.5), 1),
                        round(h, 1), COLORS[r["chain"]],
                        f"{r['paid_date']} {chain_name(r['chain'])} {int(r[measure]):,}"))
        stacked[r["paid_date"]] = base + h
    ticks = [{"y": round(TOP + plot_h - plot_h * i / 4, 1), "label": f"{round(top * i / 4):,}"}
             for i in range(5)]
    months = []
    d = start
    while d <= end:
        if d.day == 1 or d == start:
            months.append({"x": round(LEFT + (d - start).days * step, 1), "label": f"{d.month}月"})
        d += timedelta(days=1)
    return {"bars": bars, "ticks": ticks, "months": months, "width": WIDTH, "height": HEIGHT,
            "left": LEFT, "bottom": HEIGHT - BOTTOM, "right": WIDTH - 10,
            "legend": [{"name": chain_name(c), "color": COLORS[c]} for c in CHAIN_ORDER]}
