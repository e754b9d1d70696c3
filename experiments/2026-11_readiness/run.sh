#!/usr/bin/env bash
# Reproduce the worked experiment "What makes a programme ready?" in one command (about 5 minutes
# on an idle 2-core machine): the Morris screen, then the Sobol' analysis of the parameters it ranked highest.
# Re-running resumes or reprints from the stores under outputs/.
set -euo pipefail
cd "$(dirname "$0")/../.."
uv run bsc-sim sensitivity experiment=experiments/2026-11_readiness/morris.yaml \
    out_dir=experiments/2026-11_readiness/outputs/morris "$@"
uv run bsc-sim sensitivity experiment=experiments/2026-11_readiness/sobol.yaml \
    out_dir=experiments/2026-11_readiness/outputs/sobol "$@"
