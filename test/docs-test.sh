#!/bin/bash
# test/docs-test.sh PODCTL ROOTFS: runs every shell block of docs/*.md that
# is marked "<!-- runs in CI -->", each in a fresh temporary directory, with
# podctl on PATH and $ROOTFS set, under bash -euo pipefail and within 120 s;
# fails on the first block that fails. (Under set -e, `a && b` does not
# fail the block when a fails: the blocks assert with plain commands.)
# Called by test/run-tests.sh as the unprivileged test user.
set -euo pipefail
podctl=$1 rootfs=$2
docs=$(cd "$(dirname "$0")/../docs" && pwd)
bindir=$(mktemp -d /tmp/podctl-docs.XXXXXX)
trap 'rm -rf "$bindir"' EXIT
ln -s "$podctl" "$bindir/podctl"
n=0
for md in "$docs"/*.md; do
	# The block after each marker, between ```sh and ```.
	awk -v out="$bindir/block" '
		/<!-- runs in CI -->/ { want = 1; next }
		want && /^```sh$/ { n++; f = out "-" n ".sh"; inb = 1; want = 0; next }
		inb && /^```$/ { inb = 0; next }
		inb { print > f }
	' "$md"
	for b in "$bindir"/block-*.sh; do
		[ -e "$b" ] || continue
		n=$((n + 1))
		dir=$(mktemp -d "$bindir/run.XXXXXX")
		echo "== $(basename "$md"): block $(basename "$b" .sh | sed 's/block-//')"
		# Bounded in time: a block that hangs fails (timeout's 124).
		if ! (cd "$dir" && PATH="$bindir:$PATH" ROOTFS="$rootfs" timeout -k 5 120 bash -euo pipefail "$b"); then
			echo "docs-test: a block of $md failed:" >&2
			cat "$b" >&2
			exit 1
		fi
		rm -f "$b"
	done
done
echo "docs: $n blocks ran"
