#!/usr/bin/env bash
# The README's config reference is the program's own: they must not drift apart.
source "$(dirname "$0")/common.bash"
sed -n '/<!-- config-reference -->/,/<!-- \/config-reference -->/p' README.md | sed '1,2d;$d' | sed '$d' > "$TMP/readme.txt"
"$PSLAB" run --help-config > "$TMP/program.txt"
diff -u "$TMP/program.txt" "$TMP/readme.txt" || fail "README config reference differs from pslab run --help-config; paste the new output"
echo "ok: README config reference is current"
# Every config file the README's examples name exists (its Slurm example once named
# one that did not).
missing=$(grep -oE '(experiments|bench|tests/expected)/[A-Za-z0-9_/.-]+\.ini' README.md | sort -u |
          while read -r f; do [ -f "$f" ] || echo "$f"; done)
[ -z "$missing" ] || fail "README names config files that do not exist: $missing"
echo "ok: every config file the README names exists"
