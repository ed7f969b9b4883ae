"""Mix files: loading, checking, and repeatable weighted draws."""

from __future__ import annotations

import collections
import math

import pytest

from bench.loadgen.mix import MixError, load_mix
from tests.bench.conftest import EXAMPLES, MIXES

NEWSVENDOR = str(EXAMPLES / "newsvendor_discrete.json")
NPV = str(EXAMPLES / "npv_normal_cashflows.json")


def test_standard_mix_matches_its_documented_shares():
    """70 % small at 10k, 25 % medium at 100k, 5 % R1 at 1M or 2M."""
    mix = load_mix(MIXES / "standard.json")
    shares = mix.shares()
    by_size = collections.defaultdict(float)
    for entry in mix.entries:
        by_size[entry.iterations] += shares[entry.name]

    assert by_size[10_000] == pytest.approx(0.70, abs=1e-12)
    assert by_size[100_000] == pytest.approx(0.25, abs=1e-12)
    assert by_size[1_000_000] + by_size[2_000_000] == pytest.approx(0.05)
    r1 = [e for e in mix.entries if e.iterations >= 1_000_000]
    assert {e.model_path.name for e in r1} == {"r1_margin.json"}


def test_smoke_mix_loads_with_model_text():
    """Paths resolve relative to the mix file; the model text is kept."""
    mix = load_mix(MIXES / "smoke.json")

    assert [e.name for e in mix.entries] == ["newsvendor-1k", "npv-2k"]
    assert (
        mix.entries[0].model_json
        == (EXAMPLES / "newsvendor_discrete.json").read_text()
    )
    assert mix.entries[0].seed == 11


def test_same_seed_draws_the_same_sequence(write_mix):
    """Two choosers with one seed agree; another seed differs."""
    path = write_mix(
        [
            {"model": NEWSVENDOR, "iterations": 10, "weight": 1},
            {"model": NPV, "iterations": 10, "weight": 1},
        ]
    )
    mix = load_mix(path)

    def draws(seed):
        chooser = mix.chooser(seed)
        return [chooser.next().name for _ in range(200)]

    assert draws(5) == draws(5)
    assert draws(5) != draws(6)


def test_draws_follow_the_weights(write_mix):
    """A 3:1 mix gives 75 % +- 4 standard errors of the first entry."""
    path = write_mix(
        [
            {"model": NEWSVENDOR, "iterations": 10, "weight": 3},
            {"model": NPV, "iterations": 10, "weight": 1},
        ]
    )
    chooser = load_mix(path).chooser(1)
    n = 20_000
    first = sum(
        chooser.next().name == "newsvendor_discrete-10" for _ in range(n)
    )
    standard_error = math.sqrt(0.75 * 0.25 / n)

    assert abs(first / n - 0.75) <= 4 * standard_error


def test_default_name_is_model_stem_and_iterations(write_mix):
    """An entry without a name is called MODEL-ITERATIONS."""
    path = write_mix([{"model": NPV, "iterations": 500}])

    assert load_mix(path).entries[0].name == "npv_normal_cashflows-500"
    assert load_mix(path).entries[0].weight == 1.0


@pytest.mark.parametrize(
    "entry, words",
    [
        ({"model": NPV, "iterations": 0}, "'iterations'"),
        ({"model": NPV, "iterations": 1.5}, "'iterations'"),
        ({"model": NPV, "iterations": 10, "weight": 0}, "'weight'"),
        ({"model": NPV, "iterations": 10, "seed": -1}, "'seed'"),
        ({"model": NPV, "iterations": 10, "itrations": 5}, "itrations"),
        ({"model": "missing.json", "iterations": 10}, "missing.json"),
        ({"iterations": 10}, "'model'"),
    ],
)
def test_bad_entries_are_refused_with_the_reason(write_mix, entry, words):
    """MixError names the entry index and what is wrong with it."""
    path = write_mix([{"model": NPV, "iterations": 10, "name": "ok"}, entry])

    with pytest.raises(MixError, match="entry 1") as error:
        load_mix(path)
    assert words in str(error.value)


def test_empty_or_malformed_mixes_are_refused(write_mix, tmp_path):
    """No entries, a wrong top level, bad JSON or repeated names: refused."""
    repeated = {"model": NPV, "iterations": 10, "name": "same"}
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")

    for path in (
        write_mix([], "empty.json"),
        write_mix({"entries": "no"}, "top.json"),
        write_mix([repeated, repeated], "twice.json"),
        bad_json,
        tmp_path / "absent.json",
    ):
        with pytest.raises(MixError):
            load_mix(path)
