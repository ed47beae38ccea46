package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/podctl/podctl/test/imagebuild"
	"golang.org/x/sys/unix"
)

// TestCRISecurityContext: what a sandbox's and a container's
// configuration ask of the kernel, each next to a control that shows the
// check can fail: sysctls set in the pod's own namespaces only (the
// host's values stay), a host-wide sysctl refused, a host device bound in
// (a regular file as one refused), supplementary groups
// (in the process and in ContainerStatus.user), masked and read-only
// paths from the request, no_new_privs as the kubelet asks for it, and,
// as root (who may mount on the host), a read-only volume recursive or
// not.
func TestCRISecurityContext(t *testing.T) {
	const image = "localhost/podctl-e2e/cri-sec:latest"
	s, dir := criTest(t, image)

	hostShm, _ := os.ReadFile("/proc/sys/kernel/shm_rmid_forced")
	hostPorts, _ := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	sysctls := map[string]string{"kernel.shm_rmid_forced": "1", "fs.mqueue.msg_max": "100", "net.ipv4.ip_unprivileged_port_start": "99"}
	cfgs := map[string]string{} // a sandbox's configuration file, by id
	runp := func(name string, sysctls map[string]string) string {
		cfg := writeJSON(t, filepath.Join(dir, "pod-"+name+".json"), map[string]any{
			"metadata": map[string]any{"name": name, "namespace": "e2e", "uid": name},
			"linux":    map[string]any{"sysctls": sysctls}})
		pod := s.must("runp", cfg)
		t.Cleanup(func() { run(t, "rm", "-f", pod) })
		cfgs[pod] = cfg
		return pod
	}
	start := func(pod, name string, ctr map[string]any) string {
		ctr["metadata"] = map[string]any{"name": name}
		ctr["image"] = map[string]any{"image": image}
		ctr["command"] = []string{"sleep", "1000"}
		id := s.must("create", pod, writeJSON(t, filepath.Join(dir, pod[:8]+"-"+name+".json"), ctr), cfgs[pod])
		s.must("start", id)
		return id
	}
	exec := func(ctr string, args ...string) (string, error) {
		out, err := s.crictl(append([]string{"exec", "-s", ctr}, args...)...)
		return strings.TrimSpace(out), err
	}

	// Sysctls: the pod's values, the host's unchanged, a plain pod's the
	// kernel's defaults (the control).
	withSysctls := start(runp("sysctls", sysctls), "c", map[string]any{})
	plain := start(runp("plain", nil), "c", map[string]any{})
	for key, want := range sysctls {
		path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
		if got, err := exec(withSysctls, "cat", path); err != nil || got != want {
			t.Errorf("sysctl %s in the pod = %q, %v; want %s", key, got, err, want)
		}
		if got, _ := exec(plain, "cat", path); got == want {
			t.Errorf("sysctl %s in a pod without sysctls = %q too: the check cannot tell", key, got)
		}
	}
	if b, _ := os.ReadFile("/proc/sys/kernel/shm_rmid_forced"); string(b) != string(hostShm) {
		t.Errorf("the host's kernel.shm_rmid_forced changed: %q -> %q", hostShm, b)
	}
	if b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); string(b) != string(hostPorts) {
		t.Errorf("the host's net.ipv4.ip_unprivileged_port_start changed: %q -> %q", hostPorts, b)
	}

	// A device: the host's node bound in (a user namespace may not
	// mknod one); the plain pod (the control) has none there. A path
	// that is not a device is refused, named.
	devPod := runp("device", nil)
	withDevice := start(devPod, "c", map[string]any{
		"devices": []map[string]string{{"host_path": "/dev/zero", "container_path": "/dev/xzero", "permissions": "rw"}}})
	if got, err := exec(withDevice, "sh", "-c", "head -c 4 /dev/xzero | od -An -tx1"); err != nil || strings.Join(strings.Fields(got), " ") != "00 00 00 00" {
		t.Errorf("the device /dev/xzero (the host's /dev/zero) reads %q, %v; want four zero bytes", got, err)
	}
	if got, err := exec(plain, "ls", "/dev/xzero"); err == nil {
		t.Errorf("a container without the device has /dev/xzero: %q", got)
	}
	notDevice := writeJSON(t, filepath.Join(dir, "notdevice.json"), map[string]any{"metadata": map[string]any{"name": "nd"},
		"image": map[string]any{"image": image}, "devices": []map[string]string{{"host_path": "/etc/hostname", "container_path": "/dev/x"}}})
	if _, err := s.crictl("create", devPod, notDevice, cfgs[devPod]); err == nil ||
		!strings.Contains(err.Error(), "code = InvalidArgument") || !strings.Contains(err.Error(), "devices[0]") {
		t.Errorf("a device that is a regular file: %v; want InvalidArgument naming devices[0]", err)
	}
	cfg := writeJSON(t, filepath.Join(dir, "hostwide.json"), map[string]any{
		"metadata": map[string]any{"name": "hostwide", "namespace": "e2e", "uid": "hostwide"}, "linux": map[string]any{"sysctls": map[string]string{"vm.swappiness": "1"}}})
	if _, err := s.crictl("runp", cfg); err == nil || !strings.Contains(err.Error(), "code = InvalidArgument") || !strings.Contains(err.Error(), "vm.swappiness") {
		t.Errorf("runp with the host-wide sysctl vm.swappiness: %v; want InvalidArgument naming it", err)
	}
	// hostPID needs the pod's own cgroup (TestCgroupV2CRI runs one in the
	// VM); without cgroup v2 delegated it is refused, leaving nothing.
	if os.Getenv("PODCTL_TEST_CGROUP2") == "" {
		cfg := writeJSON(t, filepath.Join(dir, "hostpid.json"), map[string]any{
			"metadata": map[string]any{"name": "hostpid", "namespace": "e2e", "uid": "hostpid"},
			"linux":    map[string]any{"security_context": map[string]any{"namespace_options": map[string]any{"pid": 2}}}})
		if _, err := s.crictl("runp", cfg); err == nil || !strings.Contains(err.Error(), "hostPID needs the pod's own cgroup") {
			t.Errorf("runp with hostPID and no cgroup: %v; want the refusal saying why", err)
		}
	}

	// hostIPC: the host's System V segments and /dev/shm, which a pod of
	// its own IPC namespace (the control, plain) does not see.
	shmid, err := unix.SysvShmGet(unix.IPC_PRIVATE, 4096, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.SysvShmCtl(shmid, unix.IPC_RMID, nil)
	shmFile := fmt.Sprintf("/dev/shm/podctl-e2e-%d", os.Getpid())
	os.WriteFile(shmFile, []byte("host\n"), 0o644)
	defer os.Remove(shmFile)
	cfg = writeJSON(t, filepath.Join(dir, "pod-hostipc.json"), map[string]any{
		"metadata": map[string]any{"name": "hostipc", "namespace": "e2e", "uid": "hostipc"},
		"linux":    map[string]any{"security_context": map[string]any{"namespace_options": map[string]any{"ipc": 2}}}})
	hostIPCPod := s.must("runp", cfg)
	t.Cleanup(func() { run(t, "rm", "-f", hostIPCPod) })
	cfgs[hostIPCPod] = cfg
	hostIPC := start(hostIPCPod, "c", map[string]any{"linux": map[string]any{"security_context": map[string]any{"namespace_options": map[string]any{"ipc": 2}}}})
	id := fmt.Sprint(shmid)
	for _, c := range []struct {
		ctr  string
		sees bool
	}{{hostIPC, true}, {plain, false}} {
		out, _ := exec(c.ctr, "sh", "-c", "awk '{ print $2 }' /proc/sysvipc/shm; cat "+shmFile)
		if sees := slices.Contains(strings.Fields(out), id) && strings.Contains(out, "host"); sees != c.sees {
			t.Errorf("hostIPC %v: the host's segment %s and %s seen: %v (%q)", c.sees, id, shmFile, sees, out)
		}
	}

	// Masked and read-only paths of the request; no_new_privs when asked,
	// and not otherwise (the kubelet's allowPrivilegeEscalation: true).
	pod := runp("security", nil)
	sec := start(pod, "sec", map[string]any{"linux": map[string]any{"security_context": map[string]any{
		"masked_paths": []string{"/bin/notexec"}, "readonly_paths": []string{"/tmp"}, "no_new_privs": true}}})
	if out, err := exec(sec, "sh", "-c", "read -r l </bin/notexec; echo \"[$l]\""); err != nil || out != "[]" {
		t.Errorf("a masked file: %q, %v; want it empty", out, err)
	}
	if out, err := exec(sec, "touch", "/tmp/x"); err == nil || !strings.Contains(err.Error(), "Read-only file system") {
		t.Errorf("touch /tmp/x, /tmp read-only: %q, %v; want Read-only file system", out, err)
	}
	if out, _ := exec(sec, "grep", "NoNewPrivs", "/proc/self/status"); !strings.HasSuffix(out, "1") {
		t.Errorf("no_new_privs: true: %q; want NoNewPrivs 1", out)
	}
	if out, err := exec(plain, "sh", "-c", "grep -q should /bin/notexec && cat /etc/passwd >/dev/null && touch /tmp/x && grep NoNewPrivs /proc/self/status"); err != nil || !strings.HasSuffix(out, "0") {
		t.Errorf("the control (nothing asked): %q, %v; want /bin/notexec readable, cat and touch to work, NoNewPrivs 0", out, err)
	}

	// Supplementary groups: given, with /etc/group's (Merge: alice, uid
	// 1000, is in wheel) or without
	// (Strict), and reported in ContainerStatus.user.
	{
		groups := start(pod, "groups", map[string]any{"linux": map[string]any{"security_context": map[string]any{
			"run_as_user": map[string]any{"value": 1000}, "supplemental_groups": []int{1234, 5678}}}})
		if out, err := exec(groups, "id", "-G"); err != nil || out != "1000 10 1234 5678" {
			t.Errorf("id -G with supplemental_groups 1234 5678 = %q, %v; want 1000 10 1234 5678 (alice's wheel from /etc/group merged)", out, err)
		}
		var st struct {
			Status struct {
				User struct {
					Linux struct {
						// protojson writes int64 as strings.
						UID    string   `json:"uid"`
						Groups []string `json:"supplementalGroups"`
					} `json:"linux"`
				} `json:"user"`
			} `json:"status"`
		}
		s.jsonOf(&st, "inspect", groups)
		if u := st.Status.User.Linux; u.UID != "1000" || strings.Join(u.Groups, " ") != "1000 10 1234 5678" {
			t.Errorf("ContainerStatus.user = %+v; want uid 1000 and groups 1000 10 1234 5678", u)
		}
		strict := start(pod, "strict", map[string]any{"linux": map[string]any{"security_context": map[string]any{
			"run_as_user": map[string]any{"value": 1000}, "supplemental_groups": []int{1234}, "supplemental_groups_policy": 1}}})
		if out, err := exec(strict, "id", "-G"); err != nil || out != "1000 1234" {
			t.Errorf("id -G with supplemental_groups_policy Strict = %q, %v; want 1000 1234", out, err)
		}
	}

	// Read-only volumes over a directory with a mount in it: recursive
	// when asked (the inner mount read-only too), the top one only
	// otherwise, as runc's "ro". Only root may mount on the host.
	if os.Geteuid() == 0 {
		vol := filepath.Join(dir, "vol")
		os.MkdirAll(filepath.Join(vol, "inner"), 0o755)
		if err := unix.Mount("tmpfs", filepath.Join(vol, "inner"), "tmpfs", 0, ""); err != nil {
			t.Fatal(err)
		}
		defer unix.Unmount(filepath.Join(vol, "inner"), unix.MNT_DETACH)
		ro := start(pod, "ro", map[string]any{"mounts": []map[string]any{
			{"host_path": vol, "container_path": "/top", "readonly": true},
			{"host_path": vol, "container_path": "/rro", "readonly": true, "recursive_read_only": true}}})
		if out, err := exec(ro, "touch", "/top/inner/x"); err != nil {
			t.Errorf("touch under a non-recursive read-only volume's inner mount: %q, %v; want it writable", out, err)
		}
		if out, err := exec(ro, "touch", "/top/x"); err == nil {
			t.Errorf("touch in a read-only volume: %q; want Read-only file system", out)
		}
		if out, err := exec(ro, "touch", "/rro/inner/y"); err == nil || !strings.Contains(err.Error(), "Read-only file system") {
			t.Errorf("touch under a recursively read-only volume's inner mount: %q, %v; want Read-only file system", out, err)
		}
	}
	s.must("rmp", "-f", pod)
}

