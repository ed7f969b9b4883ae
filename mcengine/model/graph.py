"""The cell graph: cycles and a dependency order."""

from __future__ import annotations


def find_cycles(deps: dict[str, list[str]]) -> list[list[str]]:
    """Each cycle once, as the path of cells that closes on itself.

    Iterative depth-first search (models may chain thousands of cells, more
    than Python's recursion limit), visiting cells in model order.
    """
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    cycles = []
    for root in deps:
        if state.get(root):
            continue
        path: list[str] = []
        stack = [(root, iter(deps[root]))]
        state[root] = 1
        path.append(root)
        while stack:
            cell, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[cell] = 2
            elif state.get(child) == 1:
                cycles.append(path[path.index(child) :])
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(deps[child])))
    return cycles


def dependency_order(deps: dict[str, list[str]]) -> list[str]:
    """Cells ordered so that each comes after the cells it reads; among
    cells free to go, model order is kept."""
    order, done = [], set()
    for root in deps:
        stack = [(root, iter(deps[root]))]
        while stack:
            cell, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if cell not in done:
                    done.add(cell)
                    order.append(cell)
            elif child not in done:
                stack.append((child, iter(deps[child])))
    return order
