#!/usr/bin/env bash
# Runs every benchmark executable (bin/*_bench) of a build and collects their JSON
# lines into <build>/bench-results.json (one JSON array).
set -euo pipefail
build="${1:-build/dev}"
out="$build/bench-results.json"
lines=()
status=0
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# vm_bench boots real VMs: bring up the libvirt daemon the way the tests do (as
# root, on a machine without systemd), and take it down again afterwards.
if [ -x "$build/bin/vm_bench" ] && [ "$(id -u)" -eq 0 ]; then
  bash "$here/packaging/microvm/libvirtd-start.sh" >&2 || echo "could not start libvirtd: vm_bench may fail" >&2
  trap 'bash "$here/packaging/microvm/libvirtd-stop.sh" >&2 || true' EXIT
fi
for bench in "$build"/bin/*_bench; do
  [ -x "$bench" ] || continue
  echo "== $(basename "$bench")" >&2
  if result=$("$bench"); then
    printf '%s\n' "$result"
    while IFS= read -r line; do [ -n "$line" ] && lines+=("$line"); done <<<"$result"
  else
    echo "benchmark $(basename "$bench") failed" >&2
    status=1
  fi
done
{ printf '['; (IFS=,; printf '%s' "${lines[*]}"); printf ']\n'; } > "$out"
echo "results: $out" >&2
exit $status
