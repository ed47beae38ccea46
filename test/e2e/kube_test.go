package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/test/imagebuild"
)

// The Kubernetes manifest tests: each supported field's effect is observed
// in the running pod, not just parsed; bad input gives one error naming
// the path, and nothing is created.

const kubeImage = "localhost/podctl-e2e/kube:1"

// loadKubeImage loads the busybox rootfs (with nettool) as kubeImage.
func loadKubeImage(t *testing.T) {
	t.Helper()
	loadImage(t, testImage(t, kubeImage, imagebuild.Config{Env: []string{"PATH=/bin"}}), "oci-archive")
}

// writeManifest writes a manifest into the test's temporary directory.
func writeManifest(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "manifest.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// kept lists the ConfigMaps and Secrets podctl keeps.
func kept(t *testing.T) string {
	return mustRun(t, "configmap", "ls") + "|" + mustRun(t, "secret", "ls")
}

// execOut runs a shell line in a container and returns its output.
func execOut(t *testing.T, pod, ctr, script string) string {
	t.Helper()
	r := run(t, "exec", "-c", ctr, pod, "--", "sh", "-c", script)
	if r.code != 0 {
		t.Errorf("exec -c %s %s %q: exit %d: %s", ctr, pod, script, r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

func TestKubeApplyFields(t *testing.T) {
	leakCheck(t)
	loadKubeImage(t)
	hostDir := filepath.Join(t.TempDir(), "made-by-apply")
	port := freePort(t, "tcp")
	manifest := writeManifest(t, fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
metadata: {name: kcfg}
data:
  greeting: hello-from-configmap
  app.conf: "setting=1\n"
  LOG_LEVEL: debug
  bad-key: skipped
---
apiVersion: v1
kind: Secret
metadata: {name: ksec}
type: Opaque
stringData:
  password: s3cret
---
apiVersion: v1
kind: Pod
metadata:
  name: kfields
  namespace: team
  labels: {tier: web}
spec:
  hostname: kbox
  terminationGracePeriodSeconds: 2
  hostAliases:
  - ip: 127.0.0.7
    hostnames: [alias.test, alias2.test]
  dnsConfig:
    nameservers: [127.0.0.53]
    searches: [example.test]
    options: [{name: ndots, value: "2"}]
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
  volumes:
  - name: conf
    configMap:
      name: kcfg
      defaultMode: 0444
      items: [{key: app.conf, path: sub/app.conf}]
  - name: sec
    secret: {secretName: ksec}
  - name: shared
    emptyDir: {}
  - name: host
    hostPath: {path: %s, type: DirectoryOrCreate}
  initContainers:
  - name: prep
    image: %s
    command: ["sh", "-c", "echo from-init > /shared/init.txt"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  containers:
  - name: main
    image: %s
    command: ["sh", "-c"]
    args: ["trap '' TERM; nettool serve tcp 0.0.0.0:8080 & while :; do sleep 1; done"]
    workingDir: /work
    env:
    - {name: PLAIN, value: plain-value}
    - name: GREETING
      valueFrom: {configMapKeyRef: {name: kcfg, key: greeting}}
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: ksec, key: password}}
    - name: MISSING
      valueFrom: {configMapKeyRef: {name: kcfg, key: nope, optional: true}}
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: POD_NS
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    - name: TIER
      valueFrom: {fieldRef: {fieldPath: "metadata.labels['tier']"}}
    envFrom:
    - prefix: CFG_
      configMapRef: {name: kcfg}
    ports:
    - {containerPort: 8080, hostPort: %d, hostIP: 127.0.0.1}
    securityContext:
      runAsGroup: 10
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
    volumeMounts:
    - {name: conf, mountPath: /etc/app, readOnly: true}
    - {name: sec, mountPath: /etc/sec, readOnly: true}
    - {name: shared, mountPath: /shared}
    - {name: shared, mountPath: /sub, subPath: deeper}
  - name: side
    image: %s
    command: ["sh", "-c", "echo side-was-here > /shared/side.txt; echo from-pod > /host/out; sleep 1000"]
    securityContext: {runAsUser: 0, runAsNonRoot: false}
    volumeMounts: [{name: shared, mountPath: /shared}, {name: host, mountPath: /host}]
`, hostDir, kubeImage, kubeImage, port, kubeImage))
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", manifest) })
	r := run(t, "apply", "-f", manifest)
	if r.code != 0 || r.stdout != "configmap/kcfg created\nsecret/ksec created\npod/kfields created\n" {
		t.Fatalf("apply: exit %d, %q, %s", r.code, r.stdout, r.stderr)
	}
	mustRun(t, "wait", "--for", "condition=Ready", "--timeout", "20s", "kfields")
	if out := mustRun(t, "ps"); !strings.Contains(out, "kfields") || !strings.Contains(out, "2/2") {
		t.Errorf("ps does not show READY 2/2:\n%s", out)
	}
	checks := []struct{ script, want string }{
		{"echo $PLAIN $GREETING $PASSWORD ${MISSING-unset} $POD_NAME $POD_NS $TIER", "plain-value hello-from-configmap s3cret unset kfields team web"},
		{"echo $CFG_greeting $CFG_LOG_LEVEL; env | grep -c ^CFG_bad; true", "hello-from-configmap debug\n0"}, // bad-key is no variable name: skipped
		{"pwd", "/work"},
		{"id -u; id -g", "1000\n10"},
		{"hostname", "kbox"},
		{"grep -c alias.test /etc/hosts; grep 127.0.0.7 /etc/hosts | grep -c alias2.test", "1\n1"},
		{"grep -E '^(nameserver|search|options)' /etc/resolv.conf", "search example.test\nnameserver 127.0.0.53\noptions ndots:2"},
		{"cat /etc/app/sub/app.conf; stat -c %a /etc/app/sub/app.conf; ls /etc/app | wc -l", "setting=1\n444\n1"},
		{"touch /etc/app/x 2>/dev/null || echo ro", "ro"},
		{"cat /etc/sec/password", "s3cret"},
		{"cat /shared/init.txt /shared/side.txt", "from-init\nside-was-here"},
		{"touch /newfile 2>/dev/null || echo ro-root; touch /tmp/x 2>/dev/null || echo ro-tmp", "ro-root\nro-tmp"},
		{"grep CapEff /proc/self/status | tr -d '\\t'", "CapEff:0000000000000000"},
		{"cat /proc/1/comm", "sh"}, // shareProcessNamespace false: PID 1 is its own command
		{"echo x > /sub/f && ls /shared/deeper", "f"},
	}
	for _, c := range checks {
		if got := execOut(t, "kfields", "main", c.script); got != c.want {
			t.Errorf("%q: got %q, want %q", c.script, got, c.want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(hostDir, "out")); err != nil || string(b) != "from-pod\n" {
		t.Errorf("hostPath DirectoryOrCreate: %q %v", b, err)
	}
	// hostPort on loopback, to the pod's 8080.
	if out, err := exec.Command(os.Getenv("NETTOOL"), "dial", "tcp", fmt.Sprintf("127.0.0.1:%d", port)).Output(); err != nil || !strings.Contains(string(out), "got=ping") {
		t.Errorf("hostPort %d: %q %v", port, out, err)
	}
	// terminationGracePeriodSeconds 2: stop without -t SIGKILLs the
	// TERM-ignoring main after 2 s, not the default 30.
	start := time.Now()
	mustRun(t, "stop", "kfields")
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("stop took %s with terminationGracePeriodSeconds 2", d)
	}
	if term := ctr(t, state(t, "kfields"), "main").State.Terminated; term == nil || term.Signal != 9 {
		t.Errorf("main after stop: %+v, want SIGKILL after the grace period", term)
	}
	r = run(t, "delete", "-f", manifest)
	if r.code != 0 || r.stdout != "configmap/kcfg deleted\nsecret/ksec deleted\npod/kfields deleted\n" {
		t.Errorf("delete: exit %d, %q, %s", r.code, r.stdout, r.stderr)
	}
}

// shareProcessNamespace, restartPolicy, activeDeadlineSeconds, runAsNonRoot
// against a root image user, and generate kube's output applied again.
func TestKubePodLevel(t *testing.T) {
	leakCheck(t)
	loadKubeImage(t)
	manifest := writeManifest(t, `
apiVersion: v1
kind: Pod
metadata: {name: kpid}
spec:
  shareProcessNamespace: true
  restartPolicy: Never
  activeDeadlineSeconds: 2
  containers:
  - name: a
    image: `+kubeImage+`
    command: ["sh", "-c", "cat /proc/1/comm; sleep 1000"]
`)
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", manifest) })
	mustRun(t, "apply", "-f", manifest)
	eventually(t, "the deadline to end the pod", func() bool {
		st := state(t, "kpid")
		return st.Phase == "Failed" && st.Reason == "DeadlineExceeded"
	})
	// (The pause may still be finishing its exec of podctl-pause.)
	if out := mustRun(t, "logs", "kpid"); !strings.HasPrefix(out, "podctl") {
		t.Errorf("shareProcessNamespace: PID 1 is %q, not the pause", out)
	}
	mustRun(t, "delete", "--grace-period=0", "-f", manifest)

	// runAsNonRoot with an image that runs as root: the kubelet's refusal.
	nonroot := writeManifest(t, `
apiVersion: v1
kind: Pod
metadata: {name: knonroot}
spec:
  restartPolicy: Never
  containers:
  - name: a
    image: `+kubeImage+`
    command: ["true"]
    securityContext: {runAsNonRoot: true}
`)
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", nonroot) })
	mustRun(t, "apply", "-f", nonroot)
	eventually(t, "knonroot to fail", func() bool {
		c := ctr(t, state(t, "knonroot"), "a")
		return c.State.Terminated != nil && strings.Contains(c.State.Terminated.Message, "runAsNonRoot and image will run as root")
	})
	mustRun(t, "delete", "--grace-period=0", "-f", nonroot)
}

// A pod made with flags becomes YAML that podctl's strict decoder (and so
// kubectl's) accepts, and that applies back into the same pod.
func TestKubeGenerateRoundTrip(t *testing.T) {
	leakCheck(t)
	loadKubeImage(t)
	podRm(t, "kgen")
	mustRun(t, "run", "-d", "--name", "kgen", "--network", "none", "-e", "COLOR=blue", "-w", "/srv", "-u", "1000:10",
		"--restart", "on-failure", "--hostname", "genhost", kubeImage, "sh", "-c", "echo $COLOR $(id -u) $(pwd) $(hostname); sleep 1000")
	out := mustRun(t, "generate", "kube", "kgen")
	for _, want := range []string{"kind: Pod", "name: kgen", "image: " + kubeImage, "restartPolicy: OnFailure", "runAsUser: 1000", "runAsGroup: 10", "workingDir: /srv", "hostname: genhost"} {
		if !strings.Contains(out, want) {
			t.Errorf("generate kube lacks %q:\n%s", want, out)
		}
	}
	mustRun(t, "rm", "-f", "kgen")
	manifest := writeManifest(t, out)
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", manifest) })
	if r := run(t, "apply", "-f", manifest); r.code != 0 {
		t.Fatalf("apply of generate kube's output: %d %s\n%s", r.code, r.stderr, out)
	}
	eventually(t, "the applied pod's output", func() bool {
		return run(t, "logs", "kgen").stdout == "blue 1000 /srv genhost\n"
	})
	mustRun(t, "delete", "--grace-period=0", "-f", manifest)
}

// Bad manifests: one error naming the path (or the document), exit 125,
// and nothing created: no pod, no ConfigMap kept, even when a later
// document is the bad one.
func TestKubeBadInput(t *testing.T) {
	leakCheck(t)
	loadKubeImage(t)
	pod := func(name, containerExtra string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  containers:\n  - name: a\n    image: %s\n%s", name, kubeImage, containerExtra)
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kbadcm}\ndata: {a: b}\n---\n"
	before := kept(t)
	cases := []struct {
		name, yaml, says string
	}{
		{"malformed YAML", "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n", "not valid YAML"},
		{"unknown field", pod("kbad", "    imagee: x\n"), `unknown field "spec.containers[0].imagee"`},
		{"duplicate field", pod("kbad", "    name: b\n"), `key "name" already set`},
		{"wrong type", pod("kbad", "    ports: [{containerPort: eighty}]\n"), "spec.containers.ports.containerPort: expected a number, got string"},
		{"missing configmap", pod("kbad", "    env: [{name: A, valueFrom: {configMapKeyRef: {name: nocm, key: k}}}]\n"), `spec.containers[0].env[0].valueFrom: configmap "nocm": not found`},
		{"invalid pod name", pod("Web_1", ""), "metadata.name: invalid pod name"},
		{"unsupported field", pod("kbad", "    volumeDevices: [{name: d, devicePath: /dev/x}]\n"), "spec.containers[0].volumeDevices: not supported by podctl"},
		{"host-wide sysctl", "apiVersion: v1\nkind: Pod\nmetadata: {name: kbad}\nspec:\n  securityContext: {sysctls: [{name: vm.swappiness, value: \"1\"}]}\n  containers: [{name: a, image: x}]\n", "spec.securityContext.sysctls: sysctl vm.swappiness: not in a namespace of the pod's own"},
		{"unsupported pod field", "apiVersion: v1\nkind: Pod\nmetadata: {name: kbad}\nspec:\n  nodeSelector: {disk: ssd}\n  containers: [{name: a, image: x}]\n", "spec.nodeSelector: not supported by podctl"},
		{"unsupported kind", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n", `kind "Deployment" is not supported`},
		{"two containers of one name", "apiVersion: v1\nkind: Pod\nmetadata: {name: kbad}\nspec:\n  containers: [{name: a, image: x}, {name: a, image: x}]\n", `spec.containers[1].name: "a": also the name of spec.containers[0]`},
		{"volume mount of no volume", pod("kbad", "    volumeMounts: [{name: nov, mountPath: /x}]\n"), `spec.containers[0].volumeMounts[0].name: "nov": no volume of that name`},
		{"hostPath type", "apiVersion: v1\nkind: Pod\nmetadata: {name: kbad}\nspec:\n  volumes: [{name: h, hostPath: {path: /nonexistent-podctl, type: Directory}}]\n  containers: [{name: a, image: x}]\n", "spec.volumes[0].hostPath.path: /nonexistent-podctl: no such directory"},
		{"negative sizeLimit", "apiVersion: v1\nkind: Pod\nmetadata: {name: kbad}\nspec:\n  volumes: [{name: e, emptyDir: {sizeLimit: -1Mi}}]\n  containers: [{name: a, image: x}]\n", "spec.volumes[0].emptyDir.sizeLimit: -1Mi: SizeLimit field must be a valid resource quantity"},
		{"malformed sizeLimit", "apiVersion: v1\nkind: Pod\nmetadata: {name: kbad}\nspec:\n  volumes: [{name: e, emptyDir: {sizeLimit: 1MB}}]\n  containers: [{name: a, image: x}]\n", `spec.volumes[0].emptyDir.sizeLimit: "1MB": quantities must match`},
		{"a later document is bad", cm + pod("kbad", "    imagee: x\n"), "document 2"},
		{"no object", "# nothing\n", "no object in it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, "apply", "-f", writeManifest(t, c.yaml))
			lines := errorLines(r.stderr)
			if r.code != 125 || len(lines) != 1 || !strings.Contains(lines[0], c.says) {
				t.Errorf("exit %d, stderr %q; want one error containing %q", r.code, r.stderr, c.says)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q: something was created", r.stdout)
			}
		})
	}
	if after := kept(t); after != before {
		t.Errorf("kept objects changed: %q -> %q", before, after)
	}
	// The second container's image is missing (and may not be pulled):
	// the first one's layer, made in the same call, goes too.
	store := readStore(t)
	r := run(t, "apply", "-f", writeManifest(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: kbadimg}\nspec:\n  containers:\n"+
		"  - {name: a, image: "+kubeImage+", command: [sleep, '1000']}\n  - {name: b, image: localhost/podctl-e2e/nope:1, imagePullPolicy: Never}\n"))
	if r.code != 125 || !strings.Contains(r.stderr, "container b") || !strings.Contains(r.stderr, "is not in the store") {
		t.Errorf("a missing image: exit %d, %q", r.code, r.stderr)
	}
	sameStore(t, "after an apply whose second image is missing", store)
	// --validate=warn runs the pod without the unsupported field, and
	// says which.
	warn := writeManifest(t, pod("kwarn", "    command: [sleep, '1000']\n    volumeDevices: [{name: d, devicePath: /dev/x}]\n"))
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", warn) })
	r = run(t, "apply", "--validate=warn", "-f", warn)
	if r.code != 0 || !strings.Contains(r.stderr, "warning: Pod kwarn: spec.containers[0].volumeDevices: not supported by podctl; ignored") {
		t.Errorf("--validate=warn: exit %d, %q", r.code, r.stderr)
	}
	mustRun(t, "delete", "--grace-period=0", "-f", warn)
	// A pod of that name exists already: refused, the first one untouched.
	twice := writeManifest(t, pod("ktwice", "    command: [sleep, '1000']\n"))
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", twice) })
	mustRun(t, "apply", "-f", twice)
	if r := run(t, "apply", "-f", twice); r.code != 125 || !strings.Contains(r.stderr, "pod ktwice already exists") {
		t.Errorf("second apply: exit %d, %q", r.code, r.stderr)
	}
	if st := state(t, "ktwice"); st.Phase != "Running" {
		t.Errorf("the first ktwice is %s", st.Phase)
	}
	mustRun(t, "delete", "--grace-period=0", "-f", twice)
	// Limits where no cgroup v2 is delegated: refused, naming the controller.
	if _, err := cgroups.Find(); err != nil {
		r := run(t, "apply", "-f", writeManifest(t, pod("klim", "    resources: {limits: {memory: 64Mi}}\n")))
		if r.code != 125 || !strings.Contains(r.stderr, "needs the cgroup v2 memory controller") {
			t.Errorf("limits without cgroup v2: exit %d, %q", r.code, r.stderr)
		}
	}
}

// Probes and lifecycle hooks, run by podctl itself: readiness gates Ready
// (and podctl wait), a failing liveness probe restarts the container with
// the reason in its last state, a startup probe kills a container that
// never starts, postStart runs as the container starts, preStop before
// its stop signal.
func TestKubeProbesAndHooks(t *testing.T) {
	leakCheck(t)
	loadKubeImage(t)
	hostDir := filepath.Join(t.TempDir(), "hooks")
	manifest := writeManifest(t, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: kprobe}
spec:
  terminationGracePeriodSeconds: 5
  volumes:
  - name: host
    hostPath: {path: %s, type: DirectoryOrCreate}
  containers:
  - name: web
    image: %s
    command: ["sh", "-c", "sleep 2; exec nettool serve tcp 0.0.0.0:8080"]
    ports: [{name: svc, containerPort: 8080}]
    readinessProbe:
      tcpSocket: {port: svc}
      periodSeconds: 1
    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "echo started > /tmp/post"]}
      preStop:
        exec: {command: ["sh", "-c", "echo bye > /host/prestop"]}
    volumeMounts: [{name: host, mountPath: /host}]
  - name: flaky
    image: %s
    command: ["sh", "-c", "touch /tmp/alive; sleep 2; rm /tmp/alive; sleep 1000"]
    livenessProbe:
      exec: {command: ["test", "-f", "/tmp/alive"]}
      periodSeconds: 1
      failureThreshold: 2
`, hostDir, kubeImage, kubeImage))
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", manifest) })
	mustRun(t, "apply", "-f", manifest)
	if c := ctr(t, state(t, "kprobe"), "web"); c.Ready {
		t.Errorf("web is Ready before its readiness probe succeeded")
	}
	mustRun(t, "wait", "--for", "condition=Ready", "--timeout", "30s", "kprobe")
	if out := execOut(t, "kprobe", "web", "cat /tmp/post"); out != "started" {
		t.Errorf("postStart: /tmp/post is %q", out)
	}
	eventually(t, "the liveness probe to restart flaky", func() bool {
		c := ctr(t, state(t, "kprobe"), "flaky")
		return c.RestartCount >= 1 && c.LastState.Terminated != nil && strings.Contains(c.LastState.Terminated.Message, "Liveness probe failed")
	})
	// preStop runs before the stop signal; delete uses the pod's grace.
	mustRun(t, "delete", "-f", manifest)
	if b, err := os.ReadFile(filepath.Join(hostDir, "prestop")); err != nil || string(b) != "bye\n" {
		t.Errorf("preStop did not run: %q %v", b, err)
	}

	// A startup probe that never succeeds kills its container.
	startup := writeManifest(t, `
apiVersion: v1
kind: Pod
metadata: {name: kstart}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: slow
    image: `+kubeImage+`
    command: ["sleep", "1000"]
    startupProbe:
      httpGet: {port: 8080, path: /healthz}
      periodSeconds: 1
      failureThreshold: 2
`)
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", startup) })
	mustRun(t, "apply", "-f", startup)
	eventually(t, "the startup probe to kill slow", func() bool {
		term := ctr(t, state(t, "kstart"), "slow").State.Terminated
		return term != nil && strings.Contains(term.Message, "Startup probe failed") && strings.Contains(term.Message, "connection refused")
	})
	mustRun(t, "delete", "--grace-period=0", "-f", startup)
}

// loadWebproxyImage loads the kube-proxy example's image,
// localhost/podctl-example/webproxy:1 (one static binary, $WEBPROXY, which
// run-tests.sh builds), for the test's duration.
func loadWebproxyImage(t *testing.T) {
	t.Helper()
	bin := os.Getenv("WEBPROXY")
	if bin == "" {
		t.Fatal("set WEBPROXY to a static build of examples/kube-proxy/webproxy (run-tests.sh does)")
	}
	root := filepath.Join(t.TempDir(), "root")
	os.Mkdir(root, 0o755)
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "webproxy"), b, 0o755)
	layer, err := imagebuild.DirLayer(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	loadImage(t, imagebuild.Image{Name: "localhost/podctl-example/webproxy:1", Layers: [][]byte{layer},
		Config: imagebuild.Config{Entrypoint: []string{"/webproxy"}}}, "oci-archive")
}

// The classic two-container pod (examples/kube-proxy): a ConfigMap made
// from the proxy's configuration file, mounted read-only into the proxy,
// which listens on port 80 (hostPort 8888) and forwards to the page
// container at 127.0.0.1:2368; curl 127.0.0.1:8888 gets the page through
// the proxy, and READY says 2/2. run-tests.sh builds webproxy ($WEBPROXY).
func TestKubeProxyExample(t *testing.T) {
	leakCheck(t)
	loadWebproxyImage(t)
	example := os.Getenv("PODCTL_EXAMPLES")
	if example == "" {
		example = "../../examples"
	}
	example = filepath.Join(example, "kube-proxy")
	run(t, "configmap", "rm", "proxy-conf")
	mustRun(t, "configmap", "create", "proxy-conf", "--from-file="+filepath.Join(example, "proxy.conf"))
	t.Cleanup(func() { run(t, "configmap", "rm", "proxy-conf") })
	manifest := filepath.Join(example, "pod.yaml")
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", manifest) })
	if out := mustRun(t, "apply", "-f", manifest); out != "pod/blog created\n" {
		t.Errorf("apply: %q", out)
	}
	mustRun(t, "wait", "--for", "condition=Ready", "--timeout", "30s", "blog")
	if out := mustRun(t, "ps"); !strings.Contains(strings.Join(strings.Fields(out), " "), "blog 2/2 Running") {
		t.Errorf("ps:\n%s", out)
	}
	resp, err := http.Get("http://127.0.0.1:8888/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(page) != "Hello from the page container, through the proxy\n" {
		t.Errorf("curl 127.0.0.1:8888: %d %q", resp.StatusCode, page)
	}
	if out := mustRun(t, "delete", "--grace-period=0", "-f", manifest); out != "pod/blog deleted\n" {
		t.Errorf("delete: %q", out)
	}
}

// A native sidecar (an init container with restartPolicy Always) starts
// in init order, the next init container waits for its startup probe,
// it runs beside the app container (READY counts it), is restarted
// whatever its exit, and is stopped once the app container is done: the
// pod then Succeeds, whatever the sidecar made of its SIGTERM.
func TestKubeSidecar(t *testing.T) {
	leakCheck(t)
	loadKubeImage(t)
	manifest := writeManifest(t, `
apiVersion: v1
kind: Pod
metadata: {name: kside}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 2
  volumes: [{name: shared, emptyDir: {}}]
  initContainers:
  - name: logger
    image: `+kubeImage+`
    restartPolicy: Always
    command: ["sh", "-c", "sleep 1; echo up > /shared/up; n=0; while [ $n -lt 3 ]; do n=$((n+1)); sleep 0.3; done; exit 3"]
    startupProbe:
      exec: {command: [test, -f, /shared/up]}
      periodSeconds: 1
    volumeMounts: [{name: shared, mountPath: /shared}]
  - name: after
    image: `+kubeImage+`
    command: ["sh", "-c", "cat /shared/up > /shared/seen"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  containers:
  - name: main
    image: `+kubeImage+`
    command: ["sh", "-c", "cat /shared/seen; sleep 4"]
    volumeMounts: [{name: shared, mountPath: /shared}]
`)
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", manifest) })
	mustRun(t, "apply", "-f", manifest)
	mustRun(t, "wait", "--for", "condition=Ready", "--timeout", "30s", "kside")
	if out := strings.Join(strings.Fields(mustRun(t, "ps")), " "); !strings.Contains(out, "kside 2/2 Running") {
		t.Errorf("ps while running: %s", out)
	}
	eventually(t, "the sidecar to be restarted (it exits 3 after ~1 s)", func() bool {
		return ctr(t, state(t, "kside"), "logger").RestartCount >= 1
	})
	eventually(t, "the pod to succeed", func() bool {
		return state(t, "kside").Phase == "Succeeded"
	})
	st := state(t, "kside")
	if out := mustRun(t, "logs", "-c", "main", "kside"); out != "up\n" {
		t.Errorf("main saw %q: the init container after the sidecar did not wait for its start", out)
	}
	if c := ctr(t, st, "main"); c.State.Terminated == nil || c.State.Terminated.ExitCode != 0 {
		t.Errorf("main: %+v", c.State)
	}
	if c := ctr(t, st, "logger"); c.State.Terminated == nil {
		t.Errorf("the sidecar was not stopped with the pod: %+v", c.State)
	}
	mustRun(t, "delete", "-f", manifest)
}

// An emptyDir's sizeLimit, the kubelet's way: the volume is measured every
// interval (200 ms here), and a pod whose volume holds more than its limit
// is evicted: Failed, reason Evicted, the kubelet's message naming the
// volume. A pod below its limit runs on, its supervisor hibernating between
// measurements: the keeper wakes it for each, so what its volume gains
// while it hibernates (written from the host here, no event of the pod's)
// evicts it too.
func TestKubeEmptyDirSizeLimit(t *testing.T) {
	leakCheck(t)
	loadKubeImage(t)
	t.Setenv("PODCTL_EVICTION_INTERVAL", "200ms")
	t.Setenv("PODCTL_HIBERNATE_AFTER", "50ms")
	manifest := writeManifest(t, `
apiVersion: v1
kind: Pod
metadata: {name: kbig}
spec:
  terminationGracePeriodSeconds: 30
  volumes:
  - {name: scratch, emptyDir: {sizeLimit: 1Mi}}
  containers:
  - name: writer
    image: `+kubeImage+`
    command: ["sh", "-c", "trap '' TERM; dd if=/dev/zero of=/scratch/fill bs=1024 count=2048; while :; do sleep 0.1; done"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
---
apiVersion: v1
kind: Pod
metadata: {name: ksmall}
spec:
  volumes:
  - {name: cache, emptyDir: {medium: Memory, sizeLimit: 1Mi}}
  containers:
  - name: writer
    image: `+kubeImage+`
    command: ["sh", "-c", "dd if=/dev/zero of=/cache/fill bs=1024 count=512; sleep 1000"]
    volumeMounts: [{name: cache, mountPath: /cache}]
`)
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", manifest) })
	start := time.Now()
	mustRun(t, "apply", "-f", manifest)

	eventually(t, "kbig to be evicted", func() bool {
		return state(t, "kbig").Phase == "Failed"
	})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("kbig evicted after %s, want a few intervals of 200 ms", d)
	}
	st := state(t, "kbig")
	if want := `Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". `; st.Reason != "Evicted" || st.Message != want {
		t.Errorf("kbig: reason %q, message %q; want Evicted, %q", st.Reason, st.Message, want)
	}
	if c := ctr(t, st, "writer"); c.State.Terminated == nil || c.RestartCount != 0 {
		t.Errorf("kbig's container after the eviction: %+v, %d restarts; want terminated, not restarted", c.State, c.RestartCount)
	} else {
		// It ignores SIGTERM: the eviction's SIGKILL ends it, 1 s after
		// the SIGTERM whatever its 30 s terminationGracePeriodSeconds
		// says. (Bounds that tell 1 s from 0 and from 30, not a speed.)
		term := c.State.Terminated
		if term.ExitCode != 137 {
			t.Errorf("kbig's container ended with %d, want 137 (the eviction's SIGKILL)", term.ExitCode)
		}
		if d := term.FinishedAt.Sub(term.StartedAt); d < time.Second || d > 10*time.Second {
			t.Errorf("kbig's container lived %s: want its eviction's 1 s of grace, not its own 30 s", d)
		}
	}
	if out := strings.Join(strings.Fields(mustRun(t, "ps", "-a")), " "); !strings.Contains(out, "kbig 0/1 Evicted") {
		t.Errorf("ps -a: %s", out)
	}
	if out := mustRun(t, "inspect", "kbig"); !strings.Contains(out, `"reason": "Evicted"`) || !strings.Contains(out, `Usage of EmptyDir volume \"scratch\"`) {
		t.Errorf("inspect kbig:\n%s", out)
	}
	if out := mustRun(t, "generate", "kube", "kbig"); !strings.Contains(out, "sizeLimit: 1Mi") {
		t.Errorf("generate kube lost the sizeLimit:\n%s", out)
	}

	// ksmall wrote 512 KiB into its Memory emptyDir of 1Mi: it runs on,
	// through a few intervals, hibernating between them.
	fill := filepath.Join(stateDir(), "ksmall", "volumes", "cache", "fill")
	eventually(t, "ksmall's 512 KiB", func() bool {
		fi, err := os.Stat(fill)
		return err == nil && fi.Size() == 512<<10
	})
	sup := state(t, "ksmall").Supervisor.PID
	asleep := func() bool { return hibernated(sup) }
	eventually(t, "ksmall's supervisor to hibernate", asleep)
	time.Sleep(time.Second) // 5 intervals
	if st := state(t, "ksmall"); st.Phase != "Running" || st.Reason != "" || st.Supervisor.PID != sup {
		t.Fatalf("ksmall below its limit: phase %s, reason %q, supervisor %d (was %d); want Running", st.Phase, st.Reason, st.Supervisor.PID, sup)
	}
	eventually(t, "ksmall's supervisor to hibernate again", asleep)
	// 1 MiB more, from the host: only the measurement can see it.
	if err := os.WriteFile(filepath.Join(filepath.Dir(fill), "more"), make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ksmall to be evicted", func() bool {
		return state(t, "ksmall").Phase == "Failed"
	})
	if st := state(t, "ksmall"); st.Reason != "Evicted" || !strings.Contains(st.Message, `EmptyDir volume "cache" exceeds the limit "1Mi"`) {
		t.Errorf("ksmall: reason %q, message %q", st.Reason, st.Message)
	}
	// Evicted pods are deleted as any other, with their volumes.
	if out := mustRun(t, "delete", "-f", manifest); out != "pod/kbig deleted\npod/ksmall deleted\n" {
		t.Errorf("delete: %q", out)
	}
}

