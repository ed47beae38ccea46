// Package supervisor is a pod's supervisor: the one process on the host
// that made the pod's pause and starts every container, so all of them are
// its children and it alone collects their exit statuses. It applies the
// pod's restart policy with the kubelet's back-off (model.Backoff), runs init containers
// and sidecars, probes, the log pumps, the deadline and the eviction of
// sized emptyDirs, and writes state.json at every change. In the
// foreground it is podctl run itself; otherwise a detached process, which
// hibernates into nsenter's small C keeper while nothing happens.
//
//	supervisor.go   the Supervisor type, its event loop, save and logf
//	create.go       Create: cgroup, pause, /etc files, network, control socket, first wave
//	launch.go       starting container runs side by side (spawn, prepare, start, finish)
//	lifecycle.go    a container's exit, termination record, restart and scheduling
//	stop.go         stop and kill: signals, grace, escalation
//	finish.go       the pause's death, and the pod's end: final status, cleanup
//	logpump.go      copying a run's output into its CRI log (sandbox/crilog)
//	attachserve.go  attach, the supervisor's side: grants of output taps and the stdin's write end (the pipes and taps: sandbox/stdio)
//	controlserve.go the control socket's server (the protocol: sandbox/control)
//	probe.go        startup, liveness and readiness probes; postStart and preStop
//	deadline.go     the pod's activeDeadline (--timeout)
//	eviction.go     sized emptyDirs measured (sandbox/diskusage), the pod evicted as the kubelet does
//	result.go       --result-file
//	cgroup.go       the pod's cgroup (sandbox/podcgroup) as the supervisor logs it
//	etcfiles.go     the pod's /etc/hostname, hosts and resolv.conf
//	hibernate.go    handing the pod to the keeper while idle, and resuming
//	execcard.go     keeping the main container's exec card in step with state.json (stage.WriteExecCard)
//	idle.go         giving memory back between events
//	detached.go     spawning a detached supervisor, and its main
//	leftovers.go    killing and removing what a dead supervisor left
//
// The network helper's lifecycle is sandbox/podnet's, driven from here
// through podnet.Hooks.
package supervisor
