#!/usr/bin/env bash
# Builds the self-contained device bundle for a GPU machine that has the NVIDIA driver and CUDA 13 but no
# JDK, no Maven and no network (docs/gpu.md): a jlink'ed Java runtime, the project's jars and only the
# dependencies the CUDA path needs (no ND4J, no OpenBLAS; the CUDA JNI wrappers trimmed to cudart, cuBLAS
# and NVRTC), the launcher bin/twllm (--device-check runs the device check), check.sh and its parity fixture.
#
#   scripts/gpu/bundle.sh [--check] [OUT_DIR]     (default OUT_DIR: trainer-distributed/target/twllm-gpu)
#
# Needs the packaged jars (mvn -B -DskipTests package) and binutils' strip. --check then proves the bundle is
# self-contained: the project's jars find every class they use in it (ND4J aside), and its own runtime answers
# `twllm --version`, `twllm config validate`, `twllm plan` and `twllm data prepare` of a zstd-compressed corpus with no Java on
# the PATH and no JAVA_HOME. Fails when the bundle exceeds 60 MiB.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
check=false
if [ "${1:-}" = "--check" ]; then
  check=true
  shift
fi
out="${1:-$root/trainer-distributed/target/twllm-gpu}"
limit_mib=60
target="${TWLLM_TARGET:-target}"
classpath_file="$root/trainer-distributed/$target/classpath.txt"

die() {
  echo "bundle: $*" >&2
  exit 1
}

[ -f "$classpath_file" ] || die "$classpath_file is missing; run 'mvn -B -DskipTests package' first"
for tool in jlink jdeps jar; do
  command -v "$tool" >/dev/null || die "$tool is not on the PATH; the bundle needs a JDK 17"
done
command -v strip >/dev/null || die "strip is not on the PATH; the bundle needs binutils to stay within $limit_mib MiB"

rm -rf "$out"
mkdir -p "$out/lib" "$out/bin" "$out/reference"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The project's jars.
for module in data-pipeline trainer-core trainer-distributed; do
  jar_file="$(ls "$root/$module/$target/$module"-*.jar 2>/dev/null | grep -v -e '-sources' -e '-tests' | head -n1 || true)"
  [ -n "$jar_file" ] || die "no $module jar in $root/$module/$target; run 'mvn -B -DskipTests package' first"
  cp "$jar_file" "$out/lib/"
done

# Only the dependencies the CUDA path needs: an allow-list, so nothing of ND4J's tree comes along. It holds the
# whole runtime tree of data-pipeline (twllm train prepares its sources: Parquet through parquet-floor, zstd),
# the CLI's, Aeron's and JavaCPP's; the check below fails when the project's own jars need anything else.
keep='^(aeron-all|jackson-annotations|jackson-core|jackson-databind|jackson-dataformat-yaml|snakeyaml|picocli|slf4j-api|logback-classic|logback-core|javacpp|cuda|parquet-floor|parquet-column|parquet-common|parquet-encoding|parquet-hadoop|parquet-format-structures|parquet-jackson|jts-core|javax\.annotation-api|aircompressor|zstd-jni)-[0-9]'
tr ':' '\n' <"$classpath_file" | while read -r dep || [ -n "$dep" ]; do
  name="$(basename "$dep")"
  case "$name" in
    data-pipeline-*|trainer-core-*|trainer-distributed-*) continue ;;
  esac
  if [[ "$name" == cuda-*-linux-x86_64.jar ]]; then
    # The JNI wrappers of cudart (with the driver API), cuBLAS and NVRTC only; the libraries are the machine's.
    (cd "$work" && mkdir natives && cd natives && unzip -q "$dep" 'org/bytedeco/cuda/linux-x86_64/libjnicudart.so' \
      'org/bytedeco/cuda/linux-x86_64/libjnicublas.so' 'org/bytedeco/cuda/linux-x86_64/libjninvrtc.so' \
      && jar --create --file "$out/lib/${name%.jar}-cudart-cublas-nvrtc.jar" org)
  elif [[ "$name" == zstd-jni-*.jar ]]; then
    # zstd-jni carries its library for 17 platforms (15 MiB unpacked); the GPU machines are linux/amd64.
    (cd "$work" && mkdir zstd && cd zstd && unzip -q "$dep" 'com/*' 'linux/amd64/*' \
      && jar --create --file "$out/lib/${name%.jar}-linux-amd64.jar" com linux)
  elif [[ "$name" =~ $keep ]]; then
    cp "$dep" "$out/lib/"
  fi
done

# The runtime: the modules the bundled jars use (jdeps), plus jdk.unsupported (sun.misc.Unsafe for Agrona and
# JavaCPP), less two that only code off the GPU path needs: java.compiler (Aeron's and Agrona's annotation
# processors) and java.desktop (11 MiB: the PNG loss plots of `twllm sweep` reports, and bean introspection that
# Jackson and SnakeYAML use only when present). The check below proves the CLI runs without them.
jars="$(printf '%s:' "$out"/lib/*.jar)"
modules="$(jdeps --ignore-missing-deps --print-module-deps --multi-release 17 --class-path "$jars" "$out"/lib/*.jar 2>"$work/jdeps.log")" \
  || die "jdeps failed: $(grep -v '^\s*at ' "$work/jdeps.log" | head -n 3)"
