"""A metric history as detectors see it: timestamps, values and user labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from monitor.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

_NS_PER_SECOND = 1_000_000_000


def _as_timestamps(raw: Any) -> np.ndarray:
    """Naive-UTC datetime64[ns] from datetimes, datetime64 or ISO 8601 strings."""
    array = np.asarray(raw)
    if array.ndim != 1:
        raise InputError(f"timestamps must be one-dimensional, got shape {array.shape}")
    if array.dtype.kind in "biuf":
        raise InputError(
            f"timestamps must be datetimes or ISO 8601 strings, got numbers (first: {array[0]!r})"
            if array.size
            else "timestamps must be datetimes or ISO 8601 strings, got numbers"
        )
    if array.dtype.kind == "M":
        stamps = array.astype("datetime64[ns]")
    else:
        import pandas as pd

        try:
            index = pd.to_datetime(pd.Index(array, dtype=object), utc=True, format="mixed")
        except (ValueError, TypeError, OverflowError) as error:
            raise InputError(f"timestamps could not be read: {error}") from error
        stamps = index.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    missing = np.flatnonzero(np.isnat(stamps))
    if missing.size:
        raise InputError(f"timestamp at position {int(missing[0])} is missing (NaT)")
    return stamps


def _as_values(raw: Any, size: int) -> np.ndarray:
    try:
        values = np.asarray(raw, dtype=np.float64)
    except (ValueError, TypeError) as error:
        raise InputError(f"values must be numbers: {error}") from error
    if values.ndim != 1 or values.size != size:
        raise InputError(f"expected {size} values (one per timestamp), got shape {values.shape}")
    # A metric cannot be infinite (a ratio over zero rows, say): treat it as missing.
    return np.where(np.isfinite(values), values, np.nan)


def _as_mask(raw: Any, size: int, name: str) -> np.ndarray:
    if raw is None:
        return np.zeros(size, dtype=bool)
    mask = np.asarray(raw)
    if mask.shape != (size,):
        raise InputError(f"{name} must have one flag per timestamp ({size}), got {mask.shape}")
    if mask.dtype != bool:
        try:
            mask = mask.astype(bool)
        except (ValueError, TypeError) as error:
            raise InputError(f"{name} must be true/false flags: {error}") from error
    return mask


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Series:
    """One metric's history, sorted by time, with the labels users gave its points.

    ``values`` may hold NaN (missing); ``excluded`` marks points a user labeled as an
    *incident* (kept out of training); ``expected`` marks points labeled *expected*
    (never anomalies, always in training). Inputs are sorted by time on construction;
    duplicated timestamps raise :class:`InputError`.

    >>> s = Series(["2024-01-02", "2024-01-01"], [20.0, 10.0])
    >>> s.values.tolist(), str(s.timestamps[0])[:10]
    ([10.0, 20.0], '2024-01-01')
    """

    timestamps: np.ndarray
    values: np.ndarray
    excluded: np.ndarray = field(default=None)  # type: ignore[assignment]
    expected: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        stamps = _as_timestamps(self.timestamps)
        values = _as_values(self.values, stamps.size)
        excluded = _as_mask(self.excluded, stamps.size, "excluded")
        expected = _as_mask(self.expected, stamps.size, "expected")
        order = np.argsort(stamps, kind="stable")
        stamps, values = stamps[order], values[order]
        excluded, expected = excluded[order], expected[order]
        duplicated = np.flatnonzero(stamps[1:] == stamps[:-1])
        if duplicated.size:
            first = np.datetime_as_string(stamps[duplicated[0]], unit="s")
            raise InputError(
                f"{duplicated.size} duplicated timestamp(s) in the series, first at {first}; "
                "each bucket must appear once"
            )
        both = np.flatnonzero(excluded & expected)
        if both.size:
            when = np.datetime_as_string(stamps[both[0]], unit="s")
            raise InputError(f"the point at {when} is labeled both expected and incident")
        object.__setattr__(self, "timestamps", _frozen(stamps))
        object.__setattr__(self, "values", _frozen(values))
        object.__setattr__(self, "excluded", _frozen(excluded))
        object.__setattr__(self, "expected", _frozen(expected))

    def __len__(self) -> int:
        return int(self.timestamps.size)

    @property
    def step_seconds(self) -> float:
        """Typical spacing of the points (median gap) in seconds; NaN below two points."""
        if len(self) < 2:
            return float("nan")
        gaps = np.diff(self.timestamps).astype(np.int64)
        return float(np.median(gaps)) / _NS_PER_SECOND

    @classmethod
    def from_pairs(cls, pairs: Iterable[Sequence[Any]]) -> Series:
        """Build from ``(timestamp, value)`` pairs.

        >>> len(Series.from_pairs([("2024-01-01", 1.0), ("2024-01-02", None)]))
        2
        """
        stamps: list[Any] = []
        values: list[Any] = []
        for position, pair in enumerate(pairs):
            try:
                stamp, value = pair
            except (TypeError, ValueError) as error:
                raise InputError(
                    f"pair {position} must be (timestamp, value), got {pair!r}"
                ) from error
            stamps.append(stamp)
            values.append(np.nan if value is None else value)
        return cls(np.array(stamps, dtype=object), np.array(values, dtype=object))

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        ts_col: str = "timestamp",
        value_col: str = "value",
        *,
        excluded_col: str | None = None,
        expected_col: str | None = None,
    ) -> Series:
        """Build from two (or up to four) columns of a DataFrame.

        >>> import pandas as pd
        >>> df = pd.DataFrame({"day": ["2024-01-01", "2024-01-02"], "rows": [5, 7]})
        >>> Series.from_frame(df, "day", "rows").values.tolist()
        [5.0, 7.0]
        """
        import pandas as pd

        wanted = [ts_col, value_col, excluded_col, expected_col]
        missing = [name for name in wanted if name is not None and name not in frame.columns]
        if missing:
            raise InputError(
                f"column(s) {', '.join(missing)} not in the frame "
                f"(columns: {', '.join(map(str, frame.columns))})"
            )
        values = pd.to_numeric(frame[value_col], errors="coerce").to_numpy(dtype=np.float64)
        return cls(
            frame[ts_col].to_numpy(),
            values,
            None if excluded_col is None else frame[excluded_col].fillna(False).to_numpy(bool),
            None if expected_col is None else frame[expected_col].fillna(False).to_numpy(bool),
        )

    def with_labels(self, *, expected: Iterable[Any] = (), excluded: Iterable[Any] = ()) -> Series:
        """A copy with the points at the given timestamps labeled.

        Timestamps not in the series are ignored (feedback may be older than the
        history loaded). A later label replaces an earlier one on the same point.

        >>> s = Series(["2024-01-01", "2024-01-02"], [1.0, 2.0])
        >>> s.with_labels(excluded=["2024-01-02"]).excluded.tolist()
        [False, True]
        """
        new_expected = self.expected.copy()
        new_excluded = self.excluded.copy()
        for stamps, mask, other in (
            (expected, new_expected, new_excluded),
            (excluded, new_excluded, new_expected),
        ):
            stamps = list(stamps)
            if not stamps:
                continue
            hits = np.isin(self.timestamps, _as_timestamps(np.array(stamps, dtype=object)))
            mask[hits] = True
            other[hits] = False
        return Series(self.timestamps, self.values, new_excluded, new_expected)
