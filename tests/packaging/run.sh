#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Packaging checks: installs rtalloc (release, libraries only) into a temporary prefix, then builds
# and runs the project in tests/packaging/consumer, copied out of the source tree, once for every
# exported target (rtalloc::rtalloc, rtalloc::c, rtalloc::malloc, rtalloc::malloc_static) each way:
#   find_package  against the installed CMake package
#   fetchcontent  FetchContent_MakeAvailable on the source tree
#   subdirectory  add_subdirectory of the source tree
#   pkg-config    a plain compiler command with `pkg-config --cflags --libs MODULE`: rtalloc.pc for
#                 the headers and the C API, rtalloc-malloc.pc and rtalloc-malloc-static.pc for the
#                 drop-in malloc
# A target this build of rtalloc does not make (the C API or the malloc on some platforms) is
# reported as n/a. Last, it installs rtalloc with its tools, deletes the build tree, and runs the
# installed rtalloc-replay through the installed malloc library and the installed rtalloc-trace
# with its installed capture library.
# As a subproject, rtalloc must build only its libraries, install nothing and pass none of its
# warning flags or RTALLOC_CHECKS to the parent; the fetchcontent and subdirectory checks verify it.
#
# Usage: bash tests/packaging/run.sh   (no network needed)
# Environment: CC, CXX; JOBS (default 2); KEEP_WORK=1 keeps the work directory and its logs.
set -euo pipefail

