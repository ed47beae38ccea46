package rootfs

// MaskedPaths are hidden from the container: files behind /dev/null,
// directories behind an empty read-only tmpfs. They leak the host (kernel
// memory, keys, timers, hardware) or let a workload poke it; the list is the
// union of moby's and podman's defaults.
var MaskedPaths = []string{
	"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
	"/proc/timer_stats", "/sys/dev/block", "/sys/devices/virtual/powercap",
	"/sys/firmware", "/sys/fs/selinux",
}

// ReadonlyPaths stay visible but read-only: the kernel's knobs under /proc
// (moby's and podman's list). /sys is read-only as a whole already.
var ReadonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}

// maskSteps apply MaskedPaths and ReadonlyPaths, once /proc and /sys are
// mounted; a path this kernel lacks is skipped by the init.
func maskSteps() []Step {
	var steps []Step
	for _, p := range MaskedPaths {
		steps = append(steps, Step{"mask", p})
	}
	for _, p := range ReadonlyPaths {
		steps = append(steps, Step{"readonly", p})
	}
	return steps
}
