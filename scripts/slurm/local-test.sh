#!/usr/bin/env bash
# Runs the shipped scripts/slurm/twllm.sbatch under a real, one-host Slurm and checks it:
#   1. stands up Slurm in a temporary directory: a MUNGE key and munged, a generated slurm.conf with this
#      host as its one node (2 CPUs), slurmctld and slurmd; all of them are stopped when the script ends;
#   2. trains the tiny cPT config as a 2-task job (sbatch --wait): 2 ZeRO-2 ranks whose per-step losses
#      must equal those of `twllm train --nproc 2` on the same config;
#   3. submits it again, scancels it after a checkpoint, resubmits, and checks that the job resumed from
#      the checkpoint and that its per-step losses again equal the --nproc 2 run's.
# Needs root and Debian's Slurm and MUNGE: apt-get install slurm-wlm munge
# Usage: scripts/slurm/local-test.sh        (TWLLM_SLURM_KEEP=1 keeps the temporary directory)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
steps=8
save_steps=3
cancel_after=5

say() { printf 'local-test: %s\n' "$*"; }
fail() { printf 'local-test: FAILED: %s\n' "$*" >&2; exit 1; }

for cmd in munged munge slurmctld slurmd sbatch srun scontrol scancel sinfo squeue; do
  command -v "$cmd" >/dev/null || { echo "local-test: $cmd is missing; install Slurm and MUNGE with: apt-get install slurm-wlm munge" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "local-test: run this as root (slurmd starts job steps as the submitting user)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/twllm-slurm.XXXXXX")"
