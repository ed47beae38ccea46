// Package images keeps container images, and each container's writable
// layer, in containers-storage (go.podman.io/storage): the store that
// podman, buildah, skopeo and CRI-O share, at the same paths and with the
// same storage.conf, so an image pulled by one of them is runnable by podctl
// and the reverse.
//
// A rootless store holds files owned by the caller's subordinate ids
// (/etc/subuid): a file owned by uid 101 in an image is stored as the host
// uid that pod uid 101 maps to. So every access to the store happens inside
// a user namespace with exactly the mapping pods get (0 = the caller,
// 1..N = the subordinate range), and in a mount namespace of its own, since
// the overlay driver mounts. Three ways in:
//
//   - whole commands (images, rmi, ...) re-execute inside such a namespace
//     (EnterUserNamespace, podman's way);
//   - podctl run asks a short-lived helper in one (Prepare, Delete) to make
//     the container's layer before the pod exists, so a bad image fails
//     before anything is created;
//   - a container's init, already in its pod's user namespace, mounts the
//     layer in its own mount namespace (Mount): the mount lives exactly as
//     long as the container.
//
// The image transports (pull, load, push, login) live in the podctl-image
// binary, see cmd/podctl-image: their library costs every process that links
// it about 5 ms of package initialisation and 18 MB of memory, which pods'
// short-lived stages must not pay.
package images
