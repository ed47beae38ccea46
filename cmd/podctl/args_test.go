package main

import (
	"reflect"
	"testing"
)

func TestReorderLetsFlagsFollowPositionals(t *testing.T) {
	a := newApp()
	for _, c := range []struct{ in, want []string }{
		{[]string{"podctl", "logs", "web", "-c", "side", "--tail", "2", "-f"},
			[]string{"podctl", "logs", "-c", "side", "--tail", "2", "-f", "web"}},
		{[]string{"podctl", "wait", "web", "--for=condition=Ready", "--timeout", "5s"},
			[]string{"podctl", "wait", "--for=condition=Ready", "--timeout", "5s", "web"}},
		// exec: after the pod, flags until the command; the command's own
		// flags are its own.
		{[]string{"podctl", "exec", "web", "-c", "side", "--", "sh", "-c", "x"},
			[]string{"podctl", "exec", "-c", "side", "web", "--", "sh", "-c", "x"}},
		{[]string{"podctl", "exec", "-t", "web", "sh", "-c", "x"},
			[]string{"podctl", "exec", "-t", "web", "sh", "-c", "x"}},
		// run is left alone: its first positional starts the command.
		{[]string{"podctl", "run", "--rootfs", "r", "sh", "-c", "x"},
			[]string{"podctl", "run", "--rootfs", "r", "sh", "-c", "x"}},
		{[]string{"podctl", "pod", "create", "web", "--share-pid=false"},
			[]string{"podctl", "pod", "create", "--share-pid=false", "web"}},
	} {
		if got := a.reorder(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("reorder(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
