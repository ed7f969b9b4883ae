"""The model compiler: every problem is reported with cell, place, reason."""

import pytest

from mcengine.model import ModelError, compile_model
from mcengine.model.errors import MESSAGE_VIOLATIONS


def violations(model) -> dict[str, str]:
    with pytest.raises(ModelError) as caught:
        compile_model(model)
    return {v.field: v.description for v in caught.value.violations}


def test_unknown_function_lists_the_closest_names():
    """A misspelt function is refused with its position and suggestions."""
    found = violations(
        {"cells": {"x": "=1 + RiskNormall(0, 1)"}, "outputs": ["x"]}
    )
    assert "position 5" in found["cells.x"]
    assert "unknown function 'RiskNormall'" in found["cells.x"]
    assert "RiskNormal" in found["cells.x"].split("closest supported:")[1]


def test_a_cycle_is_refused_with_its_path():
    """a -> b -> g -> a is reported as that path."""
    found = violations(
        {
            "cells": {"a": "=b + 1", "b": "=g", "g": "=a * 2", "d": 1},
            "outputs": ["d"],
        }
    )
    assert found["cells.a"] == "circular reference: a -> b -> g -> a"


def test_a_self_reference_is_a_cycle():
    """A cell that reads itself is a cycle of one."""
    found = violations({"cells": {"a": "=a + 1"}, "outputs": ["a"]})
    assert found["cells.a"] == "circular reference: a -> a"


def test_a_name_that_reads_as_a_reference_is_refused():
    """'cf1' would be a cell reference in Excel, so it cannot be a name."""
    found = violations({"cells": {"cf1": 1, "y": "=cf1"}, "outputs": ["y"]})
    assert "reads as the cell reference CF1" in found["cells.cf1"]


def test_unknown_cell_reference_suggests_a_near_name():
    """A reference to a missing cell names the position and a near name."""
    found = violations(
        {"cells": {"revenue": 5, "x": "=revenu * 2"}, "outputs": ["x"]}
    )
    assert found["cells.x"].startswith("position 1: 'revenu' is not a cell")
    assert "did you mean 'revenue'" in found["cells.x"]


def test_every_violation_of_a_stage_is_reported_at_once():
    """Each stage (structure, syntax, names, code) reports all it finds."""
    found = violations(
        {"cells": {"a": "=1+", "b": "=FOO(", "e": 5}, "outputs": ["e"]}
    )
    assert set(found) == {"cells.a", "cells.b"}
    found = violations(
        {
            "cells": {"a": "=BAR(1)", "b": "=FOO(1)"},
            "outputs": ["a", "zzz", "b"],
        }
    )
    assert set(found) == {"outputs[1]"}
    found = violations(
        {"cells": {"a": "=BAR(1)", "b": "=FOO(1)"}, "outputs": ["a", "b"]}
    )
    assert set(found) == {"cells.a", "cells.b"}


@pytest.mark.parametrize(
    "formula, words",
    [
        ("=RiskNormal(0, -1)", "sd"),
        ("=RiskTriang(1, 5, 3)", "mode"),
        ("=RiskGamma(1e10, 1)", "alpha must be at most 100000000"),
        ("=RiskDiscrete({1,2}, {0.5,-1})", "negative"),
        ("=RiskNormal(0)", "takes 2 arguments, got 1"),
        ("=ROUND(1, 2, 3)", "takes 2 arguments, got 3"),
    ],
)
def test_bad_distribution_parameters_name_the_parameter(formula, words):
    """Constant parameters are checked when the model is compiled."""
    found = violations({"cells": {"x": formula}, "outputs": ["x"]})
    assert "position 1" in found["cells.x"]
    assert words in found["cells.x"]


@pytest.mark.parametrize(
    "model, field",
    [
        ({"cells": {}, "outputs": ["x"]}, "cells"),
        ({"cells": {"x": 1}}, "outputs"),
        ({"cells": {"x": 1}, "outputs": ["x", "x"]}, "outputs[1]"),
        ({"cells": {"x": [1]}, "outputs": ["x"]}, "cells.x"),
        ({"cells": {"x": 1, "X": 2}, "outputs": ["x"]}, "cells.X"),
        (
            {"cells": {"x": 1}, "outputs": ["x"], "percentiles": [101]},
            "percentiles[0]",
        ),
        ({"cells": {"x": 1}, "outputs": ["x"], "colour": 1}, "colour"),
        ('{"cells": ', "model"),
        ([1, 2], "model"),
    ],
)
def test_structural_problems_name_the_field(model, field):
    """Bad structure is refused with the JSON field at fault."""
    assert field in violations(model)


