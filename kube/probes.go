package kube

import (
	"time"

	"github.com/podctl/podctl/sandbox/model"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probes converts a container's probes and lifecycle hooks; podctl's
// supervisor runs them as the kubelet does (sandbox/supervisor/probe.go).
func (c *converter) probes(k *corev1.Container, at string, ctr *model.ContainerSpec) {
	for _, p := range []struct {
		name string
		src  *corev1.Probe
		dst  **model.Probe
	}{{"startupProbe", k.StartupProbe, &ctr.Startup}, {"livenessProbe", k.LivenessProbe, &ctr.Liveness}, {"readinessProbe", k.ReadinessProbe, &ctr.Readiness}} {
		if p.src == nil {
			continue
		}
		pat := at + "." + p.name
		h, ok := c.handler(k, pat, p.src.Exec, p.src.HTTPGet, p.src.TCPSocket)
		if !ok {
			continue
		}
		pr := &model.Probe{Handler: h,
			InitialDelay:     time.Duration(p.src.InitialDelaySeconds) * time.Second,
			Period:           time.Duration(p.src.PeriodSeconds) * time.Second,
			Timeout:          time.Duration(p.src.TimeoutSeconds) * time.Second,
			SuccessThreshold: int(p.src.SuccessThreshold), FailureThreshold: int(p.src.FailureThreshold)}
		if p.src.InitialDelaySeconds < 0 || p.src.PeriodSeconds < 0 || p.src.TimeoutSeconds < 0 || p.src.SuccessThreshold < 0 || p.src.FailureThreshold < 0 {
			c.f.add(pat, "seconds and thresholds must not be negative")
		}
		// Kubernetes: liveness and startup probes need successThreshold 1.
		if p.name != "readinessProbe" && p.src.SuccessThreshold > 1 {
			c.f.add(pat+".successThreshold", "must be 1 for a %s", p.name)
		}
		*p.dst = pr
	}
	if l := k.Lifecycle; l != nil {
		for _, hk := range []struct {
			name string
			src  *corev1.LifecycleHandler
			dst  **model.Handler
		}{{"postStart", l.PostStart, &ctr.PostStart}, {"preStop", l.PreStop, &ctr.PreStop}} {
			if hk.src == nil {
				continue
			}
			pat := at + ".lifecycle." + hk.name
			if hk.src.Sleep != nil {
				// The sleep action: a pause in podctl itself, no process.
				if hk.src.Sleep.Seconds < 0 {
					c.f.add(pat+".sleep.seconds", "must not be negative")
				}
				h := model.Handler{Sleep: time.Duration(hk.src.Sleep.Seconds) * time.Second}
				*hk.dst = &h
				continue
			}
			h, ok := c.handler(k, pat, hk.src.Exec, hk.src.HTTPGet, nil)
			if ok {
				*hk.dst = &h
			}
		}
	}
}

// handler converts one action; exactly one kind must be given.
func (c *converter) handler(k *corev1.Container, at string, ex *corev1.ExecAction, hg *corev1.HTTPGetAction, tcp *corev1.TCPSocketAction) (model.Handler, bool) {
	var h model.Handler
	n := 0
	if ex != nil {
		n++
		if len(ex.Command) == 0 {
			c.f.add(at+".exec.command", "required")
		}
		h.Exec = ex.Command
	}
	if hg != nil {
		n++
		port, ok := c.port(k, at+".httpGet.port", hg.Port)
		if !ok {
			return h, false
		}
		g := &model.HTTPGet{Host: hg.Host, Port: port, Path: hg.Path, Scheme: string(hg.Scheme)}
		switch hg.Scheme {
		case "", corev1.URISchemeHTTP, corev1.URISchemeHTTPS:
		default:
			c.f.add(at+".httpGet.scheme", "%q: HTTP or HTTPS", hg.Scheme)
		}
		for _, hdr := range hg.HTTPHeaders {
			g.Headers = append(g.Headers, hdr.Name+":"+hdr.Value)
		}
		h.HTTPGet = g
	}
	if tcp != nil {
		n++
		port, ok := c.port(k, at+".tcpSocket.port", tcp.Port)
		if !ok {
			return h, false
		}
		h.TCPPort, h.TCPHost = port, tcp.Host
	}
	if n != 1 {
		c.f.add(at, "give exactly one of exec, httpGet and tcpSocket")
		return h, false
	}
	return h, true
}

// port resolves a probe's port: a number, or the name of a container port.
func (c *converter) port(k *corev1.Container, at string, p intstr.IntOrString) (int, bool) {
	if p.Type == intstr.String {
		for _, cp := range k.Ports {
			if cp.Name == p.StrVal {
				return int(cp.ContainerPort), true
			}
		}
		c.f.add(at, "%q: no port of the container has that name", p.StrVal)
		return 0, false
	}
	if p.IntVal < 1 || p.IntVal > 65535 {
		c.f.add(at, "%d: from 1 to 65535", p.IntVal)
		return 0, false
	}
	return int(p.IntVal), true
}
