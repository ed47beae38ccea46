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

// maskSteps hide masked and make readonly read-only (MaskedPaths and
// ReadonlyPaths where not given), once /proc, /sys and every other mount
// are in place; a path the container lacks is skipped by the init.
func maskSteps(masked, readonly []string) []Step {
	if masked == nil {
		masked = MaskedPaths
	}
	if readonly == nil {
		readonly = ReadonlyPaths
	}
	var steps []Step
	for _, p := range masked {
		steps = append(steps, Step{"mask", clean(p)})
	}
	for _, p := range readonly {
		steps = append(steps, Step{"readonly", clean(p)})
	}
	return steps
}
