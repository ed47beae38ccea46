// Package vm runs podctl's end-to-end tests (test/e2e) inside a virtual
// machine booted from Debian's own kernel, where cgroup v2 is the only
// cgroup hierarchy and its controllers can be delegated to the test user.
//
// Why a VM: the machines podctl is developed and tested on run a kernel
// with hybrid cgroups (memory, cpu, pids bound to cgroup v1 hierarchies
// that belong to the machine; the cgroup2 mount holds no controller), so
// podctl's cgroup v2 limits cannot be exercised there. qemu with software
// emulation (TCG; KVM does not boot there) and a distribution kernel give
// a machine whose init this package writes: test/vm/init.
//
// The test builds an initramfs itself (cpio.go, initramfs.go, guest.go):
// the init, podctl's binaries and the e2e test binary with the libraries
// they load (ldd.go), newuidmap/newgidmap (setuid root), busybox, the
// kernel modules needed (modules.go), and the e2e suite's container
// rootfs, built on the host (build.go); the test user's home is an ext4
// disk (disk.go). It boots them (qemu.go) and reads the serial console for
// the init's markers (vmconf). The init runs the tests in stages: as the
// test user (rootless pods, in the user's delegated subtree), then as root
// (root pods, in the whole hierarchy).
//
//	PODCTL_VM_BIN      directory with podctl, podctl-net, podctl-store, podctl-image, podctl-kube,
//	                   podctl-cri, crictl, e2e.test and nettool (required; the test is
//	                   skipped without it), and optionally kubelet and webproxy
//	                   (TestCgroupV2Kubelet: run-tests.sh puts them there as root)
//	PODCTL_VM_RUN      the e2e tests to run as the test user, a -test.run
//	                   expression (default ^TestCgroupV2)
//	PODCTL_VM_ROOT_RUN the e2e tests to run as root afterwards, in a
//	                   session leaf of root's (default ^TestCgroupV2;
//	                   "none": no root stage)
//	PODCTL_VM_TIMEOUT  how long the VM may take in all (default 12m)
//	PODCTL_VM_SHELL    for debugging: a sh -c command to run in the VM as
//	                   the test user instead of the e2e tests (the test
//	                   then shows its output and is skipped)
//
// Other PODCTL_* variables of the host's environment are passed on to the
// tests in the VM, except those naming host paths.
package vm
