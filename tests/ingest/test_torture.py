"""The torture PDFs and the real documents, each with its asserted outcome, read through the sandbox.

Also the sandbox itself: a reader that hangs is killed ("timeout"), one that dies is "damaged",
and the batch goes on; workers are reused across calls.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ingest.readers import ReadLimits, ocr_available
from ingest.sandbox import read_isolated, read_many_isolated
from ingest.types import RawDocument, ReadError
from tests.helpers import crashing_reader, pid_reader, shared_dir, sleepy_reader

#: files that OCR or are large: the slow tier
SLOW = {
    "04_pysf_GeoTopo-komprimiert.pdf",
    "17_pypdf_encrypted_doc_no_id.pdf",
    "en_usdos_geographer_bulletin_02_baltic_states_1991_scanned.pdf",
    "en_usdos_geographer_bulletin_38_morocco_western_sahara_2020.pdf",
    "fr_ceseda_code_entree_sejour_etrangers.md",
}

# file -> "text:<word>" (read from the text layer), "ocr:<word>" (read by OCR), or the skip code
TORTURE = {
    "01_pysf_libreoffice-writer-password.pdf": "encrypted",
    "02_pysf_imagemagick-images.pdf": "no_text",  # 16x16 icons: too small to OCR
    "03_pysf_imagemagick-CCITTFaxDecode.pdf": "no_text",
    "04_pysf_GeoTopo-komprimiert.pdf": "text:Topologie",  # 117 pages
    "05_pysf_pdflatex-forms.pdf": "text:Submit",
    "06_pysf_google-doc-document.pdf": "text:Beautiful",
    "07_pysf_reportlab-overlay.pdf": "text:Fingerprint",
    "08_pysf_habibi-rotated.pdf": "text:habibi",
    "09_pysf_habibi-oneline-cmap.pdf": "text:حَبيبي",
    "10_pysf_crazyones-pdfa.pdf": "text:crazy",
    "11_pysf_annotated_pdf.pdf": "text:highlighted",
    "12_pysf_with-attachment.pdf": "text:Lorem",
    "13_pysf_multicolumn.pdf": "text:Two-Column",
    "14_pypdf_r6-user-password.pdf": "text:asdfzxcv",  # AES-256; the empty password opens it
    "15_pypdf_r2-owner-password.pdf": "text:asdfzxcv",  # RC4-40, empty user password
    "16_pypdf_crazyones-encrypted-256.pdf": "encrypted",
    "17_pypdf_encrypted_doc_no_id.pdf": "ocr:publication",  # scan inside encryption
    "18_pypdf_issue-297.pdf": "text:example",  # broken xref, recovered
    "19_pypdf_Seige_of_Vicksburg_Sample_OCR.pdf": "text:Vicksburg",  # scan with an OCR layer: no re-OCR
    "20_pypdf_multilang.pdf": "text:Привет",
    "21_pypdf_bytes.pdf": "text:bytes",
    "22_pypdf_indirect-rotation.pdf": "text:Agreement",
}
PASSWORDS = {
    "01_pysf_libreoffice-writer-password.pdf": "openpassword",
    "16_pypdf_crazyones-encrypted-256.pdf": "password",
}

REAL = {
    "en_frontex_ed_letter_gr_minister_2020-05-08.pdf": "text:Frontex",
    "en_frontex_ed_letter_gr_minister_2020-05-08_rerelease.pdf": "text:Frontex",
    "en_frontex_ed_letter_libe_2020-10-27.pdf": "text:LIBE",
    "en_nl_coe_convention_trafficking_human_beings.md": "text:GRETA",
    "en_nl_europol_headquarters_agreement.md": "text:Europol",
    "en_nl_un_protocol_smuggling_of_migrants.md": "text:smuggling",
    "en_nl_un_protocol_trafficking_in_persons.md": "text:trafficking",
    "en_usdos_geographer_bulletin_02_baltic_states_1991_scanned.pdf": "ocr:Baltic",
    "en_usdos_geographer_bulletin_22_eritrea_ethiopia_boundary_2003.pdf": "text:Eritrea",
    "en_usdos_geographer_bulletin_38_morocco_western_sahara_2020.pdf": "ocr:Sahara",
    "es_istac_ods_16-2-2_victimas_trata.md": "text:explotación",  # the prose lives in the front matter
    "fr_ceseda_code_entree_sejour_etrangers.md": "text:asile",  # 1.1 MB
    "fr_nl_fr_europol_liaison_officers_exchange_of_notes.md": "text:officiers",
    "pt_agenciabrasil_moro_regras_deportacao_2019.md": "text:deportação",
    "pt_fr_nl_pt_europol_liaison_officers.md": "text:Embaixador",
}


def cases(table: dict[str, str]) -> list[object]:
    return [pytest.param(n, w, id=n[:40], marks=[pytest.mark.slow] if n in SLOW else []) for n, w in table.items()]


def outcome(result: RawDocument | ReadError) -> str:
    if isinstance(result, ReadError):
        return result.code
    return "ocr" if any(p.ocr_confidence is not None for p in result.pages) else "text"


def check(path: Path, want: str, limits: ReadLimits) -> RawDocument | None:
    kind, _, word = want.partition(":")
    if kind in ("ocr", "no_text") and not ocr_available():
        pytest.skip("tesseract is not installed")
    try:
        result: RawDocument | ReadError = read_isolated(path, limits)
    except ReadError as exc:
        result = exc
    assert outcome(result) == kind, f"{path.name}: {result}"
    if isinstance(result, ReadError):
        assert result.message, "every skip says why"
        return None
    assert word.lower() in result.text.lower(), f"{path.name}: {word!r} not in {result.text[:200]!r}"
    return result


def manifest_files(folder: Path) -> set[str]:
    return {e["file"] for e in json.loads((folder / "manifest.json").read_text())}


def test_the_tables_cover_every_file_in_the_manifests() -> None:
    assert manifest_files(shared_dir("data", "pdf-torture")) == set(TORTURE)
    assert manifest_files(shared_dir("data", "real-docs")) == set(REAL)


@pytest.mark.parametrize(("name", "want"), cases(TORTURE))
def test_torture_pdf(name: str, want: str) -> None:
    check(shared_dir("data", "pdf-torture", name), want, ReadLimits(timeout_s=120))


@pytest.mark.parametrize(("name", "password"), list(PASSWORDS.items()))
def test_encrypted_torture_pdf_opens_with_its_password(name: str, password: str) -> None:
    path = shared_dir("data", "pdf-torture", name)
    doc = read_isolated(path, ReadLimits(passwords=("wrong", password)))
    assert doc.text.strip() and all(p.ocr_confidence is None for p in doc.pages)


@pytest.mark.parametrize(("name", "want"), cases(REAL))
def test_real_document(name: str, want: str) -> None:
    doc = check(shared_dir("data", "real-docs", name), want, ReadLimits(timeout_s=300))
    assert doc is not None and len(doc.text) > 500, name
    if want.startswith("ocr"):
        assert all(p.ocr_confidence is None or 50 < p.ocr_confidence <= 100 for p in doc.pages)


# --- the sandbox ---------------------------------------------------------------------------------
# Misbehaving readers, injected by qualified name: the child imports this module to run them.


def write_notes(folder: Path, *names: str) -> list[Path]:
    for name in names:
        (folder / name).write_text(f"Nota {name}: control migratorio en el paso de Desaguadero.")
    return [folder / n for n in names]


def test_a_hanging_file_times_out_and_the_batch_goes_on(tmp_path: Path) -> None:
    paths = write_notes(tmp_path, "hang.txt", "fine.txt")
    results = list(read_many_isolated(paths, ReadLimits(timeout_s=1.5), reader=sleepy_reader))
    assert [p for p, _ in results] == paths
    assert isinstance(results[0][1], ReadError) and results[0][1].code == "timeout"
    assert isinstance(results[1][1], RawDocument) and "Desaguadero" in results[1][1].text


def test_read_isolated_raises_timeout(tmp_path: Path) -> None:
    [path] = write_notes(tmp_path, "hang.txt")
    with pytest.raises(ReadError) as info:
        read_isolated(path, ReadLimits(timeout_s=1.0), reader=sleepy_reader)
    assert info.value.code == "timeout"


def test_a_dying_parser_is_damaged_and_the_batch_goes_on(tmp_path: Path) -> None:
    paths = write_notes(tmp_path, "a.txt", "crash.txt", "b.txt", "crash2.txt", "c.txt")
    results = list(read_many_isolated(paths, ReadLimits(timeout_s=30), workers=2, reader=crashing_reader))
    assert [p for p, _ in results] == paths, "input order"
    assert [outcome(r) for _, r in results] == ["text", "damaged", "text", "damaged", "text"]


def test_workers_are_reused_across_calls(tmp_path: Path) -> None:
    paths = write_notes(tmp_path, "a.txt", "b.txt")
    first = read_isolated(paths[0], reader=pid_reader).text
    second = read_isolated(paths[1], reader=pid_reader).text
    assert first == second != str(os.getpid())


def test_read_errors_cross_the_process_boundary(tmp_path: Path) -> None:
    (tmp_path / "vacio.txt").write_bytes(b"")
    with pytest.raises(ReadError) as info:
        read_isolated(tmp_path / "vacio.txt")
    assert info.value.code == "empty"
