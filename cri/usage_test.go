package cri

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestUsageCache: a tree is walked once per period, whoever asks; a file
// written meanwhile shows once the period is over (the control: it does
// show then, so the cached answer is not just a stale constant).
func TestUsageCache(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), make([]byte, 8192), 0o644)
	clock := time.Unix(1000, 0)
	c := &usageCache{entries: map[string]*usageEntry{}, now: func() time.Time { return clock }, ttl: 10 * time.Second}
	b1, n1 := c.get(dir)
	if b1 == 0 || n1 != 2 {
		t.Fatalf("first walk: %d bytes, %d inodes; want the file and its directory", b1, n1)
	}
	os.WriteFile(filepath.Join(dir, "b"), make([]byte, 8192), 0o644)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b, n := c.get(dir); b != b1 || n != n1 {
				t.Errorf("within the period: %d, %d; want the cached %d, %d", b, n, b1, n1)
			}
		}()
	}
	wg.Wait()
	clock = clock.Add(10 * time.Second)
	if b, n := c.get(dir); b <= b1 || n != 3 {
		t.Errorf("after the period: %d bytes, %d inodes; want the new file counted", b, n)
	}
	clock = clock.Add(time.Hour)
	c.get(t.TempDir())
	if _, ok := c.entries[dir]; ok {
		t.Errorf("a tree no one asked about for an hour is still kept")
	}
}
