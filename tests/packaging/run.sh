#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Packaging checks: installs rtalloc (release, libraries only) into a temporary prefix, then builds
# and runs the project in tests/packaging/consumer, copied out of the source tree, four ways:
#   find_package  against the installed CMake package
#   fetchcontent  FetchContent_MakeAvailable on the source tree
#   subdirectory  add_subdirectory of the source tree
#   pkg-config    a plain compiler command with `pkg-config --cflags --libs rtalloc`
# The C program (main.c) is built too whenever the installation has the C API (rtalloc::c).
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

# Runs check_<name> in a subshell, its output in $work/<name>.log, and sets check_status to its
# exit status; shows the end of the log if it failed. The check stops at its first failing
# command, which is why run_check must not be called as a condition (if, &&, ||): bash ignores
# `set -e` in everything a condition runs.
run_check() {
  local name=$1
  set +e
  (
    set -euo pipefail
    "check_$name"
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
  find "$prefix" -type f | sort
}

# Copies the consumer project out of the tree, configures it with the given options, builds it
# and runs its programs.
build_consumer() {
  local mode=$1
  shift
  local dir=$work/$mode
  mkdir -p "$dir"
  cp -R "$source_dir/tests/packaging/consumer" "$dir/consumer"
  cmake -S "$dir/consumer" -B "$dir/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DRTALLOC_CONSUME="$mode" -DRTALLOC_EXPECT_C="$with_c" "$@"
  cmake --build "$dir/build" -j "$jobs"
  "$dir/build/consumer_cpp"
  if [ "$with_c" = ON ]; then "$dir/build/consumer_c"; fi
}

# rtalloc as a subproject: RTALLOC_WERROR and RTALLOC_CHECKS are set for rtalloc's own code and
# must not reach the consumer's; rtalloc's tests, examples and tools are not built; the parent's
# install installs nothing of rtalloc.
build_as_subproject() {
  local mode=$1
  local dir=$work/$mode
  build_consumer "$mode" -DRTALLOC_SOURCE_DIR="$source_dir" -DRTALLOC_WERROR=ON \
    -DRTALLOC_CHECKS=ON
  local commands=$dir/build/compile_commands.json consumer_commands
  consumer_commands=$(grep -E '"command": .*/consumer/main\.c(pp)?"' "$commands")
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
  build_consumer find_package -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
  local cache=$work/find_package/build/CMakeCache.txt
  grep "^rtalloc_DIR:" "$cache"
  grep -q "^rtalloc_DIR:PATH=$prefix/" "$cache"
  # The installed package must not point back into the source tree.
  if grep -F "$source_dir/" "$work/find_package/build/compile_commands.json"; then
    echo "the installed package refers to the source tree"
    return 1
  fi
}

check_fetchcontent() { build_as_subproject fetchcontent; }

check_subdirectory() { build_as_subproject subdirectory; }

check_pkg_config() {
  local dir=$work/pkg-config pc_file
  pc_file=$(find "$prefix" -name rtalloc.pc)
  [ -n "$pc_file" ]
  mkdir -p "$dir"
  cp "$source_dir"/tests/packaging/consumer/main.c* "$dir"
  cd "$dir"
  export PKG_CONFIG_PATH
  PKG_CONFIG_PATH=$(dirname "$pc_file")
  local cflags libs
  read -ra cflags <<<"$(pkg-config --cflags rtalloc)"
  read -ra libs <<<"$(pkg-config --libs rtalloc)"
  echo "rtalloc $(pkg-config --modversion rtalloc): ${cflags[*]} ${libs[*]}"
  # C++20 is the user's flag to give: Cflags also serve C.
  "${CXX:-c++}" -std=c++20 "${cflags[@]}" main.cpp -o consumer_cpp "${libs[@]}"
  ./consumer_cpp
  if [ "$with_c" = ON ]; then
    "${CC:-cc}" "${cflags[@]}" main.c -o consumer_c "${libs[@]}"
    ./consumer_c
  fi
}

checks=(find_package fetchcontent subdirectory pkg_config)
declare -A result seconds
passed=0
failed=0

echo "== installing rtalloc into $prefix"
start=$SECONDS
run_check install
if [ "$check_status" -eq 0 ]; then
  install_ok=1
  echo "installed in $((SECONDS - start)) s"
else
  install_ok=0
  echo "installing rtalloc FAILED"
fi
# The consumers must build the C program when this build of rtalloc has the C API.
with_c=OFF
if [ -n "$(find "$work/install-build" -name 'librtalloc_c.*' 2>/dev/null)" ]; then with_c=ON; fi
echo "C API (rtalloc::c): $with_c"

for check in "${checks[@]}"; do
  echo
  echo "== $check"
  start=$SECONDS
  if [ "$install_ok" -eq 0 ] && [[ $check == find_package || $check == pkg_config ]]; then
    result[$check]="FAILED (no installation)"
  else
    run_check "$check"
    if [ "$check_status" -eq 0 ]; then result[$check]=passed; else result[$check]=FAILED; fi
  fi
  seconds[$check]=$((SECONDS - start))
  echo "${result[$check]}"
  if [ "${result[$check]}" = passed ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done

echo
echo "== packaging summary (C API: $with_c)"
for check in "${checks[@]}"; do
  printf '%-13s %-7s %4d s\n' "$check" "${result[$check]}" "${seconds[$check]}"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
