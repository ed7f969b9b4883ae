"""The request mix: which simulations a load test sends, and how often.

A mix file is JSON: either a list of entries or an object
{"description": text, "entries": [...]}. Each entry is

    {"model": "../../examples/r1_margin.json",  # relative to the mix file
     "iterations": 1000000, "weight": 5,
     "name": "large-r1-1m",                     # optional
     "seed": 7}                                 # optional

The model file's text is read once and sent unchanged as model_json.
Entries are drawn by weight from a seeded random stream, so the same
seed gives the same sequence of requests in issue order (whatever the
server does). An entry without a seed lets the server pick one per call.
Anything else in an entry is refused, so a misspelt key is not ignored.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

ENTRY_KEYS = {"model", "iterations", "weight", "name", "seed"}
MAX_SEED = 2**64 - 1


class MixError(Exception):
    """A mix file that cannot be used; the message names the entry."""


@dataclass(frozen=True)
class MixEntry:
    """One kind of request: a model, its iterations and its share."""

    name: str
    model_path: Path
    model_json: str
    iterations: int
    weight: float
    seed: int | None = None


@dataclass(frozen=True)
class Mix:
    """The entries of a mix file, in file order."""

    path: Path
    description: str
    entries: tuple[MixEntry, ...]

    def chooser(self, seed: int) -> Chooser:
        """A repeatable stream of entries drawn by weight."""
        return Chooser(self.entries, seed)

    def shares(self) -> dict[str, float]:
        """Each entry's expected fraction of calls, by name."""
        total = sum(e.weight for e in self.entries)

        return {e.name: e.weight / total for e in self.entries}


class Chooser:
    """Draws entries by weight from one seeded stream, in issue order."""

    def __init__(self, entries: tuple[MixEntry, ...], seed: int):
        self._entries = list(entries)
        self._weights = [e.weight for e in entries]
        self._random = random.Random(f"mix:{seed}")

    def next(self) -> MixEntry:
        drawn = self._random.choices(self._entries, self._weights)

        return drawn[0]


def load_mix(path: Path) -> Mix:
    """Read and check a mix file; MixError says what is wrong and where."""
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise MixError(f"cannot read mix {path}: {error}") from None
    description, raw = _split(document, path)
    entries = tuple(_entry(item, i, Path(path)) for i, item in enumerate(raw))
    if not entries:
        raise MixError(f"mix {path} has no entries")
    _check_unique_names(entries, path)

    return Mix(Path(path), description, entries)


def _split(document, path: Path) -> tuple[str, list]:
    if isinstance(document, list):
        return "", document
    if isinstance(document, dict) and isinstance(
        document.get("entries"), list
    ):
        return str(document.get("description", "")), document["entries"]
    message = f"mix {path}: expected a list of entries or {{'entries': [...]}}"
    raise MixError(message)


def _entry(item, index: int, mix_path: Path) -> MixEntry:
    where = f"mix {mix_path} entry {index}"
    if not isinstance(item, dict):
        raise MixError(f"{where}: expected an object, got {item!r}")
    unknown = sorted(set(item) - ENTRY_KEYS)
    if unknown:
        raise MixError(f"{where}: unknown keys {unknown}")
    model_path = _model_path(item, where, mix_path)
    iterations = _positive_int(item.get("iterations"), "iterations", where)
    weight = _weight(item.get("weight", 1), where)
    seed = _seed(item.get("seed"), where)
    default_name = f"{model_path.stem}-{iterations}"

    return MixEntry(
        name=str(item.get("name", default_name)),
        model_path=model_path,
        model_json=_read_model(model_path, where),
        iterations=iterations,
        weight=weight,
        seed=seed,
    )


def _model_path(item: dict, where: str, mix_path: Path) -> Path:
    model = item.get("model")
    if not isinstance(model, str) or not model:
        raise MixError(f"{where}: 'model' must be a path to a model file")

    return (mix_path.parent / model).resolve()


def _read_model(path: Path, where: str) -> str:
    try:
        text = path.read_text()
        json.loads(text)
    except (OSError, ValueError) as error:
        raise MixError(f"{where}: model {path}: {error}") from None

    return text


def _positive_int(value, field: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise MixError(f"{where}: '{field}' must be an integer >= 1")

    return value


def _weight(value, where: str) -> float:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not value > 0 or value == float("inf"):
        raise MixError(f"{where}: 'weight' must be a finite number > 0")

    return float(value)


def _seed(value, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MixError(f"{where}: 'seed' must be an integer")
    if not 0 <= value <= MAX_SEED:
        raise MixError(f"{where}: 'seed' must be in [0, 2^64)")

    return value


def _check_unique_names(entries: tuple[MixEntry, ...], path: Path) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            raise MixError(f"mix {path}: entry name {entry.name!r} repeats")
        seen.add(entry.name)
