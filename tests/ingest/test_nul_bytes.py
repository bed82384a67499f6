"""NUL bytes follow one rule wherever they sit in a text file.

A few stray NULs (a bad export, a truncated write padded with zeros) are removed, whether they come
in the first 8 KB (what content sniffing looks at) or later. A file where control bytes, NULs
included, are more than 5% of the whole is binary and skipped as ``unsupported``, whether that
shows in its first 8 KB or only further on. UTF-16 (a NUL beside every Latin letter) is text.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ingest.readers import read_file
from ingest.types import ReadError

LINE = "La delegación visitó el paso fronterizo de Desaguadero y habló con la Policía Nacional del Perú.\n"
BODY = LINE * 400  # ~40 KB: well past the 8 KB head


def with_nul_at(text: str, position: int, encoding: str = "utf-8") -> bytes:
    """``text`` encoded with a NUL byte before its character at ``position`` (never inside a character)."""
    return text[:position].encode(encoding) + b"\x00" + text[position:].encode(encoding)


@pytest.mark.parametrize("suffix", [".txt", ".md", ""])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_stray_nul_is_removed_in_the_head_and_in_the_tail_alike(tmp_path: Path, suffix: str, encoding: str) -> None:
    clean = tmp_path / f"clean{suffix}"
    clean.write_bytes(BODY.encode(encoding))
    expected = read_file(clean).text
    texts = []
    for position in (50, 8000, 30_000):  # inside the sniffed head, at its edge, far beyond it
        path = tmp_path / f"nul-{position}{suffix}"
        path.write_bytes(with_nul_at(BODY, position, encoding))
        doc = read_file(path)
        assert "\x00" not in doc.text
        texts.append(doc.text.replace(" ", "").replace("\n", ""))
    assert texts == [expected.replace(" ", "").replace("\n", "")] * 3


def binary_junk(n: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    return bytes(
        rng.choice([0, 0, 0, 1, 2, 3, 255, 254]) if rng.random() < 0.5 else rng.randrange(32, 127) for _ in range(n)
    )


@pytest.mark.parametrize("where", ["head", "tail"])
def test_a_file_mostly_of_control_bytes_is_binary_wherever_they_are(tmp_path: Path, where: str) -> None:
    junk = binary_junk(20_000)
    text = (LINE * 100).encode()  # ~10 KB of text: the sniffed head is clean when the junk comes last
    path = tmp_path / "mixed.txt"
    path.write_bytes(junk + text if where == "head" else text + junk)
    with pytest.raises(ReadError) as err:
        read_file(path)
    assert err.value.code == "unsupported"
    assert "binary" in err.value.message


def test_utf16_without_a_byte_order_mark_is_still_text(tmp_path: Path) -> None:
    path = tmp_path / "wide.txt"
    path.write_bytes(BODY.encode("utf-16-le"))
    assert read_file(path).text.split() == BODY.split()
