"""Helpers shared by test files: fakes, sample documents, runners. Fixtures stay in the conftest files.

Test files import from here, never from one another: a test module imported by another runs its
module-level code twice and ties the two files' fates together. Keep the imports at the top light
(no ``kb``): sandbox workers import this module to run the misbehaving readers below.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import textwrap
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.readers import ReadLimits, read_file
from ingest.types import Page, RawDocument

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_dir(*parts: str) -> Path:
    """A path under the shared data folder beside the checkout; the test is skipped when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


class FakeEmbedder:
    """Deterministic bag-of-hashed-words vectors: similar words, similar vectors; no model."""

    def __init__(self, dim: int = 64) -> None:
        from index.embed import EmbedderInfo

        self.info = EmbedderInfo("fake", "fake/hashed-words", "test", dim)
        self.calls = 0

    def embed(self, texts, kind):  # type: ignore[no-untyped-def]
        self.calls += len(texts)
        out = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int(hashlib.md5(word[:5].encode()).hexdigest(), 16)
                out[i, h % self.info.dim] += 1.0
            out[i, 0] += 1e-3
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


# --- sample documents -----------------------------------------------------------------------------

#: three small documents in three formats and languages (the service and CLI tests)
DOCS = {
    "acta-desaguadero.md": (
        "# Acta de la reunión binacional en Desaguadero\n\n"
        "El 12 de marzo de 2024 se reunieron en el CEBAF de Desaguadero la Policía Nacional del Perú y la "
        "Policía Boliviana. Se acordó un protocolo de control migratorio conjunto y patrullajes binacionales "
        "en el río Desaguadero contra el contrabando de combustible.\n\n"
        "## Acuerdos\n\n1. Intercambiar listas de alertas migratorias cada semana.\n"
        "2. Capacitar a los inspectores de Migraciones en detección de documentos falsos.\n"
    ),
    "visit-rumichaca.txt": (
        "Technical visit report: Rumichaca border crossing\n\n"
        "The delegation visited the Rumichaca bridge between Colombia and Ecuador on 5 June 2023. "
        "Migración Colombia explained how travellers are registered. The National Police of Colombia "
        "described cases of migrant smuggling and trafficking in persons along the Pan-American Highway.\n"
    ),
    "note-ccpd.html": (
        "<html><head><title>Les centres de coopération policière et douanière</title></head><body>"
        "<nav><a href='/'>Accueil</a> <a href='/news'>Actualités</a></nav><main><article>"
        "<h1>Les centres de coopération policière et douanière</h1>"
        "<p>Les CCPD réunissent dans un même bâtiment des policiers et des douaniers de deux pays voisins. "
        "Ils échangent des informations sur les migrations irrégulières et la traite des êtres humains.</p>"
        "</article></main><footer>© Ministère — mentions légales — plan du site</footer></body></html>"
    ),
}


def write_docs(folder: Path) -> Path:
    """:data:`DOCS` written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def fake_kb(root: Path, documents: dict[str, str]) -> Any:
    """A knowledge base under ``root`` with ``documents`` (name -> text) ingested: fake embedder, no NER."""
    from kb.service import KnowledgeBase

    docs = root / "docs"
    docs.mkdir(parents=True)
    for name, text in documents.items():
        (docs / name).write_text(text, encoding="utf-8")
    kb = KnowledgeBase.open(root / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    report = kb.ingest([docs])
    assert report.count("ingested") == len(documents), report.rows
    return kb


def make_docs(folder: Path, prefix: str, n: int) -> Path:
    """``n`` short Spanish reports named ``<prefix>-NN.md``, each different."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"{prefix}-{i:02d}.md").write_text(
            f"# Informe {prefix} {i}\n\nLa patrulla binacional {prefix} número {i} revisó el paso fronterizo "
            f"de Desaguadero y registró {i * 7} vehículos con contrabando de combustible.\n",
            encoding="utf-8",
        )
    return folder


