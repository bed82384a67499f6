"""What one read needs, passed explicitly: the thread's connection, one generation, the models it may use."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.config import Config


@dataclass(frozen=True)
class ReadContext:
    """The collaborators of a search or a view (the facade builds one per call).

    ``view`` is one whole generation (its ``segments`` by id and its ``tombstones``): a read
    uses only it, so a commit meanwhile never mixes two generations into one answer. The
    gazetteer and the embedders are given as loaders: a read that does not need one never
    loads it.
    """

    db: sqlite3.Connection
    config: Config
    view: Any = None
    load_gazetteer: Callable[[], Any] | None = None
    query_vector: Callable[[str], np.ndarray] | None = None  # a query's embedding (cached by the facade)
    embed_passages: Callable[[list[str]], np.ndarray] | None = None  # texts embedded as passages

    @property
    def gazetteer(self) -> Any:
        if self.load_gazetteer is None:
            raise RuntimeError("this read was given no gazetteer")
        return self.load_gazetteer()
