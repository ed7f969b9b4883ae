"""The block paths of the core give the values of the one-value paths.

Over a block the core takes faster routes than for one value: the uniforms
of many counters at once (explicit AVX-512 vectors where the build has them,
32 pairs per step, with scalar and portable code for the ragged ends), the
normal quantile's central approximation for every value first and the tail
only for the values collected as needing it, and the inversion tables in
chunks of 256. Each must equal the one-value result bit for bit, so the
references here are an independent NumPy Philox for the uniforms and
one-element calls for the quantiles; equality is exact, NaN payloads
included.
"""

import numpy as np
import pytest

from mcengine import _core

KINDS = _core.dist_kinds()
U64 = np.uint64
MASK32 = U64(0xFFFFFFFF)


def philox_uniforms(seed: int, stream: int, first: int, n: int):
    """The documented mapping (csrc/philox.h) in NumPy, all counters at
    once: blocks of Philox4x32-10 in 64-bit lanes, then the uniforms."""
    i = (U64(first) + np.arange(n, dtype=U64)) & U64(2**64 - 1)
    pair = i >> U64(1)
    c0, c1 = pair & MASK32, pair >> U64(32)
    c2, c3 = np.full(n, stream, U64), np.zeros(n, U64)
    k0, k1 = seed & 0xFFFFFFFF, seed >> 32
    for _ in range(10):
        p0, p1 = U64(0xD2511F53) * c0, U64(0xCD9E8D57) * c2
        c0, c2 = (p1 >> U64(32)) ^ c1 ^ U64(k0), (p0 >> U64(32)) ^ c3 ^ U64(k1)
        c1, c3 = p1 & MASK32, p0 & MASK32
        k0, k1 = (k0 + 0x9E3779B9) & 0xFFFFFFFF, (k1 + 0xBB67AE85) & 0xFFFFFFFF
    odd = (i & U64(1)) == U64(1)
    word = np.where(odd, c3 << U64(32) | c2, c1 << U64(32) | c0)
    u = ((word >> U64(11)).astype(np.float64) + 0.5) * 2.0**-53
    return np.minimum(u, 1.0 - 2.0**-53)


@pytest.mark.parametrize(
    "seed, stream, first, n",
    [
        (3, 1, 0, 4096),
        (12345, 7, 1, 5000),
        (2**64 - 1, 2**32 - 1, 2**33 + 1, 999),
        (0xDEADBEEF_00C0FFEE, 0, 2**64 - 3000, 3000),
    ],
)
def test_long_runs_of_uniforms_follow_the_documented_mapping(
    seed, stream, first, n
):
    """Runs long enough for the vectorised bulk, with even and odd starts
    and ragged ends, equal the mapping computed independently."""
    got = _core.uniforms(seed, stream, first, n)
    assert np.array_equal(got, philox_uniforms(seed, stream, first, n))


# The normal's switch points (u = 0.075 and 0.925, and e^-25 and 1 - e^-25
# between its two tail approximations), the ends of a table's central grid
# (1/32 and 31/32), the table's end (2^-64), the extremes of the uniforms,
# and values outside (0, 1).
SWITCHES = [
    0.075,
    0.925,
    float(np.exp(-25.0)),
    1 - float(np.exp(-25.0)),
    1 / 32,
    31 / 32,
]
EDGES = [2.0**-64, 2.0**-65, 2.0**-54, 1 - 2.0**-53, 1e-300, 0.5]
OUTSIDE = [0.0, 1.0, -0.5, 1.5, np.nan]


def block_u():
    """Uniforms with the special values above, and the switch points' next
    doubles either side, scattered among them."""
    near = [np.nextafter(s, side) for s in SWITCHES for side in (0, 1)]
    specials = SWITCHES + near + EDGES + OUTSIDE
    u = _core.uniforms(11, 2, 0, 3000)
    u[7::97][: len(specials)] = specials
    return u


@pytest.mark.parametrize(
    "kind, params, tabled",
    [
        ("NORMAL", [3, 2], False),
        ("LOGNORM", [10, 3], False),
        ("LOGNORM2", [0.5, 0.8], False),
        ("NORMAL", [0, -1], False),
        ("PERT", [50, 80, 150], True),
        ("GAMMA", [0.3, 2], True),
    ],
)
def test_quantiles_of_a_block_equal_those_of_one_value(kind, params, tabled):
    """A block of 3000 quantiles equals 3000 calls of one value each, bit
    for bit (NaN payloads too), tails, switch points and errors included."""
    u = block_u()
    aux = _core.build_table(KINDS[kind], params) if tabled else None
    block = _core.quantile(KINDS[kind], params, u, aux)
    single = np.array(
        [
            _core.quantile(KINDS[kind], params, u[k : k + 1], aux)[0]
            for k in range(u.size)
        ]
    )
    assert np.array_equal(block.view(U64), single.view(U64))
