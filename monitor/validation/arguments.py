"""Expectation arguments checked and read the way Great Expectations does, without GX.

GX builds each expectation as a pydantic (v1) model: ``min_value: "10"``
becomes ``10.0``, ``"2024-01-01"`` a date, ``mostly: 2`` is an error, and a
few rules only show when GX runs (``min_value`` above ``max_value`` in
``values_to_be_between``). The expectations dq-monitor judges itself (SQL
pushdown, table schema) never reach GX, so this module applies the same
field types and rules to them: one check, used by ``suites check`` and by
every validation before an expectation is routed. Types it does not model
are left to GX, which builds each one on its own (``monitor.validation.gx``).
``tests/validation/test_arguments.py`` checks it against GX itself.

>>> check_arguments("expect_column_values_to_be_between",
...                 {"column": "a", "min_value": "10"}).kwargs["min_value"]
10.0
>>> check_arguments("expect_column_values_to_be_between", {"column": "a"}).problems
('min_value and max_value cannot both be None',)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from pydantic.v1 import BaseModel, Extra, Field, StrictStr, ValidationError, confloat, create_model

from monitor.validation.catalog import allowed_kwargs

# The field types GX 1.24 declares (the order inside a Union matters: pydantic v1
# tries left to right, so "5" is a float before it could be a date).
_FLOAT_OR_TIME = Union[float, dict, dt.date, dt.datetime, None]  # noqa: UP007
_FLOAT = Union[float, dict, None]  # noqa: UP007
_INT = Union[int, dict, None]  # noqa: UP007
_INT_OR_TIME = Union[int, dict, dt.datetime, None]  # noqa: UP007
_STRICT = (Union[bool, dict], False)  # noqa: UP007
_MOSTLY = (Union[confloat(ge=0.0, le=1.0), dict], 1)  # noqa: UP007
_COLUMN = (StrictStr, Field(..., min_length=1))


class _Base(BaseModel):
    class Config:  # as GX's Expectation.Config
        smart_union = True
        extra = Extra.ignore  # checked against the catalog instead (see check_arguments)
        arbitrary_types_allowed = True


def _model(name: str, **fields: Any) -> type[BaseModel]:
    return create_model(name, __base__=_Base, **fields)


def _range(bound: Any, strict: Any = _STRICT) -> dict[str, Any]:
    return {"min_value": (bound, None), "max_value": (bound, None),
            "strict_min": strict, "strict_max": strict}


def _both_none(values: Mapping[str, Any]) -> str | None:
    if values.get("min_value") is None and values.get("max_value") is None:
        return "min_value and max_value cannot both be None"
    if values.get("min_value") == {} or values.get("max_value") == {}:
        return "values cannot be empty strings"
    return None


def _comparable(values: Mapping[str, Any]) -> tuple[Any, Any] | None:
    low, high = values.get("min_value"), values.get("max_value")
    if low is None or high is None or isinstance(low, dict) or isinstance(high, dict):
        return None
    return low, high


def _values_between(values: Mapping[str, Any]) -> str | None:
    """GX's root validator, then what its SQL metric refuses when it runs."""
    problem = _both_none(values)
    if problem or (pair := _comparable(values)) is None:
        return problem
    try:
        inverted = pair[0] > pair[1]
    except TypeError:
        return (f"min_value {pair[0]!r} and max_value {pair[1]!r} cannot be compared")
    return "min_value cannot be greater than max_value" if inverted else None


def _lengths_between(values: Mapping[str, Any]) -> str | None:
    if values.get("min_value") is None and values.get("max_value") is None:
        return "min_value and max_value cannot both be None"
    return None


def _row_count_between(values: Mapping[str, Any]) -> str | None:
    pair = _comparable(values)
    if pair is not None:
        try:
            if pair[0] > pair[1]:
                return (f"min_value ({pair[0]}) must be less than or equal to "
                        f"max_value ({pair[1]})")
        except TypeError:
            return f"min_value {pair[0]!r} and max_value {pair[1]!r} cannot be compared"
    for key in ("min_value", "max_value"):
        value = values.get(key)
        if isinstance(value, dict) and "$PARAMETER" not in value:
            return f"{key} dict must contain key $PARAMETER"
    return None


_MAP = {"column": _COLUMN, "mostly": _MOSTLY}
_Rule = Callable[[Mapping[str, Any]], "str | None"]

