#!/usr/bin/env bash
# Static checks of the layering and the code style: the "static checks"
# stage of `npm test` (scripts/test-all.sh) and the npm scripts below.
#
#   bash scripts/check-static.sh          every check, read-only   (npm run lint)
#   bash scripts/check-static.sh generated  boundary files match native/op_table.js (npm run gen)
#   bash scripts/check-static.sh types    tsc --noEmit over lib, tests, bench, examples
#   bash scripts/check-static.sh cycles   import cycles, dpdm       (npm run check:cycles)
#   bash scripts/check-static.sh unused   unused files/exports/deps (npm run check:unused)
#   bash scripts/check-static.sh biome    TS/JS/JSON format + lint  (biome.jsonc)
#   bash scripts/check-static.sh clang    C++/CUDA format           (.clang-format)
#   bash scripts/check-static.sh --write  rewrite: biome check --write, clang-format -i (npm run format)
#
# Every check runs even when an earlier one fails; the exit status is 1 if
# any failed, and each failure ends with a line saying what to do.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=node_modules/.bin
# The entry points whose import graph must be acyclic (type imports count:
# a type-only cycle still ties the modules' layers together).
CYCLE_ENTRIES=(lib/index.ts lib/cli/main.ts 'bench/*.ts')
CLANG_FORMAT_MAJOR=14

native_sources() {
  # Generated files (*.gen.*) are laid out by their generator.
  find native \( -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) ! -name '*.gen.*' -type f | sort
}

clang_format_bin() {
  local c
  for c in "${CLANG_FORMAT:-}" "clang-format-$CLANG_FORMAT_MAJOR" clang-format; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && { echo "$c"; return 0; }
  done
  return 1
}

failed=()
fail() { failed+=("$1"); printf '\nFAILED %s: %s\n' "$1" "$2"; }
timed() { local t0=$SECONDS; "$@"; local rc=$?; printf '  (%ss)\n' $((SECONDS - t0)); return $rc; }

check_generated() {
  echo "-- generated boundary files (scripts/gen-boundary.js --check)"
  if ! node scripts/gen-boundary.js --check; then
    fail generated "a generated file differs from what native/op_table.js gives. Edit the table (never a *.gen.* file), run \`npm run gen\` and commit both."
  fi
}

check_cycles() {
  echo "-- import cycles (dpdm: ${CYCLE_ENTRIES[*]})"
  local out rc
  out=$("$BIN/dpdm" --no-tree --no-warning --no-progress --exit-code circular:1 "${CYCLE_ENTRIES[@]}" 2>&1)
  rc=$?
  printf '%s\n' "$out" | grep -v -e '^- Start analyzing' -e 'Analyze done' | sed '/^[[:space:]]*$/d'
  if [ $rc -ne 0 ]; then
    local n
    n=$(printf '%s\n' "$out" | grep -cE '^[[:space:]]*[0-9]+\)')
    fail cycles "$n import cycle(s) listed above (type-only imports count too). Break each one: move what both sides need into a lower module, or invert the dependency."
  fi
}

check_types() {
  echo "-- types of lib, tests, bench and examples (tsc --noEmit, tsconfig.json)"
  if ! "$BIN/tsc" --noEmit -p tsconfig.json; then
    fail types "tsc found the type errors above (tests are user code too: a test that needs a cast to compile shows an API that is hard to type)."
  fi
}

check_unused() {
  echo "-- unused files, exports, types and dependencies (knip, knip.jsonc)"
  if ! "$BIN/knip" --no-progress; then
    fail unused "knip found the unused code or dependencies listed above. Delete them, or, if something is used in a way knip cannot see, say so in knip.jsonc (entry, ignoreDependencies) with a comment."
  fi
}

check_biome() {
  echo "-- TypeScript/JavaScript/JSON format and lint (biome ci, biome.jsonc)"
  if ! "$BIN/biome" ci --colors=off --reporter=concise --max-diagnostics=100 --error-on-warnings .; then
    fail biome "Biome's findings above. \`npm run format\` fixes formatting and the safe lint fixes; the rest need an edit (or a \`// biome-ignore <rule>: <reason>\` comment where the code is deliberate)."
  fi
}

check_clang() {
  echo "-- C++/CUDA format (clang-format $CLANG_FORMAT_MAJOR, .clang-format)"
  local cf ver
  if ! cf=$(clang_format_bin); then
    fail clang "clang-format not found: install it (Debian/Ubuntu: apt-get install clang-format, version $CLANG_FORMAT_MAJOR) or set CLANG_FORMAT=/path/to/clang-format-$CLANG_FORMAT_MAJOR."
    return
  fi
  ver=$("$cf" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
  if [ "${ver%%.*}" != "$CLANG_FORMAT_MAJOR" ]; then
    fail clang "$cf is version $ver; the tree is formatted with clang-format $CLANG_FORMAT_MAJOR (other versions lay code out differently). Install clang-format-$CLANG_FORMAT_MAJOR or set CLANG_FORMAT."
    return
  fi
  local files bad
  mapfile -t files < <(native_sources)
  bad=$("$cf" --dry-run --Werror "${files[@]}" 2>&1 | grep -oE '^[^:]+:[0-9]+:[0-9]+: error' | cut -d: -f1 | sort | uniq -c | sort -rn)
  if [ -n "$bad" ]; then
    printf '%s\n' "$bad" | head -20 | awk '{ printf "  %s: %d place(s)\n", $2, $1 }'
    fail clang "$(printf '%s\n' "$bad" | wc -l) of ${#files[@]} native files are not clang-formatted (listed above, first 20). Run \`npm run format\` and commit the result."
  else
    echo "  ${#files[@]} files formatted"
  fi
}

write_all() {
  echo "-- biome check --write (format + safe lint fixes)"
  "$BIN/biome" check --write . || true
  local cf
  if cf=$(clang_format_bin); then
    echo "-- $cf -i on native/"
    native_sources | xargs "$cf" -i
  else
    echo "clang-format not found: C++/CUDA not formatted (apt-get install clang-format)" >&2
    return 1
  fi
}

case "${1:-all}" in
  --write | write) write_all; exit ;;
  all) for c in generated types cycles unused biome clang; do timed "check_$c"; done ;;
  generated | types | cycles | unused | biome | clang) timed "check_$1" ;;
  -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "check-static: unknown check '$1' (generated, types, cycles, unused, biome, clang, --write)" >&2; exit 2 ;;
esac

if [ ${#failed[@]} -ne 0 ]; then
  printf '\nstatic checks FAILED: %s\n' "${failed[*]}"
  exit 1
fi
echo "static checks passed"