def test_text_output_is_refused():
    """An output must be a number, not text."""
    found = violations({"cells": {"x": '="a" & "b"'}, "outputs": ["x"]})
    assert "must be a number" in found["outputs[0]"]


def test_inputs_are_numbered_in_the_order_written():
    """Streams follow model order, and a second draw in a cell gets #2."""
    compiled = compile_model(
        {
            "cells": {
                "b": "=a + RiskUniform(0, 1)",
                "a": "=RiskNormal(0, 1)",
                "e": "=RiskExpon(1) + RiskExpon(2)",
            },
            "outputs": ["b", "e"],
        }
    )
    assert compiled.inputs == ["b", "a", "e", "e#2"]


def test_constant_parts_are_folded_out_of_the_loop():
    """Only per-iteration work remains in the program body."""
    compiled = compile_model(
        {
            "cells": {
                "rate": 0.1,
                "factor": "=EXP(rate) * SQRT(2) + LN(5)",
                "x": "=RiskNormal(0, 1) * factor",
            },
            "outputs": ["x"],
        }
    )
    assert compiled.instruction_count == 2  # SAMPLE and one MUL


def test_deep_nesting_is_refused_with_the_limit():
    """Nesting past the limit is a model error, never a RecursionError."""
    formula = "=" + "(" * 150 + "1" + ")" * 150
    found = violations({"cells": {"x": formula}, "outputs": ["x"]})
    assert "nests more than 100 levels" in found["cells.x"]


def test_long_operator_chains_compile():
    """A 4,000-term sum is long, not deep: it compiles and runs."""
    compiled = compile_model(
        {"cells": {"x": "=" + "+".join(["1"] * 4000)}, "outputs": ["x"]}
    )
    assert compiled.instruction_count == 0  # folded to a constant


@pytest.mark.parametrize("name", ["coût", "价格", "Überschuss"])
def test_names_in_any_script_are_accepted(name):
    """Excel accepts letters of any script in names."""
    compiled = compile_model(
        {"cells": {name: 2, "y": f"={name} * 2"}, "outputs": ["y"]}
    )
    assert compiled.outputs == ["y"]


def test_a_key_given_twice_is_refused():
    """JSON text with a duplicate key is refused, not silently merged."""
    text = '{"cells": {"x": 1, "x": 2}, "outputs": ["x"]}'
    assert "appears twice" in violations(text)["model"]


def test_a_constant_beyond_a_double_is_refused():
    """An integer too large for a double is a clear error."""
    found = violations({"cells": {"x": 10**400}, "outputs": ["x"]})
    assert "finite number" in found["cells.x"]


def test_a_refused_name_is_not_reported_again_as_an_output():
    """Only the bad name is reported, not its use as an output."""
    found = violations({"cells": {"A1": 1}, "outputs": ["A1"]})
    assert set(found) == {"cells.A1"}


def test_an_error_parameter_is_named_as_that_error():
    """RiskNormal(#N/A, 1) says the mean is #N/A, not NaN."""
    found = violations(
        {"cells": {"x": "=RiskNormal(#N/A, 1)"}, "outputs": ["x"]}
    )
    assert "mean is the error #N/A" in found["cells.x"]


def test_an_error_message_names_the_first_violations_and_counts_the_rest():
    """2,000 cells named like references: every violation is kept, but the
    message spells out MESSAGE_VIOLATIONS of them and counts the others."""
    cells = {f"c{i}": 1 for i in range(1, 2001)}
    with pytest.raises(ModelError) as caught:
        compile_model({"cells": cells, "outputs": ["c1"]})
    assert len(caught.value.violations) >= 2000
    more = len(caught.value.violations) - MESSAGE_VIOLATIONS
    assert str(caught.value).endswith(f"; and {more} more")
    shown = str(caught.value).count("reads as the cell reference")
    assert shown == MESSAGE_VIOLATIONS
