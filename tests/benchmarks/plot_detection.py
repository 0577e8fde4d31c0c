"""Draw a series with its expected band and flags for docs/detection.md.

.venv/bin/python tests/benchmarks/plot_detection.py [--out docs/img/detection_example.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from monitor.detection import Series, State, detect_metric

OUT = Path(__file__).resolve().parents[2] / "docs" / "img" / "detection_example.png"


_LABEL_OFFSETS = {"level shift ×1.7": (0, 14), "drop to zero": (40, 4)}


def volume_story() -> tuple[Series, list[tuple[int, str]]]:
    """Twenty weeks of daily rows with a weekend dip, growth and four incidents."""
    rng = np.random.default_rng(7)
    days = np.datetime64("2024-01-01") + np.arange(140) * np.timedelta64(1, "D")
    weekday = (np.arange(140) % 7) < 5
    level = np.where(weekday, 12_000, 5_000) * np.exp(0.25 * np.arange(140) / 365)
    rows = np.round(level * np.exp(rng.normal(0, 0.03, 140)))
    events = [
        (10, "partial load\n(first weeks)"),
        (38, "drop to zero"),
        (52, "−40%"),
        (66, "same fault,\n2 weeks later"),
        (98, "level shift ×1.7"),
    ]
    rows[10] *= 0.55
    rows[38] = 0
    rows[52] *= 0.6
    rows[66] *= 0.6
    rows[98:] *= 1.7
    return Series(days, rows), events


def null_rate_story() -> Series:
    """A column that is never null, with 0.1-0.5% wiggles and one real jump."""
    rng = np.random.default_rng(8)
    days = np.datetime64("2024-01-01") + np.arange(140) * np.timedelta64(1, "D")
    rate = np.where(rng.random(140) < 0.15, rng.uniform(0, 0.005, 140), 0.0)
    rate[[115, 116]] = [0.06, 0.045]
    return Series(days, rate)


def _panel(ax, series: Series, kind: str, title: str, scale: float = 1.0) -> None:
    detections = detect_metric(series, kind)
    x = series.timestamps
    value = series.values * scale
    expected = np.array([d.expected for d in detections]) * scale
    lower = np.array([d.lower for d in detections]) * scale
    upper = np.array([d.upper for d in detections]) * scale
    flagged = np.array([d.is_anomaly for d in detections])
    learning = np.array([d.state is State.LEARNING for d in detections])
    ax.fill_between(x, lower, upper, step="mid", color="tab:blue", alpha=0.18, label="band")
    ax.plot(x, expected, color="tab:blue", lw=1, ls="--", label="expected")
    ax.plot(x, value, color="black", lw=1, marker=".", ms=3, label="value")
    ax.scatter(x[flagged], value[flagged], color="tab:red", s=40, zorder=5, label="anomaly")
    if learning.any():
        ax.axvspan(
            x[0],
            x[np.flatnonzero(learning)[-1]],
            color="grey",
            alpha=0.15,
            label="learning (rules only)",
        )
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(loc="upper left", fontsize=7, ncol=5, frameon=False)
    ax.grid(alpha=0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    volume, events = volume_story()
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 7), sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    _panel(top, volume, "volume", "rows per day (volume defaults)")
    for day, text in events:
        top.annotate(
            text,
            (volume.timestamps[day], volume.values[day]),
            fontsize=7,
            xytext=_LABEL_OFFSETS.get(text, (0, -28)),
            textcoords="offset points",
            ha="center",
            color="tab:red",
        )
    top.set_ylim(bottom=-1000)
    _panel(bottom, null_rate_story(), "null_rate", "null rate, % (null_rate defaults)", 100)
    bottom.set_ylabel("%")
    fig.autofmt_xdate()
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