// TestCRIImageVolume: an image mounted into a container (Kubernetes'
// image volumes): its files there, read-only, executable; a subpath of
// it; refused writable; a subpath the image lacks refused at creation; and
// the layers go with the container (the leak oracle checks the store).
func TestCRIImageVolume(t *testing.T) {
	const image = "localhost/podctl-e2e/cri-vol:latest"
	s, dir := criTest(t, image, imagebuild.Entry{Path: "data/", Dir: true}, imagebuild.Entry{Path: "data/hello", Body: "from the image\n"})
	podCfg := writeJSON(t, filepath.Join(dir, "pod.json"), map[string]any{
		"metadata": map[string]any{"name": "vol", "namespace": "e2e", "uid": "vol"}})
	pod := s.must("runp", podCfg)
	t.Cleanup(func() { run(t, "rm", "-f", pod) })
	create := func(name string, mounts []map[string]any) (string, error) {
		cfg := writeJSON(t, filepath.Join(dir, name+".json"), map[string]any{
			"metadata": map[string]any{"name": name}, "image": map[string]any{"image": image},
			"command": []string{"sleep", "1000"}, "mounts": mounts})
		out, err := s.crictl("create", pod, cfg, podCfg)
		return strings.TrimSpace(out), err
	}
	vol := func(path, sub string, ro bool) map[string]any {
		return map[string]any{"container_path": path, "readonly": ro, "image": map[string]any{"image": image}, "image_sub_path": sub}
	}
	ctr, err := create("c", []map[string]any{vol("/iv", "", true), vol("/sub", "data", true)})
	if err != nil {
		t.Fatal(err)
	}
	s.must("start", ctr)
	exec := func(args ...string) (string, error) {
		out, err := s.crictl(append([]string{"exec", "-s", ctr}, args...)...)
		return strings.TrimSpace(out), err
	}
	if out, err := exec("/iv/bin/busybox", "cat", "/iv/data/hello", "/sub/hello"); err != nil || out != "from the image\nfrom the image" {
		t.Errorf("the image volume's files, and its subpath's: %q, %v", out, err)
	}
	if out, err := exec("touch", "/iv/x"); err == nil || !strings.Contains(err.Error(), "Read-only file system") {
		t.Errorf("touch in an image volume: %q, %v; want Read-only file system", out, err)
	}
	var st struct {
		Status struct {
			Mounts []struct {
				ContainerPath string `json:"containerPath"`
				Image         struct {
					ImageRef string `json:"imageRef"`
				} `json:"image"`
			} `json:"mounts"`
		} `json:"status"`
	}
	s.jsonOf(&st, "inspect", ctr)
	if len(st.Status.Mounts) != 2 || !strings.HasPrefix(st.Status.Mounts[0].Image.ImageRef, "sha256:") {
		t.Errorf("ContainerStatus.mounts = %+v; want the two image volumes with the image's id", st.Status.Mounts)
	}
	if _, err := create("rw", []map[string]any{vol("/iv", "", false)}); err == nil || !strings.Contains(err.Error(), "code = InvalidArgument") {
		t.Errorf("a writable image volume: %v; want InvalidArgument", err)
	}
	if _, err := create("missing", []map[string]any{vol("/iv", "no/such/dir", true)}); err == nil || !strings.Contains(err.Error(), "no/such/dir") {
		t.Errorf("create with an image volume subpath the image lacks: %v; want an error naming it", err)
	}
	s.must("rmp", "-f", pod)
}