#: the app tests' knowledge base: four documents, two of them with markup in their text
APP_DOCS = {
    "acta-desaguadero.md": "# Acta de la reunión en Desaguadero\n\nFecha: 14 de marzo de 2024.\n\n"
    "La Policía Nacional del Perú y la Policía Boliviana acordaron patrullajes binacionales en el río "
    "Desaguadero contra el contrabando de combustible.\n\nSe revisó también el control migratorio en el puente "
    "y el registro de viajeros menores de edad.\n",
    "rumichaca.txt": "Technical visit to Rumichaca\n\nDate: 2 June 2022.\n\nMigración Colombia registers travellers "
    "at the Rumichaca bridge; the National Police of Colombia reported migrant smuggling and joint patrols "
    "against fuel smuggling on the river.\n",
    "hostile.html": "<html><head><title>Note hostile</title></head><body><main><h1>Note hostile</h1>"
    "<p>Ce texte parle de &lt;script&gt;alert(1)&lt;/script&gt; et de &lt;b&gt;balises&lt;/b&gt; à Desaguadero, "
    "avec la Police aux frontières et les patrouilles conjointes contre la contrebande.</p></main></body></html>",
    "script-tag.txt": "Página con etiquetas\n\nEste informe sobre Tacna–Arica contiene <script>alert(1)</script> "
    "y <img src=x onerror=alert(2)> en su texto, que deben verse como texto.\n",
}

#: a shared knowledge base (issue 15): documents by collection; "police" is readable by administrators only
TEAM_DOCS = {
    "border": {name: APP_DOCS[name] for name in ("acta-desaguadero.md", "rumichaca.txt")},
    "police": {
        "informe-reservado.md": "# Informe policial reservado\n\nInforme reservado de la Policía Nacional del Perú "
        "sobre el contrabando de combustible en el paso de Desaguadero y los patrullajes binacionales en el puente.\n"
    },
}
#: its users: an administrator, alice (reads "border"), bob (writes "border")
TEAM_PASSWORDS = {"admin": "admin-password-1", "alice": "alice-password-1", "bob": "bob-password-1"}


def team_kb(root: Path) -> Any:
    """A multi-user knowledge base under ``root`` with :data:`TEAM_DOCS`, its users and their grants."""
    kb = collections_kb(root, TEAM_DOCS)
    for name, password in TEAM_PASSWORDS.items():
        kb.add_user(name, password, admin=name == "admin")
    kb.grant("alice", "border", "read")
    kb.grant("bob", "border", "write")
    return kb


