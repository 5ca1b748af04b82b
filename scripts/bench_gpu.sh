#!/usr/bin/env bash
# The benchmark of scripts/bench.py on a CUDA machine: precis on transformers (bf16)
# and on CTranslate2 (float16), batched (the article's 6 sections repeated 4 times, as
# numbered copies, so that there are full batches), at the default (beam) decoding and
# greedy, beside the naive pipeline and CTranslate2 called directly. Prints seconds
# per section, torch.cuda.max_memory_allocated and the GPU memory nvidia-smi reports
# for each process (CTranslate2 allocates outside torch). No reader/pty runs.
# Needs python with torch (CUDA), transformers, tokenizers, sentencepiece, psutil,
# ctranslate2 and precis' own dependencies; no network. The random-weight stand-ins
# (python scripts/bench_models.py DIR: 50 s on 2 loaded cores, 1.5 GB) are built into
# $PRECIS_BENCH_DIR when missing, before anything is timed; where DIR can be carried
# in, the GPU run only measures. The naive fp32 runs take 2 of the sections
# (bench.py --naive-sections). Budget: under 5 minutes.
#
#   PRECIS_BENCH_DIR=DIR scripts/bench_gpu.sh [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-}
if [ -z "$PY" ]; then
    if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name(0))"
export PRECIS_BENCH_DIR=${PRECIS_BENCH_DIR:-${TMPDIR:-/tmp}/precis-bench}
exec timeout 290 "$PY" scripts/bench.py --device cuda --repeat 4 --no-reader --no-card "$@"
