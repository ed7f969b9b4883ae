"""The counter-based generator: Philox4x32-10 and the uniforms it feeds.

The mapping under test is documented in csrc/philox.h: the uniform of
stream j at iteration i comes from the block with counter (i // 2 low word,
i // 2 high word, j, 0) and key (seed low word, seed high word); words 0-1
serve even i, words 2-3 odd i, and a 64-bit word w gives
(floor(w / 2^11) + 1/2) 2^-53 rounded to double, clamped below 1.
"""

import numpy as np
import pytest

from mcengine import _core

MASK32 = 0xFFFFFFFF

# Random123's kat_vectors for philox4x32_10: counter, key, expected output.
KNOWN_ANSWERS = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    (
        (MASK32,) * 4,
        (MASK32,) * 2,
        (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD),
    ),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


def reference_uniform(seed: int, stream: int, i: int) -> float:
    """The documented mapping, computed from the bare block."""
    pair = i // 2
    ctr = (pair & MASK32, pair >> 32, stream, 0)
    block = _core.philox4x32_10(ctr, (seed & MASK32, seed >> 32))
    lo, hi = (block[2], block[3]) if i % 2 else (block[0], block[1])
    word = hi << 32 | lo
    u = float((word >> 11) + 0.5) * 2.0**-53
    return min(u, 1.0 - 2.0**-53)


@pytest.mark.parametrize("ctr, key, expected", KNOWN_ANSWERS)
def test_block_matches_random123_known_answers(ctr, key, expected):
    """One block equals the published Philox4x32-10 known answer."""
    assert _core.philox4x32_10(ctr, key) == expected


@pytest.mark.parametrize(
    "seed, stream, first",
    [
        (0, 0, 0),
        (12345, 7, 1),
        (2**64 - 1, 2**32 - 1, 2**40 + 3),
        (0xDEADBEEF_00C0FFEE, 3, 2**63 - 9),
    ],
)
def test_uniforms_follow_the_documented_mapping(seed, stream, first):
    """Each uniform is exactly the documented function of the block."""
    got = _core.uniforms(seed, stream, first, 37)
    expected = [reference_uniform(seed, stream, first + k) for k in range(37)]
    assert got.tolist() == expected


def test_uniforms_lie_strictly_inside_the_unit_interval():
    """A million uniforms are all above 0 and below 1."""
    u = _core.uniforms(99, 1, 0, 1_000_000)
    assert u.min() > 0.0 and u.max() < 1.0


@pytest.mark.parametrize("first", [0, 1, 2, 17, 2**33 + 1])
def test_values_do_not_depend_on_how_a_run_is_split(first):
    """Any split of a range into blocks, odd or even starts, gives the
    same uniforms as one call and as one call per iteration."""
    whole = _core.uniforms(5, 2, first, 1000)
    for cut in (1, 2, 15, 16, 17, 333, 999):
        parts = np.concatenate(
            [
                _core.uniforms(5, 2, first, cut),
                _core.uniforms(5, 2, first + cut, 1000 - cut),
            ]
        )
        assert np.array_equal(parts, whole)
    single = [_core.uniforms(5, 2, first + k, 1)[0] for k in (0, 1, 999)]
    assert single == [whole[0], whole[1], whole[999]]


def test_streams_and_seeds_give_different_sequences():
    """Neighbouring streams and seeds share no values in 10^5 draws."""
    base = _core.uniforms(1, 0, 0, 100_000)
    for seed, stream in [(1, 1), (2, 0), (1 + 2**32, 0)]:
        other = _core.uniforms(seed, stream, 0, 100_000)
        assert np.intersect1d(base, other).size == 0


def test_uniforms_have_the_mean_and_variance_of_a_uniform():
    """Mean and variance of 10^6 draws lie within 4 standard errors of
    1/2 and 1/12 (standard errors sqrt(1/12 / n) and sqrt(1/180 / n))."""
    n = 1_000_000
    u = _core.uniforms(2024, 0, 0, n)
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / n)
    assert abs(u.var() - 1 / 12) < 4 * np.sqrt(1 / 180 / n)


@pytest.mark.parametrize(
    "args",
    [
        (-1, 0, 0, 10),
        (2**64, 0, 0, 10),
        (0, 2**32, 0, 10),
        (0, 0, -1, 10),
        (0, 0, 0, -1),
    ],
)
def test_uniforms_refuse_out_of_range_arguments(args):
    """Seeds, streams and iterations outside their ranges are ValueError."""
    with pytest.raises(ValueError):
        _core.uniforms(*args)


@pytest.mark.parametrize(
    "ctr, key",
    [
        ((0, 0, 0), (0, 0)),
        ((0, 0, 0, 0), (0,)),
        ((0, 0, 0, 2**32), (0, 0)),
        ((0, 0, 0, 0), (-1, 0)),
    ],
)
def test_block_refuses_malformed_words(ctr, key):
    """Wrong word counts and words outside 32 bits are ValueError."""
    with pytest.raises(ValueError):
        _core.philox4x32_10(ctr, key)
