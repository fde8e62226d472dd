#!/usr/bin/env bash
# The part boundaries of DESIGN.md §2: nothing outside src/hived/ includes a
# daemon header, so the CLI and libhive can never grow a dependency on the
# daemon; and no source file reaches a header by a relative path, so a moved
# file breaks the build instead of silently including a stale neighbour.
set -u
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r hit; do
	echo "layout: $hit: only src/hived/ may include a hived/ header (move the shared part to src/lib or src/trust)" >&2
	bad=1
done < <(grep -rnE '#include "(\.\./)*(src/)?hived/' src --include='*.[ch]' | grep -v '^src/hived/')
while IFS= read -r hit; do
	echo "layout: $hit: include by part path (\"lib/x.h\"), not by a relative path" >&2
	bad=1
done < <(grep -rnE '#include "\.\./' src tests fuzz bench --include='*.[ch]')
if [ "$bad" -eq 0 ]; then echo "layout: part boundaries hold"; fi
exit "$bad"