modules="$(echo "$modules" | grep -v '^Warning' | tail -n 1 | tr ',' '\n' | grep -v -x -e java.compiler -e java.desktop | paste -s -d, -)"
jlink --add-modules "$modules,jdk.unsupported" --strip-debug --no-header-files --no-man-pages --compress=2 \
  --output "$out/runtime"
# The JDK's native libraries keep their symbol tables (4 MiB of libjvm.so); the exported symbols the JVM and JNI
# resolve stay. Only a crash log's frames lose their names.
find "$out/runtime" -name '*.so' -exec strip --strip-unneeded {} +

cp -r "$root/src-test-fixtures/reference/gpu-parity" "$out/reference/"
cp "$root/scripts/gpu/check.sh" "$root/scripts/gpu/torch_peer.py" "$out/"
cp "$root/configs/tiny/cpt.yaml" "$out/reference/tiny-cpt.yaml"

# The launchers use only bash built-ins and the bundle's own java: they run with an empty PATH.
cat >"$out/bin/twllm" <<'LAUNCHER'
#!/usr/bin/env bash
# twllm from the device bundle: its own Java runtime; the CUDA 13 libraries from the machine.
here="${BASH_SOURCE[0]%/*}/.."
cuda_libs=""
for dir in "${CUDA_HOME:-}/lib64" /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-13*/lib64 /usr/lib/x86_64-linux-gnu; do
  [ -d "$dir" ] && cuda_libs="$cuda_libs${cuda_libs:+:}$dir"
done
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}${LD_LIBRARY_PATH:+:}$cuda_libs"
main=org.twllm.cli.Main
if [ "${1:-}" = "--device-check" ]; then
  shift
  main=org.twllm.core.engine.cuda.DeviceCheck
fi
exec "$here/runtime/bin/java" ${TWLLM_JAVA_OPTS:-} --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
  -Dtwllm.home="$here" -cp "$here/lib/*" "$main" "$@"
LAUNCHER
chmod +x "$out/bin/twllm" "$out/check.sh"

size_kib="$(du -sk "$out" | cut -f1)"
size_mib=$(( (size_kib + 1023) / 1024 ))
echo "bundle: $out, $size_mib MiB (runtime $(( $(du -sk "$out/runtime" | cut -f1) / 1024 )) MiB, jars $(( $(du -sk "$out/lib" | cut -f1) / 1024 )) MiB); modules: $modules"
[ "$size_mib" -le "$limit_mib" ] || die "the bundle is $size_mib MiB, over the $limit_mib MiB that may travel to the GPU machine"

if $check; then
  # Every class the project's jars use is in the bundle, except ND4J's (the CPU engine, which it leaves out).
  project_jars=("$out"/lib/data-pipeline-*.jar "$out"/lib/trainer-core-*.jar "$out"/lib/trainer-distributed-*.jar)
  missing="$(jdeps --missing-deps --multi-release 17 --class-path "$jars" "${project_jars[@]}" 2>&1 \
    | grep -E '^\s+\S+\s+->\s+\S+\s+not found' | grep -v -E -e '->\s+org\.nd4j\.' || true)"
  [ -z "$missing" ] || die "the bundle lacks classes the project uses (add their jars to the allow-list):
$(echo "$missing" | head -n 10)"
  echo "bundle check: the project's jars find every class they use in the bundle (ND4J aside)"
  empty="$work/empty-path"
  mkdir -p "$empty"
  run() {
    env -i HOME="$work" PATH="$empty" /bin/bash "$out/bin/twllm" "$@"
  }
  env -i PATH="$empty" /bin/bash -c 'command -v java' >/dev/null 2>&1 && die "the check's PATH still finds a java"
  version="$(run --version)" || die "the bundle's 'twllm --version' failed: $version"
  echo "bundle check: twllm --version -> $(echo "$version" | head -n1)"
  validate="$(cd "$root" && run config validate configs/tiny/cpt.yaml 2>&1)" || die "the bundle's 'twllm config validate' failed: $validate"
  echo "bundle check: twllm config validate configs/tiny/cpt.yaml -> $(echo "$validate" | tail -n1)"
  planned="$(cd "$root" && run plan --config configs/llama2-7b/cpt.yaml --set model.init=src-test-fixtures/models/llama-2-7b \
    --nodes 6 --gpus-per-node 8 --gpu h100-80gb 2>&1)" || die "the bundle's 'twllm plan' failed: $planned"
  echo "bundle check: twllm plan of configs/llama2-7b/cpt.yaml -> $(echo "$planned" | grep -m1 'total')"
  # The trimmed zstd-jni still finds its library: prepare a few poems compressed with the zstd tool.
  if command -v zstd >/dev/null; then
    head -n 50 "$root/src-test-fixtures/corpus/tang-poems.zh-Hant.jsonl" | zstd -q -o "$work/poems.jsonl.zst"
    prepared="$(run data prepare --kind=cpt --source="$work/poems.jsonl.zst" \
      --tokenizer="$root/src-test-fixtures/tokenizer/zh-tw-bpe-8k.model" --out="$work/shards" 2>&1)" \
      || die "the bundle's 'twllm data prepare' of a .jsonl.zst corpus failed: $prepared"
    echo "bundle check: twllm data prepare poems.jsonl.zst -> $(echo "$prepared" | tail -n1 | sed "s|$work/||")"
  else
    echo "bundle check: zstd is not on the PATH; the .jsonl.zst corpus check is skipped"
  fi
fi
