#!/usr/bin/env bash
# The benchmark of scripts/bench.py on a CUDA machine: the same comparison, with
# precis in bf16 and batches of 8 (the article's 6 sections repeated 4 times, as
# numbered copies, so that there are full batches), without CTranslate2 and without
# the first-paint probe. Prints ms per section and torch.cuda.max_memory_allocated
# for the baseline (fp32, beam 4, one section at a time) and for precis.
# Needs python with torch (CUDA), transformers, tokenizers, sentencepiece, psutil and
# precis' own dependencies; no network (models are random-weight stand-ins built here,
# ~1 minute on first use, kept in $PRECIS_BENCH_DIR). Budget: under 5 minutes.
#
#   scripts/bench_gpu.sh [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-}
if [ -z "$PY" ]; then
    if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name(0))"
export PRECIS_BENCH_DIR=${PRECIS_BENCH_DIR:-${TMPDIR:-/tmp}/precis-bench}
exec timeout 290 "$PY" scripts/bench.py --device cuda --batch-size 8 --repeat 4 \
    --baseline-sections 6 --no-ct2 --no-paint "$@"