pids=()
cleanup() {
  local rc=$?
  if [ -n "${SLURM_CONF:-}" ] && [ ${#pids[@]} -gt 0 ]; then
    # Jobs first: their steps outlive slurmd.
    squeue -h -o %i 2>/dev/null | xargs -r scancel 2>/dev/null || true
    for _ in $(seq 1 60); do
      squeue -h 2>/dev/null | grep -q . || break
      sleep 0.5
    done
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  if [ -f "$work/munge/munged.pid" ]; then
    kill "$(cat "$work/munge/munged.pid")" 2>/dev/null || true
  fi
  if [ "$rc" = 0 ] && [ "${TWLLM_SLURM_KEEP:-0}" != 1 ]; then
    rm -rf "$work"
  else
    say "kept $work (daemon logs in $work/log, job output in $work/*.out)"
  fi
}
trap cleanup EXIT
started=$SECONDS

# twllm is built once before anything starts (the batch script would otherwise build inside the job).
"$root/scripts/twllm" --version >/dev/null

# MUNGE: a fresh key and a daemon on a private socket.
mkdir -p "$work/munge" "$work/ctld" "$work/spool" "$work/log" "$work/run"
chmod 700 "$work/munge"
head -c 1024 /dev/urandom > "$work/munge/munge.key"
chmod 400 "$work/munge/munge.key"
munged --force --socket="$work/munge/munge.socket" --key-file="$work/munge/munge.key" \
  --log-file="$work/log/munged.log" --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munged.seed"

# Slurm: this host as the only node, on ports no other Slurm here uses.
host="$(hostname -s)"
port=$((20000 + RANDOM % 20000))
cat > "$work/slurm.conf" <<CONF
ClusterName=twllm-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/ctld
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
PropagateResourceLimits=NONE
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
daemons_started=$SECONDS
slurmctld -D -c -f "$SLURM_CONF" > "$work/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" > "$work/log/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break
  sleep 0.5
done
[ "$(sinfo -h -o %T 2>/dev/null)" = idle ] || fail "the node did not come up within 60 s; see $work/log"
say "Slurm up in $((SECONDS - daemons_started)) s: $(sinfo -h -o '%P %D node(s) %c CPUs %T')"

cd "$root"
train_sets=(--stage cpt --config configs/tiny/cpt.yaml --set "training.max_steps=$steps" --set training.warmup_steps=2
  --set training.logging_steps=1 --set "checkpoint.save_steps=$save_steps")
job_options=(--nodes=1 --ntasks=2 --ntasks-per-node=2 --cpus-per-task=1 --gpus-per-node=0
  --export="ALL,MASTER_PORT=$((port + 2))")

# "step loss" per line of a run's metrics.jsonl.
losses() { sed -E 's/.*"step":([0-9]+).*"loss":([^,}]+).*/\1 \2/' "$1/metrics.jsonl"; }
count_steps() { [ -f "$1/metrics.jsonl" ] && wc -l < "$1/metrics.jsonl" || echo 0; }

say "reference: twllm train --nproc 2 ($steps steps)"
t=$SECONDS
"$root/scripts/twllm" train --nproc 2 "${train_sets[@]}" --set "run.output_dir=$work/nproc2" > "$work/nproc2.out" 2>&1 \
  || fail "the --nproc 2 run failed; see $work/nproc2.out"
[ "$(count_steps "$work/nproc2")" = "$steps" ] || fail "the --nproc 2 run logged $(count_steps "$work/nproc2") steps, not $steps"
say "  done in $((SECONDS - t)) s"

say "job 1: sbatch --wait twllm.sbatch, 2 tasks"
t=$SECONDS
sbatch --wait --output="$work/job1.out" "${job_options[@]}" scripts/slurm/twllm.sbatch "${train_sets[@]}" \
  --set "run.output_dir=$work/job1" > /dev/null || fail "job 1 failed; see $work/job1.out"
grep -q "rank 1 of 2" "$work/job1.out" || fail "job 1 did not run rank 1 of 2; see $work/job1.out"
grep -q "world size 2)" "$work/job1.out" || fail "job 1 did not train with world size 2; see $work/job1.out"
for c in "$work"/job1/checkpoint-*; do
  n="$(ls "$c"/optimizer-*.safetensors | wc -l)"
  [ "$n" = 2 ] || fail "$c holds $n optimizer ranges; 2 ZeRO-2 ranks write 2"
done
diff <(losses "$work/nproc2") <(losses "$work/job1") > "$work/job1.diff" \
  || fail "job 1's per-step losses differ from the --nproc 2 run's; see $work/job1.diff"
say "  done in $((SECONDS - t)) s: 2 ranks, 2 optimizer ranges per checkpoint, losses equal to --nproc 2 at all $steps steps"

say "job 2: submitted, cancelled after step $cancel_after, resubmitted"
t=$SECONDS
job="$(sbatch --parsable --output="$work/job2a.out" "${job_options[@]}" scripts/slurm/twllm.sbatch "${train_sets[@]}" \
  --set "run.output_dir=$work/job2")"
for _ in $(seq 1 1200); do
  [ "$(count_steps "$work/job2")" -ge "$cancel_after" ] && break
  squeue -h -j "$job" 2>/dev/null | grep -q . || fail "job 2 ended before step $cancel_after; see $work/job2a.out"
  sleep 0.5
done
[ "$(count_steps "$work/job2")" -ge "$cancel_after" ] || fail "job 2 did not reach step $cancel_after in 10 minutes"
scancel "$job"
for _ in $(seq 1 240); do
  squeue -h -j "$job" 2>/dev/null | grep -q . || break
  sleep 0.5
done
squeue -h -j "$job" 2>/dev/null | grep -q . && fail "job 2 did not end within 2 minutes of scancel"
cancelled_at="$(count_steps "$work/job2")"
[ "$cancelled_at" -lt "$steps" ] || fail "job 2 finished all $steps steps before scancel reached it"
newest="$(ls -d "$work"/job2/checkpoint-* | tail -n 1)"
sbatch --wait --output="$work/job2b.out" "${job_options[@]}" scripts/slurm/twllm.sbatch "${train_sets[@]}" \
  --set "run.output_dir=$work/job2" > /dev/null || fail "the resubmitted job 2 failed; see $work/job2b.out"
grep -q "from $newest)" "$work/job2b.out" || fail "the resubmitted job did not resume from $newest; see $work/job2b.out"
diff <(losses "$work/nproc2") <(losses "$work/job2") > "$work/job2.diff" \
  || fail "the resumed job's per-step losses differ from the --nproc 2 run's; see $work/job2.diff"
say "  done in $((SECONDS - t)) s: cancelled after step $cancelled_at, resumed from $(basename "$newest"), losses equal to --nproc 2"

say "PASSED in $((SECONDS - started)) s"
