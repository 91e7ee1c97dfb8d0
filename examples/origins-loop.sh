#!/usr/bin/env bash
# Which country's full cut hurts most? One `chokepoint scenario` call per origin, read with jq.
# Usage: examples/origins-loop.sh [CHAIN] [SEVERITY]   (default: robots 1)
# Prints one line per foreign origin: ORIGIN<TAB>worst final-product loss.
set -euo pipefail
chain="${1:-robots}"
severity="${2:-1}"

origins=$(chokepoint analyze "$chain" --format json | jq -r '[.nodes[].exposure | keys[]] | unique | .[]')
for origin in $origins; do
  loss=$(chokepoint scenario "$chain" --cut "$origin=$severity" --format json | jq '[.final[].loss] | max')
  printf '%s\t%s\n' "$origin" "$loss"
done
