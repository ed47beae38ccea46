package model

// ExecError is a failure to execute the workload itself, with the exit code
// a shell would give it (126 cannot execute, 127 not found).
type ExecError struct {
	Msg      string
	ExitCode int
}

func (e *ExecError) Error() string { return e.Msg }

// WindowSize is a terminal's size in characters: what a caller sends to
// size a container's pty.
type WindowSize struct{ Rows, Cols uint16 }