#: type -> (model of its arguments, rule on the whole set or None).
MODELS: dict[str, tuple[type[BaseModel], _Rule | None]] = {
    "expect_column_values_to_not_be_null": (_model("NotNull", **_MAP), None),
    "expect_column_values_to_be_null": (_model("Null", **_MAP), None),
    "expect_column_values_to_be_unique": (_model("Unique", **_MAP), None),
    "expect_column_values_to_be_between": (
        _model("ValuesBetween", **_MAP, **_range(_FLOAT_OR_TIME)), _values_between),
    "expect_column_values_to_be_in_set": (
        _model("InSet", **_MAP, value_set=(Union[list, dict], ...)), None),  # noqa: UP007
    "expect_column_values_to_not_be_in_set": (
        _model("NotInSet", **_MAP, value_set=(Union[list, dict], ...)), None),  # noqa: UP007
    "expect_column_values_to_match_regex": (
        _model("MatchRegex", **_MAP, regex=(Union[str, dict], "(?s).*")), None),  # noqa: UP007
    "expect_column_values_to_not_match_regex": (
        _model("NotMatchRegex", **_MAP, regex=(Union[str, dict], ...)), None),  # noqa: UP007
    "expect_column_value_lengths_to_be_between": (
        _model("LengthsBetween", **_MAP, **_range(_INT)), _lengths_between),
    "expect_column_value_lengths_to_equal": (
        _model("LengthsEqual", **_MAP, value=(Union[float, dict], ...)), None),  # noqa: UP007
    "expect_column_min_to_be_between": (
        _model("MinBetween", column=_COLUMN, **_range(_FLOAT_OR_TIME)), None),
    "expect_column_max_to_be_between": (
        _model("MaxBetween", column=_COLUMN, **_range(_FLOAT_OR_TIME)), None),
    "expect_column_mean_to_be_between": (
        _model("MeanBetween", column=_COLUMN, **_range(_FLOAT_OR_TIME)), None),
    "expect_column_sum_to_be_between": (
        _model("SumBetween", column=_COLUMN, **_range(_FLOAT_OR_TIME)), None),
    "expect_column_stdev_to_be_between": (
        _model("StdevBetween", column=_COLUMN, **_range(_FLOAT)), None),
    "expect_column_unique_value_count_to_be_between": (
        _model("UniqueCountBetween", column=_COLUMN, **_range(_INT)), None),
    "expect_column_proportion_of_unique_values_to_be_between": (
        _model("UniqueShareBetween", column=_COLUMN, **_range(_FLOAT)), None),
    "expect_column_proportion_of_non_null_values_to_be_between": (
        _model("NonNullShareBetween", column=_COLUMN, **_range(_FLOAT, (bool, False))), None),
    "expect_table_row_count_to_be_between": (
        _model("RowCountBetween", **_range(_INT_OR_TIME)), _row_count_between),
    "expect_table_row_count_to_equal": (
        _model("RowCountEqual", value=(Union[int, dict], ...)), None),  # noqa: UP007
    "expect_column_to_exist": (
        _model("ColumnExists", column=_COLUMN, column_index=(_INT, None)), None),
    "expect_table_column_count_to_equal": (
        _model("ColumnCountEqual", value=(Union[int, dict], ...)), None),  # noqa: UP007
    "expect_table_column_count_to_be_between": (
        _model("ColumnCountBetween", min_value=(_FLOAT_OR_TIME, None),
               max_value=(_FLOAT_OR_TIME, None)), None),
    "expect_table_columns_to_match_ordered_list": (
        _model("ColumnList", column_list=(Union[list, set, dict, None], None)),  # noqa: UP007
        None),
    "expect_table_columns_to_match_set": (
        _model("ColumnSet", column_set=(Union[list, set, dict, None], None),  # noqa: UP007
               exact_match=(Union[bool, dict, None], True)), None),  # noqa: UP007
}


@dataclass(frozen=True)
class ArgumentCheck:
    """The arguments as GX reads them, and what is wrong with them (empty: nothing)."""

    kwargs: Mapping[str, Any]
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def pydantic_problems(error: ValidationError) -> tuple[str, ...]:
    """One line per argument: ``min_value: value is not a valid float, invalid date format``."""
    by_argument: dict[str, list[str]] = {}
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "__root__")
        by_argument.setdefault(where, []).append(str(item.get("msg")))
    return tuple(f"{where + ': ' if where else ''}{', '.join(dict.fromkeys(msgs))}"
                 for where, msgs in by_argument.items())


def check_arguments(expectation_type: str, kwargs: Mapping[str, Any]) -> ArgumentCheck:
    """The arguments of one expectation, checked and coerced as GX would.

    Types not modelled here come back unchanged and without problems.
    """
    found = MODELS.get(expectation_type)
    if found is None:
        return ArgumentCheck(kwargs=dict(kwargs))
    model, rule = found
    extra = tuple(f"{key}: extra fields not permitted"
                  for key in sorted(set(kwargs) - allowed_kwargs(expectation_type)))
    try:
        parsed = model(**{str(k): v for k, v in kwargs.items()})
    except ValidationError as error:
        return ArgumentCheck(kwargs=dict(kwargs), problems=pydantic_problems(error) + extra)
    if extra:
        return ArgumentCheck(kwargs=dict(kwargs), problems=extra)
    values = parsed.dict()
    problem = rule(values) if rule is not None else None
    if problem:
        return ArgumentCheck(kwargs=dict(kwargs), problems=(problem,))
    coerced = {k: values.get(k, v) for k, v in kwargs.items()}
    return ArgumentCheck(kwargs=coerced)


def invalid_arguments(problems: tuple[str, ...]) -> str:
    """The reason an expectation with these problems is not evaluated."""
    return f"invalid arguments (Great Expectations rejects them): {'; '.join(problems)}"
