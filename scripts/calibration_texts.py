"""Write index/data/calibration.txt: query-like lines for calibrating the query encoder's int8 attention.

Each line joins two to five terms of the glossary (ingest/data/glossary.jsonl) in one language,
the four languages in turn, 300 lines, seed 0: text the encoder meets in queries (border, customs,
migration, crime and legal vocabulary in es/en/pt/fr), written by us and not from any evaluation set.
Run from the repository root: .venv/bin/python scripts/calibration_texts.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    concepts = [
        json.loads(line) for line in (ROOT / "ingest/data/glossary.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    rng = random.Random(0)
    lines = []
    for i in range(300):
        lang = ("es", "en", "pt", "fr")[i % 4]
        picked = rng.sample(concepts, rng.randint(2, 5))
        lines.append(" ".join(rng.choice(c["terms"][lang]) for c in picked if c["terms"].get(lang)))
    out = ROOT / "index/data/calibration.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} lines -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
