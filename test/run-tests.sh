#!/bin/bash
# The test command of README.md (`make test`): lint, unit tests, then the
# end-to-end suite as an unprivileged user with a /etc/subuid range, and the
# root-only tests as root.
#
# Run by root (as CI does), it prepares what the rootless suite needs: the
# Debian packages, a user podctl-test with subordinate ids and a private
# XDG_RUNTIME_DIR (setup_test_user in test/lib.sh), and podctl-test-nosub
# without a range. Run by a user, it tests as that user.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib.sh
GO=${GO:-go}
TAGS=$(make -s print-tags)
TEST_USER=${PODCTL_TEST_USER:-podctl-test}

need_pkgs() {
	local missing=()
	command -v busybox >/dev/null || missing+=(busybox-static)
	command -v newuidmap >/dev/null || missing+=(uidmap)
	command -v strace >/dev/null || missing+=(strace)
	command -v pgrep >/dev/null || missing+=(procps)    # docs/pod-model.md's blocks
	command -v docker-registry >/dev/null || missing+=(docker-registry) # the image tests' registry
	[ -f /etc/containers/policy.json ] || missing+=(containers-common)   # image signature policy
	command -v pasta >/dev/null || missing+=(passt)                      # the default network helper
	command -v slirp4netns >/dev/null || missing+=(slirp4netns)          # the other one
	[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins) # the CRI server's CNI network (TestCRICNI)
	command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86) # the cgroup v2 VM (test/vm)
	ls /boot/vmlinuz-* >/dev/null 2>&1 || missing+=(linux-image-amd64)     # its kernel
	if ((${#missing[@]})); then
		if [ "$(id -u)" != 0 ]; then
			echo "missing packages: ${missing[*]} (as root: apt-get install ${missing[*]})" >&2
			exit 1
		fi
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}
need_pkgs
# Both helpers open /dev/net/tun inside the pod's namespaces as the user.
# Debian's udev makes it 0666; a machine without udev (this VM) leaves it
# 0600, and podctl doctor says so.
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	chmod 0666 /dev/net/tun
fi

make -s lint
echo "== unit tests"
$GO test -tags $TAGS -count=1 ./nsenter/... ./rootfs/... ./sandbox/... ./images/... ./netsetup/... ./cmd/... ./cgroups/... ./kube/... ./cri/... ./test/arch/ ./test/leak/...

echo "== fuzzing, briefly (a crasher becomes a seed in testdata/fuzz and fails the run)"
fuzz() { # fuzz PACKAGE TARGET
	local out
	# A count, not a duration: with -fuzztime 3s, Go 1.26's fuzz
	# coordinator sometimes reports its own deadline as a failure
	# ("context deadline exceeded", no crasher: go.dev/issue/75804, fixed
	# in Go 1.27); an execution count has no deadline to race.
	out=$($GO test -tags $TAGS "$1" -run XXX -fuzz "^$2\$" -fuzztime "${FUZZTIME:-5000x}" 2>&1) || {
		echo "$out"
		exit 1
	}
}
for target in FuzzParseUserSpec FuzzContainerEnv FuzzParseVolume; do
	fuzz ./sandbox/model/ "$target"
done
fuzz ./sandbox/crilog/ FuzzParseLogRecord
fuzz ./nsenter/ FuzzKeepSpec
fuzz ./sandbox/seccomp/ FuzzProfile
fuzz ./sandbox/seccomp/ FuzzFilterDecides
fuzz ./images/ FuzzParseRef
fuzz ./images/ FuzzImageConfig
fuzz ./images/ FuzzGrammar
fuzz ./netsetup/ FuzzParsePort
fuzz ./cgroups/ FuzzParseBytes
fuzz ./kube/ FuzzDecode

work=$(mktemp -d /tmp/podctl-e2e.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
cp bin/podctl bin/podctl-net bin/podctl-store bin/podctl-image bin/podctl-kube bin/podctl-cri "$work/"
# cri-tools' crictl, which the CRI tests drive podctl cri serve with
# (make crictl: pinned, from the Go module proxy).
cp bin/tools/crictl "$work/crictl"
$GO test -tags $TAGS -c -o "$work/e2e.test" ./test/e2e
# The network tests' workload, static, copied into their rootfs ($NETTOOL).
CGO_ENABLED=0 $GO build -o "$work/nettool" ./test/nettool
# The proxy example's binary (examples/kube-proxy), and the example itself.
CGO_ENABLED=0 $GO build -o "$work/webproxy" ./examples/kube-proxy/webproxy
cp -r examples "$work/examples"
chmod -R a+rX "$work/examples"
chmod 755 "$work/webproxy"
e2e_env="NETTOOL=$work/nettool WEBPROXY=$work/webproxy PODCTL_EXAMPLES=$work/examples CRICTL=$work/crictl"
chmod 755 "$work/podctl" "$work/podctl-net" "$work/podctl-store" "$work/podctl-image" "$work/podctl-kube" "$work/podctl-cri" "$work/crictl" "$work/e2e.test" "$work/nettool"
export NETTOOL=$work/nettool
# The e2e binary runs in $work and builds its hostile workloads from here.
cp -r test/e2e/testdata "$work/testdata"
chmod -R a+rX "$work/testdata"

# What each stage runs (-test.run), and counts (counted).
hibernate_tests='TestKeeperManyContainers|TestApplyManyContainers|TestCorruptState|TestStateSymlinksAndNames|TestLargeMessages|TestSupervisorLockDeleted|TestDetached|TestPodShares|TestRestart|TestInit|TestLogs|TestExec|TestStop|TestSupervisorOr|TestConcurrent|TestWait|TestLifecycleBad|TestForeground|TestDeadline|TestPodAPI|TestNetworkHelperKilled|TestNetworkHelperBackOff|TestPublishedPorts|TestPodLocalhost|TestBridge|TestKube'
nosub_tests='TestSysctlsAndGroups|TestNetworkHelperSandboxed|TestNetworkHelperFailsToStart|TestStateSymlinksAndNames|TestLargeMessages|TestSupervisorLockDeleted|TestSingleIDFallback|TestNamespacesShared|TestExitCodesAndSignals|TestMountsAndDevices|TestPauseIsSmall|TestPauseDescriptors|TestPauseBinaryNotWritable|TestLeakOracle|TestDetachedRunStopRemove|TestStraceEnds|TestSupervisorOrPauseKilled|TestCapabilities|TestAttack|TestSeccomp|TestCorruptState|TestVolume|TestDeadline|TestDoctor|TestKeepID|TestPublishedPorts|TestNetworkNoneAndHost|TestHostLoopback|TestBridge|TestLogsRotated'
root_tests='TestSysctlsAndGroups|TestNetworkHelperSandboxed|TestNetworkHelperFailsToStart|TestCorruptState|TestStateSymlinksAndNames|TestLargeMessages|TestSupervisorLockDeleted|TestSupervisorOrPauseKilled|TestRoot|TestPodAPI|TestPauseDescriptors|TestPauseBinaryNotWritable|TestSignalEscalation|TestNodeRebooted|TestLeakOracle|TestNamespacesShared|TestExitCodesAndSignals|TestMountsAndDevices|TestBadInput|TestDetachedRunStopRemove|TestPodSharesNamespaces|TestExec|TestStraceEnds|TestCapabilities|TestAttack|TestSeccomp|TestImage(RunHonours|Layers|BadInput|StopSignal)|TestVolume|TestDeadline|TestResultFile|TestEnvValueWithComma|TestDoctor|TestCancelledStep|TestNamedVolumes|TestKeepID|TestPublishedPorts|TestNetworkNoneAndHost|TestDNSAndHosts|TestNetworkBadInput|TestBridge|TestKubeApplyFields|TestKubeBadInput|TestKubeProbes|TestLogsRotated|TestLogsPartialLineHibernated|TestCRI'

fail=0
passed=0
failed=0
count() { # count results of a -test.v log
	passed=$((passed + $(grep -c -- '--- PASS' "$1" || true)))
	failed=$((failed + $(grep -c -- '--- FAIL' "$1" || true)))
}
# counted MODE LOG REGEX: a run that skipped its way to green fails. Every
# top-level test that REGEX selects must have passed, unless
# test/e2e/expected-skips names it for MODE, and every skip in LOG
# (subtests too) must be named there.
counted() {
	local mode=$1 log=$2 regex=$3 listed t ok=0 n=0 s=0 bad=0
	# -test.list runs TestMain first: a rootfs named (and never built)
	# keeps it from building one.
	listed=$(env PODCTL=none PODCTL_E2E_ROOTFS=/nonexistent "$work/e2e.test" -test.list "$regex" | grep '^Test') || {
		echo "counted ($mode): listing the tests failed"
		return 1
	}
	expected() { awk -v m="$mode" -v t="$1" '$1 == m && $2 == t { f = 1 } END { exit !f }' test/e2e/expected-skips; }
	for t in $listed; do
		n=$((n + 1))
		if grep -q -- "^--- PASS: $t " "$log"; then
			ok=$((ok + 1))
		elif grep -q -- "^--- SKIP: $t " "$log" && expected "$t"; then
			s=$((s + 1))
		else
			echo "counted ($mode): $t did not pass"
			bad=1
		fi
	done
	for t in $(grep -o -- '--- SKIP: [^ ]*' "$log" | cut -d' ' -f3); do
		expected "$t" || { echo "counted ($mode): $t skipped, and test/e2e/expected-skips does not say why"; bad=1; }
	done
	echo "counted ($mode): $n tests selected, $ok passed, $s skipped as expected"
	return $bad
}

if [ "$(id -u)" = 0 ]; then
	setup_test_user "$TEST_USER"
	# podman for the image-store interop test, when installed (CI installs
	# it): its rootless pause readied as the benchmarks do.
	podman_env=
	if command -v podman >/dev/null; then
		. test/bench/podman.sh
		podman_user_config "$TEST_USER"
		# Set even if readying failed: the test then fails, loudly.
		podman_start_pause "$TEST_USER" "$rundir" || echo "podman could not be readied: TestImagePodmanInterop will fail" >&2
		podman_env=PODCTL_TEST_PODMAN=1
	fi
	# A small filesystem for an image store that fills up (the full-disk
	# load test).
	mkdir -p "$work/smallstore" "$work/smallrun"
	mount -t tmpfs -o size=24m,mode=700,uid=$(id -u "$TEST_USER"),gid=$(id -g "$TEST_USER") tmpfs "$work/smallstore"
	# And a small runtime directory that logs fill up (TestLogsFullDisk).
	mount -t tmpfs -o size=24m,mode=700,uid=$(id -u "$TEST_USER"),gid=$(id -g "$TEST_USER") tmpfs "$work/smallrun"
	trap 'umount "$work/smallstore" "$work/smallrun" 2>/dev/null; rm -rf "$work"' EXIT
	echo "== end-to-end tests, rootless (user $TEST_USER)"
	su "$TEST_USER" -s /bin/bash -c "cd $work && env $podman_env PODCTL_SMALL_STORE=$work/smallstore PODCTL_SMALL_RUNDIR=$work/smallrun PODCTL=$work/podctl $e2e_env XDG_RUNTIME_DIR=$rundir USER=$TEST_USER $work/e2e.test -test.v -test.count=1 -test.timeout=10m" \
		>"$work/rootless.log" 2>&1 || fail=1
	cat "$work/rootless.log"
	count "$work/rootless.log"
	counted rootless "$work/rootless.log" '.*' || fail=1
	# The runnable blocks of docs/ (docs/pod-model.md), as that user.
	echo "== runnable blocks of docs/, rootless (user $TEST_USER)"
	mkdir -p "$work/doctest/test"
	cp -r docs "$work/doctest/docs"
	cp test/docs-test.sh "$work/doctest/test/"
	make_busybox_rootfs "$work/doctest/rootfs"
	chown -R "$TEST_USER:" "$work/doctest"
	su "$TEST_USER" -s /bin/bash -c "cd $work/doctest && env XDG_RUNTIME_DIR=$rundir $work/doctest/test/docs-test.sh $work/podctl $work/doctest/rootfs" || fail=1
	# The lifecycle again, with detached supervisors hibernating into the
	# keeper 50 ms after each event, so that every command meets a keeper.
	echo "== end-to-end lifecycle tests, rootless, supervisors hibernating after 50 ms"
	su "$TEST_USER" -s /bin/bash -c "cd $work && env PODCTL=$work/podctl $e2e_env PODCTL_SMALL_RUNDIR=$work/smallrun PODCTL_HIBERNATE_AFTER=50ms XDG_RUNTIME_DIR=$rundir USER=$TEST_USER $work/e2e.test -test.v -test.count=1 -test.timeout=10m \
		-test.run '$hibernate_tests'" \
		>"$work/hibernate.log" 2>&1 || fail=1
	cat "$work/hibernate.log"
	count "$work/hibernate.log"
	counted hibernate "$work/hibernate.log" "$hibernate_tests" || fail=1
	# A user without a subordinate range: the single-id fallback.
	# (-K ...=0 stops useradd from allocating a range.)
	NOSUB_USER=${TEST_USER}-nosub
	setup_test_user "$NOSUB_USER" none
	echo "== end-to-end tests, rootless without a subordinate range (user $NOSUB_USER)"
	su "$NOSUB_USER" -s /bin/bash -c "cd $work && env PODCTL=$work/podctl $e2e_env PODCTL_EXPECT_SINGLE_MAP=1 USER=$NOSUB_USER $work/e2e.test -test.v -test.count=1 -test.timeout=5m \
		-test.run '$nosub_tests'" \
		>"$work/nosub.log" 2>&1 || fail=1
	cat "$work/nosub.log"
	count "$work/nosub.log"
	counted nosub "$work/nosub.log" "$nosub_tests" || fail=1
	# The podman pause we started (if any) goes before the root run.
	if [ -n "$podman_env" ] && [ "${PODMAN_PAUSE_OURS:-0}" = 1 ]; then
		podman_stop_pause
	fi
	# The README's main job: make demo (as root here). It removes its pod;
	# its image, left for a user to play with, goes too.
	echo "== make demo"
	PODCTL_DEMO_CLEANUP=1 PODCTL_DEMO_DIR="$work/demo" test/demo.sh >"$work/demo.log" 2>&1 || { cat "$work/demo.log"; echo "make demo failed"; fail=1; }
	# The first thing a newcomer sees is the rootless product.
	grep -q '^ *0 *[0-9]* *1$' "$work/demo.log" && ! grep -q '4294967295' "$work/demo.log" ||
		{ cat "$work/demo.log"; echo "make demo as root did not show a rootless pod's uid_map"; fail=1; }
	echo "== end-to-end tests, as root"
	(cd "$work" && env PODCTL=$work/podctl $e2e_env "$work/e2e.test" -test.v -test.count=1 -test.timeout=5m \
		-test.run "$root_tests") >"$work/root.log" 2>&1 || fail=1
	cat "$work/root.log"
	count "$work/root.log"
	counted root "$work/root.log" "$root_tests" || fail=1
	# A real kubelet runs a static pod through podctl's CRI server (make
	# kubelet: Kubernetes v1.37.2 from the Go module proxy).
	echo "== a real kubelet through podctl cri serve, as root (test/kubelet)"
	cp bin/tools/kubelet "$work/kubelet"
	if test/kubelet/run.sh "$work" >"$work/kubelet.log" 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		fail=1
	fi
	cat "$work/kubelet.log"
	# critest, the CRI validation suite (make critest runs all of it; see
	# docs/cri.md): a focused subset that passes rootless here, within CI's
	# budget (~2 minutes).
	echo "== critest, a focused subset, rootless (test/critest)"
	cp bin/tools/critest "$work/critest"
	critest_focus='Runtime info|runtime should support basic operations on (PodSandbox|container)|Streaming runtime should support streaming interfaces runtime should support (exec|attach)|portforward in host network|Idempotence|Image Manager|Image Volume|Security Context bucket runtime should support (RunAsUser|RunAsGroup|Privileged|adding|dropping|SupplementalGroups|ReadonlyPaths)|SupplementalGroupsPolicy|NoNewPrivs|HostIpc|sysctls|reopening container log'
	if CRITEST_FOCUS=$critest_focus CRITEST_SKIP='with digest' test/critest/run.sh "$work" >"$work/critest.log" 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		fail=1
	fi
	cat "$work/critest.log"
else
	echo "== end-to-end tests, rootless (user $(id -un))"
	(cd "$work" && env PODCTL=$work/podctl $e2e_env "$work/e2e.test" -test.v -test.count=1 -test.timeout=10m) >"$work/rootless.log" 2>&1 || fail=1
	cat "$work/rootless.log"
	count "$work/rootless.log"
fi
# The cgroup v2 tests, in a VM: this machine's cgroups are hybrid (test/vm
# boots Debian's kernel under qemu, delegates cgroup2 to a test user as
# systemd does, and runs the TestCgroupV2 tests there as that user, then
# as root).
echo "== cgroup v2 tests in a VM (test/vm)"
PODCTL_VM_BIN=$work $GO test -count=1 -timeout 15m -v ./test/vm >"$work/vm.log" 2>&1 || fail=1
cat "$work/vm.log"
count "$work/vm.log"
echo "e2e: $passed passed, $failed failed"
exit $fail
