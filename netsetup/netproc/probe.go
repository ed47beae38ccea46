package netproc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/podctl/podctl/netsetup"
)

// ProbeMain runs the probe of EnvProbe, in the pod's namespaces, and
// exits: 0 on success, 1 with the reason on stderr.
func ProbeMain() {
	var ms int64
	fmt.Sscan(os.Getenv("_PODCTL_PROBE_TIMEOUT"), &ms)
	timeout := time.Duration(ms) * time.Millisecond
	if timeout <= 0 {
		timeout = time.Second
	}
	err := runProbe(strings.Fields(os.Getenv(netsetup.EnvProbe)), timeout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runProbe(f []string, timeout time.Duration) error {
	if len(f) < 2 {
		return fmt.Errorf("bad probe %q", f)
	}
	switch f[0] {
	case "tcp":
		c, err := net.DialTimeout("tcp", f[1], timeout)
		if err != nil {
			return fmt.Errorf("dial tcp %s: %v", f[1], unwrapOp(err))
		}
		return c.Close()
	case "http", "https":
		if len(f) < 3 {
			return fmt.Errorf("bad probe %q", f)
		}
		url := f[0] + "://" + f[1] + f[2]
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("User-Agent", "kube-probe/podctl")
		for _, h := range f[3:] {
			k, v, _ := strings.Cut(h, ":")
			req.Header.Set(k, v)
		}
		// The kubelet does not check certificates of https probes.
		client := &http.Client{Timeout: timeout, Transport: &http.Transport{TLSClientConfig: insecureTLS()},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("http GET %q: %v", url, unwrapOp(err))
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 10<<10))
		resp.Body.Close()
		// Kubernetes: 200 <= code < 400 is a success.
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
		}
		return nil
	}
	return fmt.Errorf("bad probe kind %q", f[0])
}

func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
