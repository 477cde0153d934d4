#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Runs a real program's workload twice, with the system allocator and with
# librtalloc_malloc.so in LD_PRELOAD, and passes if both print the same
# output and the rtalloc heap was in use and sound when the program ended.
#   run_with_preload.sh LIBRARY WORKLOAD SOURCE_DIR
# WORKLOAD: python | sqlite | git | gxx, or a multi-threaded one: xz-threads
# | sort-threads | python-threads. Exits 77 (skipped) if the program
# is not installed.
set -euo pipefail

library=$1
workload=$2
source_dir=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

need() { command -v "$1" > /dev/null || { echo "$1 is not installed: skipped"; exit 77; }; }

# The git workload: a repository built from the project's sources with fixed
# names and dates, so that its commit ids are the same in every run.
git_workload() {
  local repo=$1
  export GIT_AUTHOR_NAME=rtalloc GIT_AUTHOR_EMAIL=rtalloc@example.org
  export GIT_COMMITTER_NAME=rtalloc GIT_COMMITTER_EMAIL=rtalloc@example.org
  export GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'
  export GIT_CONFIG_NOSYSTEM=1 HOME=$repo/home
  mkdir -p "$repo/home" "$repo/tree"
  git -C "$repo/tree" init -q -b main
  cp -r "$work/snapshot/." "$repo/tree/"
  git -C "$repo/tree" add -A
  git -C "$repo/tree" commit -q -m "sources"
  for round in 1 2 3; do
    find "$repo/tree" -name '*.hpp' -not -path '*/.git/*' | sort | while read -r file; do
      sed -i "s/rtalloc/rtalloc$round/" "$file"
    done
    git -C "$repo/tree" commit -q -a -m "round $round"
  done
  git -C "$repo/tree" log --stat --format='%H %s'
  git -C "$repo/tree" diff HEAD~3 --stat
  git -C "$repo/tree" log -p -2 | sha256sum
  git -C "$repo/tree" gc -q
  git -C "$repo/tree" fsck --full --no-progress && echo "fsck passed"
  git -C "$repo/tree" grep -c 'rtalloc3' -- '*.hpp' | sort
  git -C "$repo/tree" blame -s include/rtalloc/tlsf.hpp | sha256sum
}

run() {  # run OUTPUT_DIR: the workload, its stdout to OUTPUT_DIR/out
  local dir=$1
  mkdir -p "$dir"
  case $workload in
    python) python3 "$here/workload.py" > "$dir/out" ;;
    sqlite) sqlite3 "$dir/db" < "$here/workload.sql" > "$dir/out" ;;
    git) git_workload "$dir" > "$dir/out" ;;
    gxx)
      g++ -std=c++20 -O2 -frandom-seed=rtalloc -I "$work/snapshot/include" -S -o "$dir/out" \
        "$work/snapshot/src/malloc/malloc.cpp"
      ;;
    xz-threads)  # two compressing threads, blocks handed between them
      tar -C "$work/snapshot" --sort=name --mtime=2026-01-01 --owner=0 --group=0 -cf - . \
        | xz -T2 --block-size=256KiB -6 -c > "$dir/archive.xz"
      sha256sum < "$dir/archive.xz" > "$dir/out"
      xz -T2 -dc "$dir/archive.xz" | sha256sum >> "$dir/out"
      ;;
    sort-threads)  # GNU sort's parallel merge sort
      find "$work/snapshot" -type f -name '*pp' -exec cat {} + | LC_ALL=C sort --parallel=2 \
        -S 8M > "$dir/sorted"
      sha256sum < "$dir/sorted" > "$dir/out"
      LC_ALL=C sort --parallel=2 -S 8M -k2 -t ' ' "$dir/sorted" | sha256sum >> "$dir/out"
      ;;
    python-threads) python3 "$here/threads_workload.py" > "$dir/out" ;;
    *) echo "unknown workload $workload"; exit 2 ;;
  esac
}

case $workload in
  python | python-threads) need python3 ;;
  xz-threads) need xz ;;
  sort-threads) need sort ;;
  sqlite) need sqlite3 ;;
  git) need git ;;
  gxx) need g++ ;;
esac

# A library built for another architecture (a -m32 build) cannot be preloaded into the system's
# programs: the dynamic loader says so and ignores it.
if LD_PRELOAD=$library true 2>&1 | grep -q 'cannot be preloaded'; then
  echo "$library cannot be preloaded into this machine's programs: skipped"
  exit 77
fi

# Both runs work on one copy of the sources, taken now.
mkdir -p "$work/snapshot"
cp -r "$source_dir/include" "$source_dir/src" "$source_dir/tests" "$work/snapshot/"
rm -rf "$work/snapshot/tests/data"

run "$work/system"
# sort and xz close stderr before they exit, so the heap check's line is lost
# for them; the statistics, written through a descriptor saved at start-up,
# still show that rtalloc's heap was in use (a failed check aborts the run).
RTALLOC_MALLOC_CHECK=1 RTALLOC_MALLOC_SHOW_STATS=1 LD_PRELOAD=$library run "$work/rtalloc" 2> "$work/stderr" || {
  cat "$work/stderr"
  echo "FAILED: the $workload workload failed under rtalloc's malloc"
  exit 1
}
if ! grep -qE 'rtalloc malloc: heap sound at exit|^rtalloc malloc statistics' "$work/stderr"; then
  cat "$work/stderr"
  echo "FAILED: no sign that rtalloc's malloc was in use (or its heap was not sound)"
  exit 1
fi
if grep -q 'CORRUPTED' "$work/stderr"; then
  cat "$work/stderr"
  echo "FAILED: a heap check failed"
  exit 1
fi
if ! cmp -s "$work/system/out" "$work/rtalloc/out"; then
  diff "$work/system/out" "$work/rtalloc/out" | head -20
  echo "FAILED: the output differs from the run with the system allocator"
  exit 1
fi
processes=$(grep -c '^rtalloc malloc statistics' "$work/stderr" || true)
echo "$workload: identical output ($(wc -l < "$work/system/out") lines), $processes processes ended on rtalloc's heap"
