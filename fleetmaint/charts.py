"""Charts drawn on the server as SVG: no JavaScript, no external library.

The functions return plain data (coordinates, tick labels) that the
``charts/*.html`` templates turn into SVG, so the numbers stay testable.
"""

from dataclasses import dataclass
from datetime import datetime

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
