"""Charts drawn on the server as SVG: no JavaScript, no external library.

The functions return plain data (coordinates, tick labels), so the numbers
stay testable. A line chart is turned into SVG by ``charts/line.html``; a bar
chart writes its own SVG (``BarChart.svg``): the dashboard draws two with a
dozen bars each, and a template loop spent more time on them than the
database spent on the whole page. Only classes and SVG attributes, no inline
styles, so the strict Content-Security-Policy holds.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
HEIGHT = 240
PAD_LEFT = 64
PAD_RIGHT = 16
PAD_TOP = 16
PAD_BOTTOM = 32


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    points: str
    dots: list[tuple[float, float, str]]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    title: str

    @property
    def is_empty(self) -> bool:
        return not self.dots


def _nice_step(span: float, target_ticks: int = 4) -> float:
    raw = span / max(target_ticks, 1)
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def line_chart(series: list[tuple[datetime, float]], *, title: str, unit: str = "") -> LineChart:
    """A time series scaled into the plot area, with about four ticks per axis."""
    left, right = PAD_LEFT, WIDTH - PAD_RIGHT
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM
    if not series:
        return LineChart(WIDTH, HEIGHT, "", [], [], [], left, right, top, bottom, title)
    times = [t.timestamp() for t, _ in series]
    values = [float(v) for _, v in series]
    t_min, t_max = min(times), max(times)
    step = _nice_step(max(values) - min(values) or max(abs(values[0]), 1))
    v_min = (min(values) // step) * step
    v_max = v_min + step * max(1, -(-(max(values) - v_min) // step))
    t_span = (t_max - t_min) or 1
    v_span = (v_max - v_min) or 1

    def x(t: float) -> float:
        return round(left + (t - t_min) / t_span * (right - left), 1)

    def y(v: float) -> float:
        return round(bottom - (v - v_min) / v_span * (bottom - top), 1)

    dots = [
        (x(t), y(v), f"{when:%Y-%m-%d}: {v:,.0f} {unit}".strip())
        for t, v, (when, _) in zip(times, values, series, strict=True)
    ]
    y_ticks = []
    value = v_min
    while value <= v_max + step / 2:
        y_ticks.append(Tick(y(value), f"{value:,.0f}"))
        value += step
    x_ticks = []
    span = series[-1][0] - series[0][0]
    # Months for a long history, days for a short one, so ticks never repeat.
    label = "%b %Y" if span.days > 120 else "%d %b"
    for fraction in (0, 1 / 3, 2 / 3, 1):
        moment = series[0][0] + span * fraction
        x_ticks.append(Tick(x(moment.timestamp()), moment.strftime(label)))
    return LineChart(
        WIDTH,
        HEIGHT,
        " ".join(f"{dx},{dy}" for dx, dy, _ in dots),
        dots,
        x_ticks,
        y_ticks,
        left,
        right,
        top,
        bottom,
        title,
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: float
    tooltip: str
    href: str = ""
    tone: str = ""  # a class beside "column": "danger" for what is overdue


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    title: str
    description: str

    @property
    def is_empty(self) -> bool:
        return not any(bar.value for bar in self.bars)

    @cached_property
    def svg(self) -> SafeString:
        """The chart as an ``<svg>`` element: grid lines and value ticks, the axis labels,
        then the bars with their tooltips, each in a link when it has one."""
        left, right = self.plot_left, self.plot_right
        parts = [
            f'<svg class="chart bar-chart" viewBox="0 0 {self.width} {self.height}" '
            f'role="img" aria-label="{escape(self.description)}">',
            f"<title>{escape(self.description)}</title>",
        ]
        for tick in self.y_ticks:
            y = tick.position
            parts.append(f'<line class="grid-line" x1="{left}" x2="{right}" y1="{y}" y2="{y}"/>')
            parts.append(
                f'<text class="axis-label" x="{left - 8}" y="{y}" text-anchor="end" '
                f'dominant-baseline="middle">{escape(tick.label)}</text>'
            )
        for tick in self.x_ticks:
            parts.append(
                f'<text class="axis-label" x="{tick.position}" y="{self.height - 10}" '
                f'text-anchor="middle">{escape(tick.label)}</text>'
            )
        for bar in self.bars:
            column = f"column {escape(bar.tone)}" if bar.tone else "column"
            rect = (
                f'<rect class="{column}" x="{bar.x}" y="{bar.y}" width="{bar.width}" '
                f'height="{bar.height}" rx="2"><title>{escape(bar.tooltip)}</title></rect>'
            )
            parts.append(f'<a href="{escape(bar.href)}">{rect}</a>' if bar.href else rect)
        parts.append("</svg>")
        # Every text above is escaped; the rest are numbers and fixed markup.
        return mark_safe("\n".join(parts))


def bar_chart(
    series: list[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    names: list[str] | None = None,
    links: list[str] | None = None,
    tones: list[str] | None = None,
    max_labels: int | None = None,
) -> BarChart:
    """One bar per category (a month, say), from zero, with about four value ticks.

    With ``max_labels``, many bars label only every so many of them (always the first),
    so the axis stays readable where the chart is drawn small; tooltips name them all.

    ``series`` is ``(axis label, value)`` pairs in display order; ``names`` are
    optional longer names for the tooltips, ``links`` optional URLs, one per bar,
    for the list behind each bar, ``tones`` optional classes that set bars apart.
    """
    left, right = PAD_LEFT, WIDTH - PAD_RIGHT
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM
    values = [max(float(v), 0.0) for _, v in series]
    peak = max(values, default=0.0)
    step = _nice_step(peak or 1)
    v_max = step * max(1, -(-peak // step))
    slot = (right - left) / max(len(series), 1)
    bar_width = round(slot * 0.7, 1)

    def y(v: float) -> float:
        return round(bottom - v / v_max * (bottom - top), 1)

    bars = []
    x_ticks = []
    every = -(-len(series) // max_labels) if max_labels else 1
    for index, ((label, _), value) in enumerate(zip(series, values, strict=True)):
        centre = left + slot * (index + 0.5)
        amount = f"{value:,.0f} {unit}".strip()
        bars.append(
            Bar(
                x=round(centre - bar_width / 2, 1),
                y=y(value),
                width=bar_width,
                height=round(bottom - y(value), 1),
                label=label,
                value=value,
                tooltip=f"{names[index] if names else label}: {amount}",
                href=links[index] if links else "",
                tone=tones[index] if tones else "",
            )
        )
        if index % every == 0:
            x_ticks.append(Tick(round(centre, 1), label))
    y_ticks = []
    value = 0.0
    while value <= v_max + step / 2:
        y_ticks.append(Tick(y(value), f"{value:,.0f}"))
        value += step
    total = sum(values)
    description = f"{title}: {total:,.0f} {unit}".strip() + " in total"
    full_names = names or [label for label, _ in series]
    if len(full_names) > 1:
        description += f", {full_names[0]} to {full_names[-1]}"
    elif full_names:
        description += f", {full_names[0]}"
    return BarChart(
        WIDTH, HEIGHT, bars, x_ticks, y_ticks, left, right, top, bottom, title, description
    )
