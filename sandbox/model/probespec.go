package model

import (
	"time"
)

// Handler is an action of a probe or a lifecycle hook, Kubernetes' three
// kinds: a command in the container, an HTTP GET or a TCP connection to
// the pod (its own loopback unless Host names another address).
type Handler struct {
	// Sleep: the lifecycle hooks' sleep action, a pause with no process.
	Sleep   time.Duration `json:"sleep,omitempty"`
	Exec    []string      `json:"exec,omitempty"`
	HTTPGet *HTTPGet      `json:"httpGet,omitempty"`
	TCPPort int           `json:"tcpPort,omitempty"`
	TCPHost string        `json:"tcpHost,omitempty"`
}

// HTTPGet is an httpGet action.
type HTTPGet struct {
	Scheme  string   `json:"scheme,omitempty"` // http (default) or https
	Host    string   `json:"host,omitempty"`   // default: the pod's loopback
	Port    int      `json:"port"`
	Path    string   `json:"path,omitempty"`
	Headers []string `json:"headers,omitempty"` // NAME:VALUE
}

// Probe is a liveness, readiness or startup probe, with the kubelet's
// defaults when zero: every 10 s, 1 s timeout, 1 success, 3 failures.
type Probe struct {
	Handler
	InitialDelay     time.Duration `json:"initialDelay,omitempty"`
	Period           time.Duration `json:"period,omitempty"`
	Timeout          time.Duration `json:"timeout,omitempty"`
	SuccessThreshold int           `json:"successThreshold,omitempty"`
	FailureThreshold int           `json:"failureThreshold,omitempty"`
}

func (p *Probe) Defaults() Probe {
	q := *p
	if q.Period <= 0 {
		q.Period = 10 * time.Second
	}
	if q.Timeout <= 0 {
		q.Timeout = time.Second
	}
	if q.SuccessThreshold <= 0 {
		q.SuccessThreshold = 1
	}
	if q.FailureThreshold <= 0 {
		q.FailureThreshold = 3
	}
	return q
}
