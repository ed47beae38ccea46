package model

// ExecError is a failure to execute the workload itself, with the exit code
// a shell would give it (126 cannot execute, 127 not found).
type ExecError struct {
	Msg      string
	ExitCode int
}

func (e *ExecError) Error() string { return e.Msg }

// MaxMsg bounds one datagram; the init's configuration is the largest one.
const MaxMsg = 64 << 10
