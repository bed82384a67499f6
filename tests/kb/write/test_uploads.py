"""Upload names and refusals (property tests): what the write path keeps under ``<kb>/uploads``."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kb.types import UPLOAD_FORMATS
from kb.write.uploads import MAX_NAME_BYTES, collection_folder, refusal, safe_name, suffix_of

NAMES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_safe(name: str) -> str:
    clean = safe_name(name)
    assert clean and clean not in (".", "..")
    assert not clean.startswith(".") and not clean.startswith(" ")
    assert "/" not in clean and "\\" not in clean and "\x00" not in clean
    assert len(clean.encode("utf-8")) <= MAX_NAME_BYTES
    stem = clean[: -len(suffix_of(clean)) - 1] if suffix_of(clean) else clean
    assert any(c.isalnum() for c in stem), f"{name!r} -> {clean!r}: an empty stem"
    return clean


def test_safe_names_stay_in_their_folder() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..") == "upload"
    assert safe_name("C:\\Users\\x\\informe final.pdf") == "informe final.pdf"
    assert "/" not in safe_name("a/b\x00c.txt")


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("....txt", "upload.txt"),  # the extension was cut off: "txt"
        (".txt", "txt"),  # a hidden file's name, not an extension: refused by type before saving
        ("'.md", "upload.md"),
        ("a" * 300 + ".pdf", "a" * (MAX_NAME_BYTES - 4) + ".pdf"),
        ("informe.PDF", "informe.PDF"),
        ("  .. informe .md", "informe.md"),
    ],
)
def test_safe_name_examples(name: str, want: str) -> None:
    assert check_safe(name) == want


@NAMES
@given(name=st.text())
def test_any_name_becomes_a_safe_name_the_filesystem_takes(name: str) -> None:
    clean = check_safe(name)
    assert safe_name(clean) == clean, "idempotent"
    assert suffix_of(clean) == suffix_of(name), "the extension that was checked is the one stored"
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / clean).write_bytes(b"x")  # never too long for the filesystem, never a folder
        assert [p.name for p in Path(d).iterdir()] == [clean]


@NAMES
@given(stem=st.text(), suffix=st.sampled_from(sorted(UPLOAD_FORMATS)), upper=st.booleans())
def test_an_allowed_extension_survives_any_stem(stem: str, suffix: str, upper: bool) -> None:
    ext = suffix.upper() if upper else suffix
    name = f"{stem}.{ext}"
    assume(PurePosixPath(name.replace("\\", "/").replace("\x00", "")).suffix)  # not ".pdf" alone, a hidden file
    clean = check_safe(name)
    assert clean.endswith(f".{ext}") and suffix_of(clean) == suffix
    assert refusal(name, 10) is None


def test_refusal_by_type_and_size() -> None:
    assert refusal("x.exe", 10).reason == "unsupported"  # type: ignore[union-attr]
    assert refusal("x.pdf", 51 * 1024 * 1024).reason == "too_large"  # type: ignore[union-attr]
    assert refusal("x.txt", 0).reason == "empty"  # type: ignore[union-attr]
    assert refusal("x.docx", 100) is None
    assert refusal(".txt", 10).reason == "unsupported"  # type: ignore[union-attr]


@NAMES
@given(a=st.text(min_size=1), b=st.text(min_size=1))
def test_collection_folders_are_distinct_for_distinct_names_and_stay_one_folder(a: str, b: str) -> None:
    assume(a != b)
    folder = collection_folder(a)
    assert folder != collection_folder(b), "two collections never share an upload folder"
    assert folder.startswith("collection-") and "/" not in folder and "\\" not in folder and "\x00" not in folder
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / folder).mkdir()
        assert [p.name for p in Path(d).iterdir()] == [folder]
