# Sourced by the benchmark scripts (not run by itself): the peak resident memory of a running twllm job.

peak_of() { # peak_of PID: VmHWM in kB, or empty once the process is gone
  awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || true
}

# watch_peaks LAUNCHER RANKS: polls until LAUNCHER exits, leaving in the global array hwm each rank's VmHWM in kB
# (one rank: the launcher itself; more: its worker JVMs, which carry RANK in their environment)
watch_peaks() {
  local launcher=$1 ranks=$2 p r v
  hwm=()
  while kill -0 "$launcher" 2>/dev/null; do
    if [ "$ranks" -eq 1 ]; then
      v=$(peak_of "$launcher"); [ -n "$v" ] && hwm[0]=$v
    else
      for p in $(pgrep -P "$launcher" || true); do
        r=$( (tr '\0' '\n' <"/proc/$p/environ") 2>/dev/null | sed -n 's/^RANK=//p' || true)
        v=$(peak_of "$p"); [ -n "$r" ] && [ -n "$v" ] && hwm[$r]=$v
      done
    fi
    sleep 0.5
  done
}
