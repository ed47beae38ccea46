// Package images is what podctl's own binary knows of images: names
// (ParseRef), the parts of an image's configuration it honours (Config, with
// Kubernetes' command and args rules), and the messages it exchanges with
// the image store helper (Request, Response, Prepared, RootMount).
//
// The store itself (go.podman.io/storage, the one podman, buildah, skopeo
// and CRI-O share, at the same paths and with the same storage.conf) is
// used by package images/store, which only the podctl-image binary links:
// those libraries cost every process that links them milliseconds of
// start-up, and podctl's binary runs in every short-lived stage of every pod.
//
// A rootless store holds files owned by the caller's subordinate ids
// (/etc/subuid): a file owned by uid 101 in an image is stored as the host
// uid that pod uid 101 maps to. So every use of the store happens inside a
// user namespace with exactly the mapping pods get (0 = the caller,
// 1..N = the subordinate range), in a mount namespace of its own:
//
//   - podctl-image's own commands (images, rmi, pull, ...) re-execute
//     inside such a namespace, as podman does;
//   - podctl run asks podctl-store's helper, started in one by
//     nsenter's userns stage (sandbox/layers/storehelper.go), to make the
//     container's layer before the pod exists, so a bad image fails before
//     anything is created; the helper also says how the layer is mounted;
//   - the container's init, already uid 0 of the pod's user namespace,
//     makes that mount in its own mount namespace (the "layer" step of nsenter/init.c): the
//     mount lives exactly as long as the container.
package images
