#!/usr/bin/env bash
# The same question as origins-loop.sh in one call: `chokepoint sweep --over origins`.
# Usage: examples/origins-sweep.sh [CHAIN] [SEVERITY]   (default: robots 1)
# Prints one line per foreign origin: ORIGIN<TAB>worst final-product loss.
set -euo pipefail
chain="${1:-robots}"
severity="${2:-1}"

chokepoint sweep "$chain" --over origins --severity "$severity" --format csv |
  awk -F, 'NR > 1 { if (!($2 in worst) || $5 > worst[$2]) worst[$2] = $5 }
           END { for (o in worst) printf "%s\t%s\n", o, worst[o] }' |
  sort
