"""The packaged e5 on a GPU: passages/s in fp32, bf16 and fp16, and how close bf16 vectors stay to fp32.

Two steps, because the device machine is reached only through a 64 MiB copy of the working tree and the
converted e5 folder weighs 470 MB:

    python bench/bench_gpu_embed.py prepare      # here: chunk the bundled corpus, prune the vocabulary
    python3 bench/bench_gpu_embed.py measure     # on the GPU machine (torch, transformers, tokenizers)

``prepare`` writes ``.gpu/`` (git-ignored): the chunk texts of the bundled corpus, the tokenizer, and the
converted model with its word-embedding matrix cut down to the token ids those texts use (every other weight
is the real model's, stored as fp16), plus a token-id remap table and fp32 CPU reference vectors from the full
model through sentence-transformers. ``measure`` checks that the pruned model reproduces those reference
vectors (so the figures are the real model's), then times length-sorted batches of repeated corpus passages.
It prints one JSON object; the README's "Scaling out" quotes it.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / ".gpu"
PREFIX = "passage: "
MAX_TOKENS = 512


def prepare(n_reference: int = 64) -> None:
    """Chunk the corpus (no OCR), tokenise, prune the embedding matrix, compute reference vectors."""
    sys.path.insert(0, str(ROOT))
    from safetensors.numpy import load_file, save_file
    from tokenizers import Tokenizer

    from index.e5convert import ensure_converted
    from ingest.chunk import chunk_document
    from ingest.readers import DEFAULT_LIMITS, read_file
    from ingest.types import ReadError

    texts: list[str] = []
    limits = dataclasses.replace(DEFAULT_LIMITS, ocr=False)
    for path in sorted((ROOT / "corpus" / "documents").rglob("*")):
        if not path.is_file():
            continue
        try:
            doc = read_file(path, limits)
        except ReadError:
            continue
        texts.extend(c.text for c in chunk_document(doc))
    folder = ensure_converted()
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS)
    ids = [e.ids for e in tok.encode_batch([PREFIX + t for t in texts])]
    used = sorted({i for row in ids for i in row} | {0, 1, 2, 3})
    remap = np.full(250037, used.index(3), dtype=np.int32)  # unseen ids -> <unk> (never hit: same texts)
    remap[used] = np.arange(len(used), dtype=np.int32)
    weights = load_file(str(folder / "model.safetensors"))
    pruned = {}
    for name, w in weights.items():
        if name.endswith("word_embeddings.weight"):
            w = w[used]
        pruned[name] = np.ascontiguousarray(w.astype(np.float16))
    OUT.mkdir(exist_ok=True)
    save_file(pruned, str(OUT / "model.safetensors"))
    config = json.loads((folder / "config.json").read_text())
    config["vocab_size"] = len(used)
    (OUT / "config.json").write_text(json.dumps(config))
    np.save(OUT / "remap.npy", remap, allow_pickle=False)
    (OUT / "tokenizer.json.gz").write_bytes(gzip.compress((folder / "tokenizer.json").read_bytes()))
    (OUT / "texts.json").write_text(json.dumps(texts, ensure_ascii=False))

    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    ref = model.encode(texts[:n_reference], prompt=PREFIX, normalize_embeddings=True, batch_size=16)
    np.save(OUT / "reference.npy", np.asarray(ref, dtype=np.float32), allow_pickle=False)
    lengths = [len(r) for r in ids]
    print(
        json.dumps(
            {
                "passages": len(texts),
                "mean_tokens": round(float(np.mean(lengths)), 1),
                "vocab_used": len(used),
                "bytes": sum(f.stat().st_size for f in OUT.iterdir()),
            }
        )
    )


def _encode(model, batches, device, dtype):  # type: ignore[no-untyped-def]
    """Mean-pooled, L2-normalised vectors for pre-built (ids, mask) batches, in input order."""
    import torch

    out = []
    with torch.inference_mode():
        for ids, mask in batches:
            ids, mask = ids.to(device, non_blocking=True), mask.to(device, non_blocking=True)
            with torch.autocast("cuda", dtype=dtype, enabled=dtype is not None and device == "cuda"):
                hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1)
            out.append(torch.nn.functional.normalize(pooled.float(), dim=-1))
    return torch.cat(out)


def _batches(token_ids, order, batch):  # type: ignore[no-untyped-def]
    import torch

    result = []
    for s in range(0, len(order), batch):
        rows = [token_ids[i] for i in order[s : s + batch]]
        width = max(len(r) for r in rows)
        ids = torch.zeros((len(rows), width), dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for j, r in enumerate(rows):
            ids[j, : len(r)] = torch.as_tensor(r)
            mask[j, : len(r)] = 1
        result.append((ids.pin_memory() if torch.cuda.is_available() else ids, mask))
    return result


def _timed(model, token_ids, *, batch, sort, device, dtype, repeat=1):  # type: ignore[no-untyped-def]
    import torch

    order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i])) if sort else list(range(len(token_ids)))
    batches = _batches(token_ids, order, batch)
    _encode(model, batches[:2], device, dtype)  # warm-up: kernels, allocator
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(repeat):
        vecs = _encode(model, batches, device, dtype)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[np.asarray(order)] = np.arange(len(order))
    return vecs.cpu().numpy()[inverse], len(token_ids) * repeat / seconds


def measure(copies: int) -> None:
    """Time the real model on the device; print one JSON object of figures."""
    import torch
    from safetensors.torch import load_file
    from tokenizers import Tokenizer
    from transformers import BertConfig, BertModel

    texts = json.loads((OUT / "texts.json").read_text())
    remap = np.load(OUT / "remap.npy")
    tok = Tokenizer.from_str(gzip.decompress((OUT / "tokenizer.json.gz").read_bytes()).decode())
    tok.enable_truncation(MAX_TOKENS)
    corpus = [PREFIX + t for t in texts] * copies
    t0 = time.perf_counter()
    encoded = tok.encode_batch(corpus)
    tokenise_s = time.perf_counter() - t0
    token_ids = [remap[np.asarray(e.ids)].tolist() for e in encoded]
    unique = token_ids[: len(texts)]

    config = BertConfig(**json.loads((OUT / "config.json").read_text()))
    config._attn_implementation = "sdpa"  # PyTorch's fused attention, as sentence-transformers loads it
    weights = {k.removeprefix("bert."): v.float() for k, v in load_file(str(OUT / "model.safetensors")).items()}
    figures: dict[str, object] = {
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "passages_unique": len(texts),
        "passages_timed": len(corpus),
        "mean_tokens": round(float(np.mean([len(r) for r in unique])), 1),
        "tokenise_per_s": round(len(corpus) / tokenise_s),
    }

    def build(device: str) -> BertModel:
        model = BertModel(config, add_pooling_layer=False)
        missing, unexpected = model.load_state_dict(weights, strict=False)
        assert not unexpected and all("position_ids" in m for m in missing), (missing, unexpected)
        return model.eval().to(device)

    # the pruned model is the real one: fp32 on CPU here equals sentence-transformers' full model there
    reference = np.load(OUT / "reference.npy")
    cpu = build("cpu")
    torch.set_num_threads(2)
    vecs, _ = _timed(cpu, unique[: len(reference)], batch=16, sort=True, device="cpu", dtype=None)
    figures["cos_to_reference_min"] = round(float((vecs * reference).sum(1).min()), 6)
    _, figures["cpu_2_threads_fp32_per_s"] = _timed(cpu, unique[:128], batch=32, sort=True, device="cpu", dtype=None)
    del cpu
    if not torch.cuda.is_available():
        print(json.dumps(figures))
        return
    gpu = build("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32
    fp32, figures["fp32_sorted_1024_per_s"] = _timed(gpu, token_ids, batch=1024, sort=True, device="cuda", dtype=None)
    bf16, figures["bf16_sorted_1024_per_s"] = _timed(
        gpu, token_ids, batch=1024, sort=True, device="cuda", dtype=torch.bfloat16
    )
    _, figures["bf16_unsorted_1024_per_s"] = _timed(
        gpu, token_ids, batch=1024, sort=False, device="cuda", dtype=torch.bfloat16
    )
    _, figures["bf16_sorted_256_per_s"] = _timed(
        gpu, token_ids, batch=256, sort=True, device="cuda", dtype=torch.bfloat16
    )
    fp16, figures["fp16_sorted_1024_per_s"] = _timed(
        gpu, token_ids, batch=1024, sort=True, device="cuda", dtype=torch.float16
    )
    gpu = gpu.to(torch.bfloat16)  # weights in bf16 too, not only the matrix products
    bf16w, figures["bf16_weights_sorted_1024_per_s"] = _timed(
        gpu, token_ids, batch=1024, sort=True, device="cuda", dtype=torch.bfloat16
    )
    n = len(texts)
    a = fp32[:n]
    for name, other in (("bf16", bf16[:n]), ("fp16", fp16[:n]), ("bf16_weights", bf16w[:n])):
        cos = (a * other).sum(1)
        figures[f"cos_{name}_fp32_mean"] = round(float(cos.mean()), 6)
        figures[f"cos_{name}_fp32_min"] = round(float(cos.min()), 6)
        # do the nearest neighbours among the corpus passages stay the same?
        top_a = np.argsort(-(a @ a.T), axis=1)[:, 1:11]
        top_b = np.argsort(-(other @ other.T), axis=1)[:, 1:11]
        overlap = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(top_a, top_b, strict=True)])
        figures[f"neighbours10_{name}_vs_fp32"] = round(float(overlap), 4)
    figures["gpu_peak_mem_gb"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    for key, value in figures.items():
        if key.endswith("_per_s") and isinstance(value, float):
            figures[key] = round(value, 1)
    print(json.dumps(figures, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("prepare", "measure"))
    parser.add_argument("--copies", type=int, default=300, help="repeat the corpus passages this many times")
    args = parser.parse_args()
    prepare() if args.step == "prepare" else measure(args.copies)


if __name__ == "__main__":
    main()
