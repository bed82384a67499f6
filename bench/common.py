"""Shared helpers for the benchmarks: machine description, percentiles, memory, results, corpus text.

Every script prints a table for people and writes JSON to ``bench/results/`` for the README.
Caches (corpus sentences, sample embeddings, built indexes) live in ``bench/.cache/`` so a second
run does not embed the same texts again.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CACHE = ROOT / "bench" / ".cache"
CORPUS = ROOT / "corpus" / "documents"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def machine() -> dict[str, Any]:
    """What the figures were measured on (cores are shared with other work here: read ratios)."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "load_avg_at_start": round(os.getloadavg()[0], 2),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: a p99 of 80 samples is the slowest but one)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 0.50), 2),
        "p95_ms": round(pct(ms, 0.95), 2),
        "p99_ms": round(pct(ms, 0.99), 2),
        "mean_ms": round(sum(ms) / max(len(ms), 1), 2),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb() -> float:
    """Current resident memory of this process."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return float("nan")


def dir_size_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` atomically, with the machine it was measured on."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"machine": machine(), **data}, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, out)
    return out


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str = "") -> str:
    """A plain-text table (also valid Markdown) of ``columns`` from ``rows``."""
    head = "| " + " | ".join(columns) + " |"
    sep = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    text = "\n".join([head, sep, *body])
    return f"\n{title}\n{text}\n" if title else text


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 10 else f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def gold_queries() -> list[dict[str, Any]]:
    """The gold questions (merged file, or the parts before they are merged)."""
    main = ROOT / "corpus" / "eval" / "queries.jsonl"
    files = [main] if main.exists() else sorted((ROOT / "corpus" / "eval" / "parts").glob("*.queries.jsonl"))
    out = []
    for f in files:
        out.extend(json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
    return out


def corpus_chunks() -> list[tuple[str, str]]:
    """``(text, lang)`` of the bundled corpus's chunks, read without OCR, cached by file sizes and times.

    The synthetic collections at 10k-1M chunks are recombined from these sentences, so their
    vocabulary, languages and lengths are the corpus's own.
    """
    files = sorted(p for p in CORPUS.iterdir() if p.is_file())
    key = [[p.name, p.stat().st_size, int(p.stat().st_mtime)] for p in files]
    cache = CACHE / "corpus_chunks.json"
    if cache.exists():
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return [tuple(x) for x in data["chunks"]]  # type: ignore[misc]
    from ingest.chunk import chunk_document
    from ingest.readers import ReadLimits, read_file
    from ingest.types import ReadError

    chunks: list[tuple[str, str]] = []
    for p in files:
        try:
            doc = read_file(p, ReadLimits(ocr=False))
        except (ReadError, Exception):  # noqa: B014 - any unreadable file is simply left out
            continue
        chunks.extend((c.text, c.lang) for c in chunk_document(doc))
    CACHE.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "chunks": chunks}, ensure_ascii=False), encoding="utf-8")
    return chunks


def kb_eval_json(args: Sequence[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """``kb <args> --json`` (an ``eval``) in a fresh process with ``env`` on top of ours: settings through their
    ``KB_*`` variables, nothing cached between runs; its JSON, or exit with its error."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "kb.cli", *args, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- synthetic collections ------------------------------------------------------------------------
LANGS = ("es", "pt", "en", "fr")
SENTENCES_PER_CHUNK = 2  # ~40 words: 20k real embeddings stay a ~12-minute job on 2 cores
SAMPLE_SEED = 20240601


def sentence_pool() -> tuple[list[str], Any, list[list[int]], dict[str, int]]:
    """Corpus sentences (5-45 words), their language codes, BM25 token ids and the vocabulary.

    Tokens come from the project's own analyser, once per sentence, so a synthetic chunk's
    tokens are the concatenation of its sentences' tokens (no re-analysis of a million texts).
    """
    import numpy as np

    from index.analyze import tokenize
    from ingest.sentences import split_spans

    seen: set[str] = set()
    texts: list[str] = []
    langs: list[int] = []
    for text, lang in corpus_chunks():
        if lang not in LANGS:
            continue
        for s, e in split_spans(text):
            sent = " ".join(text[s:e].split())
            if 5 <= len(sent.split()) <= 45 and sent not in seen:
                seen.add(sent)
                texts.append(sent)
                langs.append(LANGS.index(lang))
    vocab: dict[str, int] = {}
    token_ids = [
        [vocab.setdefault(t, len(vocab)) for t in tokenize(s, LANGS[g])] for s, g in zip(texts, langs, strict=True)
    ]
    return texts, np.array(langs, dtype=np.uint8), token_ids, vocab


def sample_rows(n: int, sent_langs: Any, seed: int = SAMPLE_SEED) -> Any:
    """``(n, SENTENCES_PER_CHUNK)`` sentence indices, each row in one language (deterministic prefix)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    by_lang = [np.flatnonzero(sent_langs == g) for g in range(len(LANGS))]
    weights = np.array([len(b) for b in by_lang], dtype=float)
    row_lang = rng.choice(len(LANGS), size=n, p=weights / weights.sum())
    rows = np.zeros((n, SENTENCES_PER_CHUNK), dtype=np.int32)
    for g, members in enumerate(by_lang):
        sel = np.flatnonzero(row_lang == g)
        rows[sel] = members[rng.integers(0, len(members), size=(len(sel), SENTENCES_PER_CHUNK))]
    return rows


def row_texts(rows: Any, texts: Sequence[str]) -> list[str]:
    return [" ".join(texts[i] for i in r) for r in rows]


def sample_embeddings(embedder_name: str, m: int, texts: Sequence[str], sent_langs: Any) -> tuple[Any, Any, float]:
    """Real passage embeddings of the first ``m`` sample rows, cached and resumed in ``bench/.cache``.

    Returns ``(rows, vectors, passages_per_second)`` (the rate is of this call's new embeddings,
    or the cached rate when nothing new had to be embedded).
    """
    import numpy as np

    rows = sample_rows(m, sent_langs)
    path = CACHE / f"sample_{embedder_name}_{len(texts)}.npz"
    have = np.zeros((0, 0), np.float32)
    rate = float("nan")
    if path.exists():
        data = np.load(path, allow_pickle=False)
        have, rate = data["vectors"], float(data["rate"])
    if len(have) >= m:
        return rows, have[:m], rate
    from index.models import load_embedder

    emb = load_embedder(embedder_name)
    all_texts = row_texts(rows, texts)
    parts = [have] if len(have) else []
    done, t0, new = len(have), time.perf_counter(), 0
    while done < m:
        step = min(1024, m - done)
        parts.append(emb.embed(all_texts[done : done + step], "passage"))
        done += step
        new += step
        rate = new / (time.perf_counter() - t0)
        vecs = np.concatenate(parts)
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, vectors=vecs, rate=np.float64(rate))
        os.replace(tmp, path)
        log(f"embedded {done}/{m} sample chunks ({rate:.1f}/s)")
    return rows, np.concatenate(parts)[:m], rate
