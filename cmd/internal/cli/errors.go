package cli

import (
	"fmt"
	"strings"
)

// UsageError is a mistake on the command line: an unknown command or
// flag, a flag without its value or with a value of the wrong kind, a
// required flag left out. Its message names the command and where its
// help is.
type UsageError struct {
	Path string // the command's full name: "podctl run", "podctl pod create"
	Err  error
}

func (u *UsageError) Error() string {
	// The program's own name is left to the caller, which prefixes it
	// ("podctl: run: ..."); the help hint carries it whole.
	if _, sub, ok := strings.Cut(u.Path, " "); ok {
		return fmt.Sprintf("%s: %v (see %s --help)", sub, u.Err, u.Path)
	}
	return fmt.Sprintf("%v (see %s --help)", u.Err, u.Path)
}

func (u *UsageError) Unwrap() error { return u.Err }

// ExitError is an error that sets the program's exit code.
type ExitError struct {
	Message string
	Code    int
}

func (e *ExitError) Error() string { return e.Message }

// Exit returns an error whose message the program prints and whose code it
// exits with (podctl wait --timeout: 1).
func Exit(message string, code int) error { return &ExitError{Message: message, Code: code} }
