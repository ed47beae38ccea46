package control

import (
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/plainjson"
)

// A detached supervisor (podctl run -d, podctl pod create) is podctl
// re-executed with EnvSupervise set; sandbox.StageMain runs
// supervisor.SuperviseMain before the CLI parses anything. The conversation with the command that started it:
//
//	podctl (CLI)                          supervisor (new session)
//	   | mkdir pod dir, flock supervisor.lock
//	   | exec /proc/self/exe, fd 3 = socket, fd 4 = the locked file
//	   |-- {dir, spec, containers} ------------->|
//	   |                                         | pause, /etc files, control socket,
//	   |                                         | first container started
//	   |<--------- {error?, exitCode?, notice?} -|
//	   | exit: the pod lives on                  | loop until the pod ends

// EnvSupervise holds the sync socket's descriptor number in a detached
// supervisor's environment ("resume" for one that leaves the keeper).
const EnvSupervise = "_PODCTL_SUPERVISE"

// SuperviseRequest is what a detached supervisor is asked to run.
type SuperviseRequest struct {
	Dir        string                `json:"dir"`
	LockFD     int                   `json:"lockFd"`
	Spec       model.PodSpec         `json:"spec"`
	Containers []model.ContainerSpec `json:"containers"`
}

// SuperviseReply tells the CLI how the pod's creation went.
type SuperviseReply struct {
	Error    string `json:"error,omitempty"`
	ExitCode int    `json:"exitCode,omitempty"` // of an *ExecError
	Created  bool   `json:"created"`            // the pod exists, even if its first container failed
	Notice   string `json:"notice,omitempty"`
}

// EncodeSupervise writes a SuperviseRequest or a SuperviseReply as both
// ends read it (DecodeSupervise): with sandbox/plainjson, not
// encoding/json, which would first build its coders for the pod's ~30
// types by reflection, ~2 ms of CPU of the new supervisor's start (package
// plainjson says why).
func EncodeSupervise(v any) ([]byte, error) { return plainjson.MarshalIndent(v) }

// DecodeSupervise reads what EncodeSupervise wrote into v.
func DecodeSupervise(b []byte, v any) error { return plainjson.Unmarshal(b, v) }
