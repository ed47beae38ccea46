// Package store is podctl's use of containers-storage (go.podman.io/storage):
// finding images, reading their configuration, making, mounting and
// removing container layers, listing and removing images. Only the
// podctl-image binary links it (see its package comment); podctl reaches it
// through the store helper (Serve).
package store

import (
	"errors"
	"fmt"
	"os"

	"go.podman.io/storage"
	"go.podman.io/storage/pkg/unshare"
)

// Options are the store's settings as storage.conf and the defaults give
// them for the calling user (podman's: ~/.local/share/containers/storage
// when rootless). They are resolved once, where the user's environment is
// known, and travel to the processes that open the store.
type Options = storage.StoreOptions

// DefaultOptions reads storage.conf as podman does
// ($XDG_CONFIG_HOME/containers/storage.conf, then /etc/containers).
func DefaultOptions() (Options, error) {
	o, err := storage.DefaultStoreOptions()
	if err != nil {
		return o, fmt.Errorf("reading the containers-storage configuration (storage.conf): %w", err)
	}
	return o, nil
}

// Open opens the store. The caller is root, or inside the storage user
// namespace (see the package comment): the overlay driver mounts, and
// chowns files to subordinate ids, neither of which an unprivileged process
// outside a user namespace may do.
func Open(o Options) (storage.Store, error) {
	s, err := storage.GetStore(o)
	if err != nil {
		return nil, fmt.Errorf("opening the image store %s: %w", o.GraphRoot, err)
	}
	return s, nil
}

// EnterUserNamespace re-executes the running command inside a new user and
// mount namespace that maps the caller's subordinate ids (newuidmap), unless
// it is root or already there; in the parent it never returns (it exits with
// the child's status). podman does the same before it touches its store.
func EnterUserNamespace() {
	if os.Geteuid() == 0 {
		return
	}
	unshare.MaybeReexecUsingUserNamespace(false)
}

// shutdown releases the store; a failure to unmount (nothing podctl mounts
// outlives its process) is not worth reporting.
func shutdown(s storage.Store) {
	_, _ = s.Shutdown(false)
}

// isUnknown reports the store's "no such image/container/layer".
func isUnknown(err error) bool {
	return errors.Is(err, storage.ErrImageUnknown) || errors.Is(err, storage.ErrContainerUnknown) ||
		errors.Is(err, storage.ErrLayerUnknown)
}
