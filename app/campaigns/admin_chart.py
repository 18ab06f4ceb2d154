"""The results chart: messages handed to providers and delivered over time, as an inline SVG.

Drawn on the server (no chart library, nothing fetched), readable without colour (the lines
differ in dash pattern and are labelled) and by screen readers (role="img", a title and a
summary; the page adds the figures as a table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.campaigns.results import TimePoint
from app.core.templating import format_instant

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 40


@dataclass(frozen=True)
class Chart:
    """The SVG and the sentence that says what it shows."""

    svg: Markup
    summary: str


def summary_of(points: Sequence[TimePoint], total: int) -> str:
    """One sentence with the chart's message: the span and the final figures."""
    if not points:
        return _("Nothing has been handed to a provider yet.")
    last = points[-1]
    return _("By %(end)s: %(sent)d of %(total)d messages handed to providers, %(delivered)d delivered.",
             end=format_instant(last.at), sent=last.sent, total=total, delivered=last.delivered)


def _polyline(values: list[int], top: int, css: str, dash: str) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(values) - 1, 1)
    coords = " ".join(f"{LEFT + plot_w * i / count:.1f},{TOP + plot_h * (1 - v / top):.1f}"
                      for i, v in enumerate(values))
    return (f'<polyline points="{coords}" fill="none" class="{css}" stroke-width="2.5"'
            f' stroke-dasharray="{dash}" stroke-linejoin="round"/>')


def delivery_chart(points: Sequence[TimePoint], *, total: int) -> Chart:
    """The cumulative sent and delivered lines from the start of sending to now."""
    summary = summary_of(points, total)
    if not points:
        return Chart(Markup(""), summary)
    step = (points[1].at - points[0].at) if len(points) > 1 else timedelta(minutes=1)
    start = points[0].at - step
    sent = [0] + [p.sent for p in points]
    delivered = [0] + [p.delivered for p in points]
    top = max(total, sent[-1], 1)
    plot_h = HEIGHT - TOP - BOTTOM
    title = escape(_("Messages handed to providers and delivered over time"))
    parts = [
        f'<svg class="campaign-chart" role="img" aria-labelledby="chart-title chart-desc" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{title}</title><desc id="chart-desc">{escape(summary)}</desc>',
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-label">'
                     f'{round(top * fraction)}</text>')
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - BOTTOM + 16}" class="chart-label">'
                 f'{escape(format_instant(start, "%H:%M"))}</text>')
    parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - BOTTOM + 16}" text-anchor="end" class="chart-label">'
                 f'{escape(format_instant(points[-1].at, "%H:%M"))}</text>')
    parts.append(_polyline(sent, top, "chart-sent", "6 4"))
    parts.append(_polyline(delivered, top, "chart-delivered", "0"))
    legend_y = HEIGHT - 8
    parts.append(f'<line x1="{LEFT}" x2="{LEFT + 24}" y1="{legend_y - 4}" y2="{legend_y - 4}" class="chart-sent" '
                 f'stroke-width="2.5" stroke-dasharray="6 4"/>')
    parts.append(f'<text x="{LEFT + 30}" y="{legend_y}" class="chart-label">'
                 f'{escape(_("handed to providers"))}</text>')
    parts.append(f'<line x1="{LEFT + 220}" x2="{LEFT + 244}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
                 f'class="chart-delivered" stroke-width="2.5"/>')
    parts.append(f'<text x="{LEFT + 250}" y="{legend_y}" class="chart-label">{escape(_("delivered"))}</text>')
    parts.append("</svg>")
    return Chart(Markup("".join(parts)), summary)