// ConfigMap and Secret input is checked as the API server checks it, at
// create as at apply (issue 19): every key one file name of
// [-._a-zA-Z0-9] (not "." or ".."), 1 MiB in all, a --from-file read no
// further than that. A refused object is not kept. One changed on disk
// behind podctl's back is refused when a pod would use it, as corrupt.
func TestKubeKeptObjectBadInput(t *testing.T) {
	leakCheck(t)
	t.Cleanup(func() { run(t, "configmap", "rm", "kc-bad", "kc-tampered") })
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"configmap", "create", "kc-bad", "--from-literal", "../evil=x"}, `key "../evil"`},
		{[]string{"configmap", "create", "kc-bad", "--from-literal", "..=x"}, `key ".."`},
		{[]string{"configmap", "create", "kc-bad", "--from-literal", "a/b=x"}, `key "a/b"`},
		{[]string{"configmap", "create", "kc-bad", "--from-literal", "a\nb=x"}, `key "a\nb"`},
		{[]string{"secret", "create", "kc-bad", "--from-literal", "../evil=x"}, `key "../evil"`},
		{[]string{"configmap", "create", "kc-bad", "--from-file", "z=/dev/zero"}, "1 MiB"},
	} {
		r := run(t, c.args...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: exit %d, %q; want a refusal naming %q", c.args, r.code, r.stderr, c.want)
		}
	}
	for _, kind := range []string{"configmap", "secret"} {
		if out := mustRun(t, kind, "ls"); strings.Contains(out, "kc-bad") {
			t.Errorf("a refused %s was kept: %q", kind, out)
		}
	}
	manifest := writeManifest(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kc-bad}\ndata: {a/b: x}\n")
	if r := run(t, "apply", "-f", manifest); r.code == 0 || !strings.Contains(r.stderr, `key "a/b"`) {
		t.Errorf("apply of a ConfigMap with key a/b: exit %d, %q", r.code, r.stderr)
	}
	// Kept well, then changed on disk: a pod that would use it is refused.
	mustRun(t, "configmap", "create", "kc-tampered", "--from-literal", "good=x")
	file := filepath.Join(filepath.Dir(stateDir()), "kube", "configmap", "kc-tampered.json")
	if err := os.WriteFile(file, []byte(`{"metadata":{"name":"kc-tampered"},"data":{"../../escape":"x"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	loadKubeImage(t)
	pod := writeManifest(t, `
apiVersion: v1
kind: Pod
metadata: {name: kc-user}
spec:
  volumes: [{name: v, configMap: {name: kc-tampered}}]
  containers:
  - {name: a, image: `+kubeImage+`, command: [sleep, "1000"], volumeMounts: [{name: v, mountPath: /v}]}
`)
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", pod) })
	if r := run(t, "apply", "-f", pod); r.code == 0 || !strings.Contains(r.stderr, "corrupt configmap") || !strings.Contains(r.stderr, "escape") {
		t.Errorf("apply of a pod using a tampered ConfigMap: exit %d, %q", r.code, r.stderr)
	}
}