def sample_docx_bytes() -> bytes:
    """A small real DOCX: title and author, a heading, a paragraph, a 2x2 table, a second heading."""
    import docx

    d = docx.Document()
    d.core_properties.title = "Nota de coordinación"
    d.core_properties.author = "EL PAcCTO"
    d.add_heading("Antecedentes", level=1)
    d.add_paragraph("La reunión trató el intercambio de información en el paso de Rumichaca.")
    table = d.add_table(rows=2, cols=2)
    for r, row in enumerate([("País", "Agencia"), ("Ecuador", "Policía Nacional")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_heading("Acuerdos", level=2)
    d.add_paragraph("Se acordó una patrulla conjunta.")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def docx_bytes(*paragraphs: str) -> bytes:
    """A DOCX file with one paragraph per argument."""
    import docx

    d = docx.Document()
    for text in paragraphs:
        d.add_paragraph(text)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


#: a paragraph with one run of one word: the smallest markup python-docx turns into text
WORD_PARAGRAPH = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>"


def docx_with_body(body: bytes) -> bytes:
    """python-docx's own template with ``body`` as the contents of ``<w:body>``, deflated."""
    import docx

    template = io.BytesIO()
    docx.Document().save(template)
    src = zipfile.ZipFile(io.BytesIO(template.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                head = data.partition(b"<w:body>")[0]
                data = head + b"<w:body>" + body + b"</w:body></w:document>"
            zf.writestr(info.filename, data)
    return out.getvalue()


def paragraph_bomb(paragraphs: int = 900_000, paragraph: bytes = WORD_PARAGRAPH) -> bytes:
    """By default the issue's file: ~125 KB that expands to ~31 MB of one-word paragraphs."""
    return docx_with_body(paragraph * paragraphs)


# --- misbehaving readers, injected by qualified name: a sandbox worker imports this module ----------


def sleepy_reader(path: Path, limits: ReadLimits) -> RawDocument:
    """A reader that never finishes on files named ``hang*``."""
    if path.name.startswith("hang"):
        time.sleep(3600)
    return read_file(path, limits)


def crashing_reader(path: Path, limits: ReadLimits) -> RawDocument:
    """A reader whose process dies on files named ``crash*``, as a segfaulting parser would."""
    if path.name.startswith("crash"):
        os._exit(139)
    return read_file(path, limits)


def pid_reader(path: Path, limits: ReadLimits) -> RawDocument:
    """A reader that reports which process ran it."""
    return RawDocument(str(path), "text", (Page(None, str(os.getpid())),))


# --- writers in a child process (crash and concurrency tests) -------------------------------------

#: ingest ``argv[2:]`` into the knowledge base ``argv[1]`` with the fake embedder
SCRIPT = textwrap.dedent(
    """
    import sys
    from kb.service import KnowledgeBase
    from tests.helpers import FakeEmbedder
    kb = KnowledgeBase.open(sys.argv[1], embedder_impl=FakeEmbedder(), use_ner=False)
    kb.ingest(sys.argv[2:])
    """
)


def run_script(args: list[str], crash_at: str | None) -> int:
    """Run ``python -c *args`` from the checkout; ``crash_at`` names a ``KB_CRASH_AT`` kill point."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("KB_CRASH_AT", None)
    if crash_at:
        env["KB_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "-c", *args], env=env, cwd=ROOT, timeout=300).returncode


def run_ingest(kb_dir: Path, folders: list[Path], crash_at: str | None) -> int:
    """:data:`SCRIPT` in a child process; its exit status (negative: killed by that signal)."""
    return run_script([SCRIPT, str(kb_dir), *map(str, folders)], crash_at)


# --- the Streamlit app ----------------------------------------------------------------------------


def run_app(kb: Any, **params: str) -> Any:
    """Run app.py once with ``kb`` (a KnowledgeBase, or None) injected and the given query parameters."""
    return run_app_as(kb, None, **params)


def run_app_as(kb: Any, user: str | None, **params: str) -> Any:
    """:func:`run_app`, signed in as ``user`` of :func:`team_kb` (a fresh session token) unless ``None``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if kb is not None:
        at.session_state["kb"] = kb
    if user is not None:
        at.session_state["kb_token"] = kb.login(user, TEAM_PASSWORDS[user])["access_token"]
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def shown(markup: str) -> str:
    """``markup`` with the numeric character references of ``render.esc`` decoded.

    ``esc`` writes every ASCII punctuation of document text as ``&#NN;`` (and ``<``, ``>``, ``&``,
    ``"`` as ``&lt;`` ...), so tests can look for document text with punctuation in it; the named
    references stay, so ``<script`` in the result is still real markup.
    """
    return re.sub(r"&#(\d+);", lambda m: chr(int(m[1])), markup)


def html_of(at: Any) -> str:
    """Every markdown element of an app run, decoded, one per line."""
    return shown("\n".join(str(m.value) for m in at.markdown))


def cards(at: Any) -> list[str]:
    """The result cards of an app run, decoded."""
    return [shown(str(m.value)) for m in at.markdown if 'class="kb-card"' in str(m.value)]


# --- the REST API ---------------------------------------------------------------------------------

#: a `kb serve` process on a knowledge base built with the FakeEmbedder (the CLI would load e5)
API_SERVER = textwrap.dedent(
    """
    import sys
    from kb.api.server import serve
    from kb.service import KnowledgeBase
    from tests.helpers import FakeEmbedder
    kb = KnowledgeBase.open(sys.argv[1], embedder_impl=FakeEmbedder(), use_ner=False)
    serve(kb, "127.0.0.1", int(sys.argv[2]), log_level="warning")
    """
)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def collections_kb(root: Path, collections: dict[str, dict[str, str]]) -> Any:
    """A knowledge base under ``root`` with each collection's ``{name: text}`` documents ingested into it
    (fake embedder, no NER)."""
    from kb.service import KnowledgeBase

    kb = KnowledgeBase.open(root / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    for name, documents in collections.items():
        folder = root / "docs" / name
        folder.mkdir(parents=True)
        for file, text in documents.items():
            (folder / file).write_text(text, encoding="utf-8")
        report = kb.ingest([folder], name)
        assert report.count("ingested") == len(documents), report.rows
    return kb


class ApiServer:
    """A real server process on 127.0.0.1: ``python -c API_SERVER`` or a ``kb ... serve`` command line."""

    def __init__(self, args: list[str], port: int, env: dict[str, str] | None = None) -> None:
        import tempfile

        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.TemporaryFile()  # not a pipe: a chatty server must never block on a full one
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT), **(env or {})),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def wait_ready(self, timeout: float = 120.0) -> ApiServer:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError("the server did not answer /api/v1/health in time")

    def stop(self) -> str:
        """Stop the server; what it printed."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.output()


PASSWORD = "correct horse 1"
#: a document only the police may read; its title and marker must never reach anyone else
SECRET = (
    "# Informe reservado zorblax\n\nLa patrulla binacional zorblax vigiló el paso de Desaguadero; "
    "el informante quedó registrado.\n"
)


#: five public reports, each on its own subject (similar ones would be folded as near-duplicates)
TOPICS = {
    "combustible": "el contrabando de combustible en camiones cisterna y las multas aplicadas",
    "menores": "el registro de viajeros menores de edad y la autorización de sus padres",
    "ganado": "el cruce ilegal de ganado vacuno por los pastizales del altiplano",
    "capacitacion": "la capacitación de inspectores en documentos falsos y alertas migratorias",
    "puente": "la reparación del puente internacional y los horarios de atención al público",
}


def public_doc(topic: str) -> str:
    return f"# Informe sobre {topic}\n\nLa patrulla de Desaguadero revisó {TOPICS[topic]}.\n"


@dataclass
class Site:
    """The running server, the test process's own handle on the same knowledge base, and the ids."""

    server: ApiServer
    kb: Any
    public: list[str]  # document ids of the "public" collection (5 documents)
    secret: str  # the one document of "police"
    sessions: dict[str, str] = field(default_factory=dict)  # user -> a session token, reused across tests

    def client(self, user: str | None = None, *, fresh: bool = False) -> Any:
        """An ``httpx.Client`` on ``/api/v1``, logged in as ``user`` when given (a new session with ``fresh``)."""
        import httpx

        c = httpx.Client(base_url=self.server.url + "/api/v1", timeout=60)
        if user is not None:
            if fresh:
                c.headers["Authorization"] = "Bearer " + login(c, user)
                return c
            if user not in self.sessions:
                self.sessions[user] = login(c, user)
            c.headers["Authorization"] = "Bearer " + self.sessions[user]
        return c


def login(c: Any, user: str, password: str = PASSWORD) -> str:
    r = c.post("/auth/token", data={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def api_server(kb_dir: Path, env: dict[str, str] | None = None) -> ApiServer:
    """:data:`API_SERVER` on ``kb_dir`` (a fake-embedder knowledge base), answering on a free port."""
    port = free_port()
    return ApiServer(["-c", API_SERVER, str(kb_dir), str(port)], port, env).wait_ready()
