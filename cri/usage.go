package cri

import (
	"sync"
	"time"

	"github.com/podctl/podctl/sandbox/diskusage"
)

// The kubelet asks for ImageFsInfo and every container's stats each few
// seconds, and more than one of its loops may ask at once; walking the
// image store or a container's layer on each call would cost a tree walk
// per call, which grows with the store. As containerd's CRI plugin
// collects snapshot usage on a period, podctl keeps each tree's usage for
// usageTTL, and callers that ask for one tree together share one walk.
const usageTTL = 10 * time.Second

// usageCache holds the last measure of each tree.
type usageCache struct {
	mu      sync.Mutex
	entries map[string]*usageEntry
	now     func() time.Time
	ttl     time.Duration
}

type usageEntry struct {
	mu            sync.Mutex // held during a walk: a second caller waits for it
	at            time.Time  // zero until measured
	bytes, inodes uint64
}

var usage = &usageCache{entries: map[string]*usageEntry{}, now: time.Now, ttl: usageTTL}

// diskUsage is what the tree at root takes, as du counts it (a lower
// bound where a directory of a subordinate uid cannot be read), at most
// usageTTL old.
func diskUsage(root string) (bytes, inodes uint64) { return usage.get(root) }

func (c *usageCache) get(root string) (uint64, uint64) {
	now := c.now()
	c.mu.Lock()
	e := c.entries[root]
	if e == nil {
		e = &usageEntry{}
		c.entries[root] = e
	}
	// Trees no one asked about for a while (a container removed) go.
	for k, old := range c.entries {
		if old != e && old.mu.TryLock() {
			if !old.at.IsZero() && now.Sub(old.at) > 6*c.ttl {
				delete(c.entries, k)
			}
			old.mu.Unlock()
		}
	}
	c.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.at.IsZero() || now.Sub(e.at) >= c.ttl {
		b, n, _ := diskusage.Usage(root)
		e.bytes, e.inodes, e.at = uint64(max(b, 0)), uint64(max(n, 0)), c.now()
	}
	return e.bytes, e.inodes
}
