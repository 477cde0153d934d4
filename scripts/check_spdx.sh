#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# check_spdx.sh [ROOT]
#
# Every source file of the project (C and C++ sources and headers, CMake files, shell and Python
# scripts, linker scripts, SQL, templates) names its license in one SPDX line within its first
# three lines: "SPDX-License-Identifier: MIT OR Apache-2.0". Lists the files that do not and exits
# 1 if there are any; exits 0 otherwise. Files are those git tracks when ROOT is a git work tree,
# else every file under ROOT outside build/; data (traces, fuzz corpora), Markdown, JSON and
# images carry no such line.
set -euo pipefail

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$root"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard)
else
  mapfile -t files < <(find . -path ./build -prune -o -path ./.git -prune -o -type f -print | sed 's|^\./||')
fi

missing=0
checked=0
for file in "${files[@]}"; do
  [ -f "$file" ] || continue
  case $file in
    tests/data/* | */corpus/* | */regressions/* | *.md | *.json | *.svg | *.png | LICENSE-* | .gitignore) continue ;;
    *.c | *.cpp | *.h | *.hpp | *.ld | *.in | *.txt | *.cmake | *.sh | *.py | *.sql | *.js | *.mjs | .clang-format | .ci/*) ;;
    *) continue ;;
  esac
  checked=$((checked + 1))
  if ! head -n 3 "$file" | grep -q 'SPDX-License-Identifier: MIT OR Apache-2.0'; then
    echo "no SPDX line: $file"
    missing=$((missing + 1))
  fi
done
echo "$checked files checked, $missing without an SPDX line"
[ "$missing" -eq 0 ]
