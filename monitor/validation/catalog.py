"""Every core Great Expectations 1.x expectation type and its arguments, as plain data.

Suite files are checked against this catalog without importing GX (which
costs about two seconds). ``tests/validation/test_catalog.py`` compares it
with GX's own registry, so a GX upgrade that adds or renames a type fails a
test instead of passing silently.

>>> required_kwargs("expect_column_values_to_be_in_set")
('column', 'value_set')
>>> "mostly" in allowed_kwargs("expect_column_values_to_not_be_null")
True
"""

from __future__ import annotations

#: Arguments every expectation accepts in its ``kwargs``.
COMMON_KWARGS = ("result_format", "catch_exceptions")

#: Arguments that name columns of the validated table.
COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")

#: Types about the table's columns themselves: a column they name need not exist.
SCHEMA_TYPES = frozenset({
    "expect_column_to_exist", "expect_table_column_count_to_equal",
    "expect_table_column_count_to_be_between", "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list"})

# One type per line (indented lines continue it):
# "type: required kwargs | optional kwargs" ("-" for none);
# generated from the registry of GX 1.24 (core expectations only).
_MACROS = {"@rc": ("row_condition", "condition_parser"),
           "@range": ("min_value", "max_value", "strict_min", "strict_max")}
_TABLE = """
expect_column_distinct_values_to_be_in_set: column value_set | @rc
expect_column_distinct_values_to_contain_set: column value_set | @rc
expect_column_distinct_values_to_equal_set: column value_set | @rc
expect_column_kl_divergence_to_be_less_than: column | @rc partition_object threshold
    internal_weight_holdout tail_weight_holdout bucketize_data min_value max_value
expect_column_max_to_be_between: column | @rc @range
expect_column_mean_to_be_between: column | @rc @range
expect_column_median_to_be_between: column | @rc @range
expect_column_min_to_be_between: column | @rc @range
expect_column_most_common_value_to_be_in_set: column value_set | @rc ties_okay
expect_column_pair_values_a_to_be_greater_than_b: column_A column_B | mostly @rc
    or_equal ignore_row_if
expect_column_pair_values_to_be_equal: column_A column_B | mostly @rc ignore_row_if
expect_column_pair_values_to_be_in_set: column_A column_B value_pairs_set | mostly @rc ignore_row_if
expect_column_proportion_of_non_null_values_to_be_between: column | @rc @range library_metadata
expect_column_proportion_of_unique_values_to_be_between: column | @rc @range library_metadata
expect_column_quantile_values_to_be_between: column quantile_ranges | @rc allow_relative_error
expect_column_stdev_to_be_between: column | @rc @range
expect_column_sum_to_be_between: column | @rc @range
expect_column_to_exist: column | column_index
expect_column_type_to_be: column type_ | -
expect_column_unique_value_count_to_be_between: column | @rc @range library_metadata
expect_column_value_lengths_to_be_between: column | mostly @rc @range
expect_column_value_lengths_to_equal: column value | mostly @rc
expect_column_value_z_scores_to_be_less_than: column threshold double_sided | mostly @rc
expect_column_values_to_be_between: column | mostly @rc @range
expect_column_values_to_be_dateutil_parseable: column | mostly @rc library_metadata
expect_column_values_to_be_decreasing: column | mostly @rc strictly library_metadata
expect_column_values_to_be_in_set: column value_set | mostly @rc
expect_column_values_to_be_in_type_list: column | mostly @rc type_list
expect_column_values_to_be_increasing: column | mostly @rc strictly library_metadata
expect_column_values_to_be_json_parseable: column | mostly @rc library_metadata
expect_column_values_to_be_null: column | mostly @rc
expect_column_values_to_be_of_type: column type_ | mostly @rc
expect_column_values_to_be_unique: column | mostly @rc
expect_column_values_to_match_json_schema: column json_schema | mostly @rc library_metadata
expect_column_values_to_match_like_pattern: column like_pattern | mostly @rc escape
expect_column_values_to_match_like_pattern_list: column like_pattern_list | mostly @rc
    match_on escape
expect_column_values_to_match_regex: column | mostly @rc regex
expect_column_values_to_match_regex_list: column regex_list | mostly @rc match_on
expect_column_values_to_match_strftime_format: column strftime_format | mostly @rc
expect_column_values_to_not_be_in_set: column value_set | mostly @rc
expect_column_values_to_not_be_null: column | mostly @rc
expect_column_values_to_not_be_outliers: column | mostly @rc method multiplier
expect_column_values_to_not_match_like_pattern: column like_pattern | mostly @rc escape
expect_column_values_to_not_match_like_pattern_list: column like_pattern_list | mostly @rc escape
expect_column_values_to_not_match_regex: column regex | mostly @rc
expect_column_values_to_not_match_regex_list: column regex_list | mostly @rc
expect_compound_columns_to_be_unique: column_list | mostly @rc ignore_row_if
expect_multicolumn_sum_to_equal: column_list sum_total | mostly @rc ignore_row_if
expect_multicolumn_values_to_be_equal: column_list | mostly @rc ignore_row_if
expect_query_results_to_match_comparison: base_query
    comparison_data_source_name comparison_query | mostly
expect_select_column_values_to_be_unique_within_record: column_list | mostly @rc ignore_row_if
expect_table_column_count_to_be_between: - | min_value max_value
expect_table_column_count_to_equal: value | -
expect_table_columns_to_match_ordered_list: - | column_list
expect_table_columns_to_match_set: - | column_set exact_match
expect_table_row_count_to_be_between: - | @range @rc
expect_table_row_count_to_equal: value | @rc
expect_table_row_count_to_equal_other_table: other_table_name | @rc
unexpected_rows_expectation: unexpected_rows_query | -
"""


def _expand(words: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for word in words:
        if word != "-":
            out.extend(_MACROS.get(word, (word,)))
    return tuple(out)


def _parse(text: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    out = {}
    for line in text.strip().replace("\n    ", " ").splitlines():
        name, rest = line.split(":", 1)
        required, optional = (part.split() for part in rest.split("|"))
        out[name.strip()] = (_expand(required), _expand(optional))
    return out


#: type -> (required kwargs, optional kwargs).
CATALOG: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = _parse(_TABLE)


def known_types() -> tuple[str, ...]:
    """Every expectation type name, sorted."""
    return tuple(sorted(CATALOG))


def required_kwargs(expectation_type: str) -> tuple[str, ...]:
    return CATALOG[expectation_type][0]


def allowed_kwargs(expectation_type: str) -> frozenset[str]:
    required, optional = CATALOG[expectation_type]
    return frozenset(required) | frozenset(optional) | frozenset(COMMON_KWARGS)
