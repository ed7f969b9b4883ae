"""The output buffer pool: reuse by shape, bounded in bytes."""

import numpy as np

from mcengine.engine import simulate
from mcengine.engine.buffers import MIN_POOLED_BYTES, BufferPool

SHAPE = (2, MIN_POOLED_BYTES // 8)


def test_a_returned_buffer_is_reused_for_the_same_shape():
    """give() then take() of that shape hands back the same array."""
    pool = BufferPool(max_bytes=10 * MIN_POOLED_BYTES)
    first = pool.take(SHAPE)
    pool.give(first)
    assert pool.take(SHAPE) is first
    assert pool.take(SHAPE) is not first


def test_the_pool_keeps_no_more_than_its_bound():
    """Arrays beyond max_bytes, or too small to matter, are not kept."""
    pool = BufferPool(max_bytes=2 * MIN_POOLED_BYTES)
    kept, dropped = np.empty(SHAPE), np.empty(SHAPE)
    pool.give(kept)
    pool.give(dropped)
    assert pool.take(SHAPE) is kept
    assert pool.take(SHAPE) is not dropped
    small = np.empty(16)
    pool.give(small)
    assert pool.take((16,)) is not small


def test_reused_buffers_do_not_change_results():
    """Runs that reuse a pooled buffer give the same statistics."""
    model = {"cells": {"x": "=RiskNormal(0, 1)"}, "outputs": ["x"]}
    runs = [simulate(model, iterations=300_000, seed=3) for _ in range(3)]
    stats = [r.outputs["x"] for r in runs]
    assert stats[0] == stats[1] == stats[2]