source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
jobs=${JOBS:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/rtalloc-packaging.XXXXXX")
if [ "${KEEP_WORK:-0}" = 1 ]; then
  echo "work directory (kept): $work"
else
  trap 'rm -rf "$work"' EXIT
fi

prefix=$work/prefix
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi

# Runs "$@" in a subshell, its output in $work/<name>.log, and sets check_status to its exit
# status; shows the end of the log if it failed. The check stops at its first failing command,
# which is why run_check must not be called as a condition (if, &&, ||): bash ignores `set -e` in
# everything a condition runs.
run_check() {
  local name=$1
  shift
  set +e
  (
    set -euo pipefail
    "$@"
  ) >"$work/$name.log" 2>&1
  check_status=$?
  set -e
  if [ "$check_status" -ne 0 ]; then
    echo "--- last lines of the $name log:"
    tail -n 25 "$work/$name.log"
    echo "---"
  fi
}

check_install() {
  cmake -S "$source_dir" -B "$work/install-build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DRTALLOC_BUILD_TESTS=OFF -DRTALLOC_BUILD_EXAMPLES=OFF -DRTALLOC_BUILD_BENCH=OFF \
    -DRTALLOC_BUILD_TOOLS=OFF
  cmake --build "$work/install-build" -j "$jobs"
  # --prefix at install time, not CMAKE_INSTALL_PREFIX: rtalloc.pc must follow it.
  cmake --install "$work/install-build" --prefix "$prefix"
  find "$prefix" | sort
  # The shared malloc library carries its ABI version in its soname (librtalloc_malloc.so.0.1),
  # installed with the link a linker looks for.
  local library
  library=$(find "$prefix" -name 'librtalloc_malloc.so' | head -n 1)
  if [ -n "$library" ]; then
    readelf -d "$library" | grep -E 'SONAME.*\[librtalloc_malloc\.so\.[0-9]+(\.[0-9]+)?\]'
    [ -e "$(dirname "$library")/$(readelf -d "$library" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" ]
  fi
}

# The program that uses each target.
declare -A consumer_source=([rtalloc]=main.cpp [c]=main.c [malloc]=malloc_main.c
  [malloc_static]=malloc_main.c)

# Copies the consumer project out of the tree, configures it for target $2 with the given options,
# builds it and runs its program.
build_consumer() {
  local way=$1 target=$2
  shift 2
  local dir=$work/$way-$target
  mkdir -p "$dir"
  cp -R "$source_dir/tests/packaging/consumer" "$dir/consumer"
  cmake -S "$dir/consumer" -B "$dir/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DRTALLOC_CONSUME="$way" -DRTALLOC_TARGET="$target" "$@"
  cmake --build "$dir/build" -j "$jobs"
  "$dir/build/consumer"
}

# rtalloc as a subproject: RTALLOC_WERROR and RTALLOC_CHECKS are set for rtalloc's own code and
# must not reach the consumer's; rtalloc's tests, examples and tools are not built; the parent's
# install installs nothing of rtalloc.
build_as_subproject() {
  local way=$1 target=$2
  local dir=$work/$way-$target
  build_consumer "$way" "$target" -DRTALLOC_SOURCE_DIR="$source_dir" -DRTALLOC_WERROR=ON \
    -DRTALLOC_CHECKS=ON
  local commands=$dir/build/compile_commands.json consumer_commands
  consumer_commands=$(grep -E "\"command\": .*/consumer/${consumer_source[$target]//./\\.}\"" \
    "$commands")
  if grep -E -e '-Wconversion|-Werror|RTALLOC_CHECKS' <<<"$consumer_commands"; then
    echo "rtalloc's warning flags or RTALLOC_CHECKS reached the consumer's compile commands"
    return 1
  fi
  local part own_parts=()
  for part in tests bench examples tools; do own_parts+=(-e "\"file\": \"$source_dir/$part/"); done
  if grep -F "${own_parts[@]}" "$commands"; then
    echo "rtalloc built its tests, bench, examples or tools as a subproject"
    return 1
  fi
  cmake --install "$dir/build" --prefix "$dir/parent-prefix"
  if [ -n "$(find "$dir/parent-prefix" -type f 2>/dev/null)" ]; then
    echo "the parent's install installed rtalloc's files"
    return 1
  fi
}

check_find_package() {
  local target=$1
  build_consumer find_package "$target" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
  local dir=$work/find_package-$target
  grep "^rtalloc_DIR:" "$dir/build/CMakeCache.txt"
  grep -q "^rtalloc_DIR:PATH=$prefix/" "$dir/build/CMakeCache.txt"
  # The installed package must not point back into the source tree.
  if grep -F "$source_dir/" "$dir/build/compile_commands.json"; then
    echo "the installed package refers to the source tree"
    return 1
  fi
}

check_fetchcontent() { build_as_subproject fetchcontent "$1"; }

check_subdirectory() { build_as_subproject subdirectory "$1"; }

# pkg-config MODULE's flags into the arrays cflags and libs ($2: --static or nothing).
read_pkg_config() {
  local module=$1 pc_file
  shift
  pc_file=$(find "$prefix" -name "$module.pc")
  if [ -z "$pc_file" ]; then
    echo "the installation has no $module.pc"
    return 1
  fi
  export PKG_CONFIG_PATH
  PKG_CONFIG_PATH=$(dirname "$pc_file")
  read -ra cflags <<<"$(pkg-config --cflags "$module")"
  read -ra libs <<<"$(pkg-config --libs "$@" "$module")"
  echo "$module $(pkg-config --modversion "$module"): ${cflags[*]} ${libs[*]}"
}

check_pkg_config() {
  local target=$1 dir=$work/pkg-config-$target
  mkdir -p "$dir"
  cp "$source_dir/tests/packaging/consumer/${consumer_source[$target]}" "$dir"
  cd "$dir"
  local cflags libs
  case $target in
    rtalloc)
      # C++20 is the user's flag to give: Cflags also serve C.
      read_pkg_config rtalloc
      "${CXX:-c++}" -std=c++20 "${cflags[@]}" main.cpp -o consumer
      ./consumer
      ;;
    c)
      read_pkg_config rtalloc
      "${CC:-cc}" "${cflags[@]}" main.c -o consumer "${libs[@]}"
      ./consumer
      ;;
    malloc)
      read_pkg_config rtalloc-malloc
      "${CC:-cc}" "${cflags[@]}" malloc_main.c -o consumer "${libs[@]}"
      LD_LIBRARY_PATH=$(pkg-config --variable=libdir rtalloc-malloc) ./consumer
      ;;
    malloc_static)
      read_pkg_config rtalloc-malloc-static --static
      "${CC:-cc}" "${cflags[@]}" malloc_main.c -o consumer "${libs[@]}"
      ./consumer
      ;;
  esac
}

