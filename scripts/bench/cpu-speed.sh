#!/usr/bin/env bash
# CPU training speed, twllm against PyTorch in the same run (issue 16): the whole fp32 step (forward + backward +
# AdamW) of 8 layers, hidden 512, 8 heads / 4 KV heads, FFN 1376, vocab 32000 at seq 512 x micro-batch 4 and at
# seq 2048 x 1, the two sides alternating step by step. Prints tokens/s of each and the ratio, the step's FLOP rate
# (PaLM convention, as the trainer's MFU), the sgemm peak measured in the same run and step/peak, and twllm's step
# profile by kind of work. Figures mean something only on an idle machine.
#   scripts/bench/cpu-speed.sh [--steps N] [--variant NAME='ENV=VALUE ...'] [SHAPE ...]
# Defaults: 3 timed steps; shapes "seq=512 batch=4" and "seq=2048 batch=1". A SHAPE is key=value words (seq, batch,
# and the model's hidden, intermediate, layers, heads, kvHeads, vocab). Each --variant adds a twllm side run with
# those environment variables (an A/B of thread settings, e.g. --variant spin='OMP_WAIT_POLICY=active'),
# alternated with the others pair by pair. Every side runs with OMP_WAIT_POLICY=passive unless told otherwise; twllm's
# sides and the tuned PyTorch side with OPENBLAS_THREAD_TIMEOUT=18 as scripts/twllm sets it (a variant may override it).
# The peer is Debian's PyTorch (apt-get install python3-torch libopenblas0-pthread), run as /usr/bin/python3, once as
# installed and once with OpenBLAS's kernels for this CPU forced (OPENBLAS_CORETYPE; see below).
# Build folder: target, or $TWLLM_TARGET. JAVA_OPTS replaces the default -Xmx2g.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="${TWLLM_TARGET:-target}"
steps=3
variants=()
shapes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --variant) variants+=("$2"); shift 2 ;;
    *) shapes+=(--shape "$1"); shift ;;
  esac
done
deps="$(mktemp)"
trap 'rm -f "$deps"' EXIT
# Benchmarks are compiled with the tests (src/bench/java); one reactor run builds them and writes the classpath.
(cd "$root" && mvn -B -q -o -Dstyle.color=never -Dtwllm.target="$target" -pl trainer-core -am test-compile \
  dependency:build-classpath -Dmdep.outputFile="$deps" >/dev/null)
threads="$(nproc)"
# What scripts/twllm sets for every run (see there); a --variant may override it.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
java_env="env OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-18}"
java_side="java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-modules jdk.incubator.vector ${JAVA_OPTS:--Xmx2g} -Dtwllm.cpu.profile=true \
 -cp $root/trainer-core/$target/classes:$root/trainer-core/$target/test-classes:$(cat "$deps") \
 org.twllm.core.engine.cpu.TrainingStepBenchmark {shape}"
torch_side="/usr/bin/python3 $root/scripts/bench/torch_llama_bench.py {shape} threads=$threads lockstep=1"
sides=(--side "twllm=$java_env $java_side" --side "torch=$torch_side")
# Debian's OpenBLAS 0.3.21 does not know recent Xeons and falls back to its SSE3 (Prescott) kernels there (34 against
# 200-240 GFLOP/s measured on this VM's Xeon model 207). A second PyTorch side gets the kernels a user would force
# with OPENBLAS_CORETYPE, so the comparison with a well-configured peer is printed too.
if grep -qw avx512f /proc/cpuinfo; then peer_core=SkylakeX; elif grep -qw avx2 /proc/cpuinfo; then peer_core=Haswell; fi
if [ -n "${peer_core:-}" ]; then
  sides+=(--side "torch-$peer_core=env OPENBLAS_CORETYPE=$peer_core OPENBLAS_THREAD_TIMEOUT=18 $torch_side")
fi
# a variant's variables come after the defaults, so they win
for v in ${variants[@]+"${variants[@]}"}; do sides+=(--side "${v%%=*}=$java_env ${v#*=} $java_side"); done
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$root/scripts/bench/cpu_speed.py" --steps "$steps" "${sides[@]}" ${shapes[@]+"${shapes[@]}"}
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
