package cri

import (
	"context"
	"sync"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"
)

// The kubelet names sandboxes and containers by their full ids, on every
// status call; finding one by reading every pod's state would cost a read
// of each state file per call. The index remembers which pod holds each
// id it has seen, and a lookup reads that one pod's state, checking the id
// is still there: an entry gone stale (a pod removed, a name reused) only
// sends the lookup back to the full scan, which refills the index. Ids
// given as prefixes (crictl's) always take the scan.
type idIndex struct {
	mu   sync.Mutex
	pods map[string]string // sandbox or container id -> the pod's name
}

var index = &idIndex{pods: map[string]string{}}

// lookup is the pod that holds id according to the index, read now; nil
// if the index does not know it or knew it wrong.
func (x *idIndex) lookup(id string, has func(*model.PodState) bool) *model.PodState {
	if !model.IsID(id) {
		return nil
	}
	x.mu.Lock()
	name, ok := x.pods[id]
	x.mu.Unlock()
	if !ok {
		return nil
	}
	st, _, err := model.Observe(name)
	if err != nil || !isCRI(st.Spec.Labels) || !has(st) {
		x.mu.Lock()
		delete(x.pods, id)
		x.mu.Unlock()
		return nil
	}
	return st
}

// learn records the ids of pods just read (a scan's).
func (x *idIndex) learn(sts []*model.PodState) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.pods) > 4096 {
		clear(x.pods) // a bound; the next scans refill what is in use
	}
	for _, st := range sts {
		x.pods[st.Spec.ID] = st.Spec.Name
		for _, c := range st.Containers {
			x.pods[c.Spec.ID] = st.Spec.Name
		}
	}
}

// podByIndex is findPod's fast path: the sandbox with full id id.
func podByIndex(id string) *model.PodState {
	return index.lookup(id, func(st *model.PodState) bool { return st.Spec.ID == id })
}

// containerByIndex is findContainer's fast path.
func containerByIndex(id string) (sandbox.ContainerRef, bool) {
	var ref sandbox.ContainerRef
	st := index.lookup(id, func(st *model.PodState) bool {
		for i := range st.Containers {
			if st.Containers[i].Spec.ID == id && isCRI(st.Containers[i].Spec.Labels) {
				ref = sandbox.ContainerRef{Pod: st, Container: &st.Containers[i]}
				return true
			}
		}
		return false
	})
	return ref, st != nil
}

// scanPods is every CRI pod, read now; the index learns their ids.
func scanPods(ctx context.Context) ([]*model.PodState, error) {
	all, err := sandbox.ListPods(ctx, sandbox.Filter{})
	if err != nil {
		return nil, err
	}
	var out []*model.PodState
	for _, st := range all {
		if isCRI(st.Spec.Labels) {
			out = append(out, st)
		}
	}
	index.learn(out)
	return out, nil
}
