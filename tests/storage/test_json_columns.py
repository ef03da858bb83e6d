"""JSON columns are encoded by orjson where it writes what `json.dumps` wrote, and by `json.dumps`
where it would not (non-finite floats, what orjson cannot encode): what is read back never changes,
and text without floats is the same text (a float may be spelled 0.00001 for 1e-05)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.sqltypes import encode_floatless, encode_json


def reference(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_encoded_text_is_what_json_dumps_writes(value: Any) -> None:
    try:
        expected = reference(value)
    except (ValueError, UnicodeEncodeError):  # pragma: no cover - json.dumps takes every value above
        return
    text = encode_json(value)
    assert same(json.loads(text), json.loads(expected))
    if not has_float(value):
        assert text == expected


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def has_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(has_float(v) for v in value)
    return isinstance(value, float)


def test_floats_read_back_the_same() -> None:
    value = {"a": 1e-05, "b": 1e16, "c": -0.0, "d": 5e-324, "e": 0.1 + 0.2}
    assert same(json.loads(encode_json(value)), value)


def test_nan_and_infinity_are_kept_not_written_as_null() -> None:
    value = {"rsi": math.nan, "nested": [1.0, {"x": math.inf}], "none": None}
    text = encode_json(value)
    assert text == reference(value)
    back = json.loads(text)
    assert math.isnan(back["rsi"])
    assert back["nested"][1]["x"] == math.inf
    assert back["none"] is None


def test_korean_quotes_and_control_characters_round_trip() -> None:
    value = {"text": '삼성전자 "골든크로스"\n\t\\ \x00 \u2028 🔔', "entries": [[1, 0, 1, 0, None]]}
    text = encode_json(value)
    assert text == reference(value)
    assert "삼성전자" in text  # non-ASCII kept as it is, not \\u-escaped
    assert json.loads(text) == value


def test_big_integers_fall_back_to_json() -> None:
    value = [2**80, -(2**65)]
    assert encode_json(value) == reference(value) == "[1208925819614629174706176,-36893488147419103232]"


floatless = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(floatless)
def test_floatless_values_are_the_same_text(value: Any) -> None:
    """The fan-out's texts, keyboards and recipient lists: byte for byte what json.dumps wrote."""
    assert encode_floatless(value) == reference(value)
