// Package layers makes and removes containers' writable layers in
// containers-storage, through podctl-store's helper started in a user
// namespace that maps the subordinate ids (image.go, storehelper.go), so
// that no pod start links the store's code.
package layers
