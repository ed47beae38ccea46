package cri

import (
	"context"
	"time"

	"github.com/podctl/podctl/sandbox"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ExecSync runs a command in a running container and returns its output
// and exit code; past the timeout it is killed and the call fails with
// DeadlineExceeded (the kubelet's exec probe reads that as a timeout).
func (s *Server) ExecSync(ctx context.Context, req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
	if len(req.Cmd) == 0 {
		return nil, invalid("cmd is empty: ExecSync needs a command")
	}
	ref, err := findContainer(ctx, req.ContainerId)
	if err != nil {
		return nil, err
	}
	r, err := sandbox.ExecSync(ctx, ref.Pod.Spec.ID, ref.Container.Spec.ID, req.Cmd, time.Duration(req.Timeout)*time.Second)
	if err != nil {
		return nil, grpcError(err)
	}
	return &runtimeapi.ExecSyncResponse{Stdout: r.Stdout, Stderr: r.Stderr, ExitCode: int32(r.ExitCode)}, nil
}
