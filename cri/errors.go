package cri

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/podctl/podctl/sandbox/model"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errNotFound marks a sandbox, container or image that does not exist.
var errNotFound = errors.New("not found")

// notFound is the error for a missing object: gRPC's NotFound, which the
// kubelet and critest tell from other failures.
func notFound(format string, a ...any) error {
	return status.Error(codes.NotFound, fmt.Sprintf(format, a...))
}

// invalid is the error for a request the caller must change.
func invalid(format string, a ...any) error {
	return status.Error(codes.InvalidArgument, fmt.Sprintf(format, a...))
}

// grpcError maps podctl's errors to gRPC codes: a missing pod is
// NotFound, a cancelled call is Canceled or DeadlineExceeded, the rest
// Unknown with podctl's message (which names the field and the fix).
func grpcError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, model.ErrNoPod), errors.Is(err, model.ErrNoContainer), errors.Is(err, errNotFound), errors.Is(err, errNoImage),
		strings.Contains(err.Error(), imageMissing):
		// An image the store does not have: podctl-store says so in
		// words, across its process boundary (images/store.Find).
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}

// isNotFound: err is gRPC's NotFound.
func isNotFound(err error) bool { return status.Code(err) == codes.NotFound }

// alreadyExists is the error for a name that is taken (containerd's
// name reservation answers AlreadyExists).
func alreadyExists(format string, a ...any) error {
	return status.Error(codes.AlreadyExists, fmt.Sprintf(format, a...))
}

// failedPrecondition is the error for a request the object's state
// refuses (a container that is not running).
func failedPrecondition(format string, a ...any) error {
	return status.Error(codes.FailedPrecondition, fmt.Sprintf(format, a...))
}