# The tools, installed: rtalloc-replay must replay through the installed malloc library and
# rtalloc-trace preload the installed capture library, with the build tree gone.
check_installed_tools() {
  local build=$work/tools-build tools_prefix=$work/tools-prefix dir=$work/tools-run
  cmake -S "$source_dir" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DRTALLOC_BUILD_TESTS=OFF -DRTALLOC_BUILD_EXAMPLES=OFF -DRTALLOC_BUILD_BENCH=OFF \
    -DRTALLOC_BUILD_TOOLS=ON
  cmake --build "$build" -j "$jobs"
  if [ ! -x "$build/tools/replay/rtalloc-replay" ] || [ ! -x "$build/tools/capture/rtalloc-trace" ]
  then
    echo "the tools were not built (their libraries are missing: see the configure output)"
    return 77
  fi
  cmake --install "$build" --prefix "$tools_prefix"
  rm -rf "$build"
  find "$tools_prefix" -path '*/include' -prune -o -print | sort
  mkdir -p "$dir"
  cd "$dir"
  local listed
  listed=$("$tools_prefix/bin/rtalloc-replay" --list | grep '^rtalloc-malloc ')
  echo "$listed"
  grep -q "available.*\[$tools_prefix/lib[^]]*/librtalloc_malloc\.so\.[0-9.]*\]" <<<"$listed"
  "$tools_prefix/bin/rtalloc-replay" --allocators rtalloc-malloc --repeat 1 --json \
    "$source_dir/tests/data/awk.trace.xz" >replay.json
  grep -E '"(allocator|failed_allocations)"' replay.json
  grep -q '"allocator": "rtalloc-malloc"' replay.json
  if grep -E '"failed_allocations": [1-9]|"error"' replay.json; then
    echo "the replay through the installed malloc library failed"
    return 1
  fi
  seq 20000 | sed 's/$/ lines to sort/' >input.txt
  "$tools_prefix/bin/rtalloc-trace" -o sort.trace.xz -- sort -R input.txt -o sorted.txt
  "$tools_prefix/bin/trace_stats" sort.trace.xz
}

targets=(rtalloc c malloc malloc_static)
ways=(find_package fetchcontent subdirectory pkg_config)
declare -A result
passed=0
failed=0

echo "== installing rtalloc into $prefix"
start=$SECONDS
run_check install check_install
if [ "$check_status" -eq 0 ]; then
  install_ok=1
  echo "installed in $((SECONDS - start)) s"
else
  install_ok=0
  echo "installing rtalloc FAILED"
fi

# Which targets this build makes: the C API and the malloc are not built on every platform.
declare -A made=([rtalloc]=1 [c]=0 [malloc]=0 [malloc_static]=0)
if [ -n "$(find "$work/install-build" -name 'librtalloc_c.*' 2>/dev/null)" ]; then made[c]=1; fi
if [ -n "$(find "$work/install-build" -name 'librtalloc_malloc.so*' 2>/dev/null)" ]; then
  made[malloc]=1
  made[malloc_static]=1
fi

for target in "${targets[@]}"; do
  for way in "${ways[@]}"; do
    echo
    echo "== rtalloc::$target, $way"
    start=$SECONDS
    if [ "${made[$target]}" = 0 ]; then
      result[$target,$way]=n/a
    elif [ "$install_ok" -eq 0 ] && [[ $way == find_package || $way == pkg_config ]]; then
      result[$target,$way]="FAILED (no installation)"
    else
      run_check "$way-$target" "check_$way" "$target"
      if [ "$check_status" -eq 0 ]; then result[$target,$way]=passed; else result[$target,$way]=FAILED; fi
    fi
    echo "${result[$target,$way]} in $((SECONDS - start)) s"
    case ${result[$target,$way]} in
      passed) passed=$((passed + 1)) ;;
      n/a) ;;
      *) failed=$((failed + 1)) ;;
    esac
  done
done

echo
echo "== the tools, installed, without the build tree"
start=$SECONDS
run_check installed-tools check_installed_tools
case $check_status in
  0)
    tools_result=passed
    passed=$((passed + 1))
    ;;
  77) tools_result="n/a (not built)" ;;
  *)
    tools_result=FAILED
    failed=$((failed + 1))
    ;;
esac
echo "$tools_result in $((SECONDS - start)) s"

echo
echo "== packaging summary: each exported target, linked each way"
printf '%-22s' target
for way in "${ways[@]}"; do printf ' %-13s' "$way"; done
echo
for target in "${targets[@]}"; do
  printf '%-22s' "rtalloc::$target"
  for way in "${ways[@]}"; do printf ' %-13s' "${result[$target,$way]}"; done
  echo
done
echo "installed tools (rtalloc-replay, rtalloc-trace, trace_stats): $tools_result"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
