package stage

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/nsenter"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/forkexec"
	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/model"
	"golang.org/x/sys/unix"
)

// The per-user namespace. For a user with a subordinate id range, each pod
// (and each image store helper) gets a user namespace of its own made
// inside one per-user namespace, which newuidmap and newgidmap mapped once
// and podctl-userns holds (nsenter.c, "nest"): the pod's maps are then
// written from inside it, with no setuid helper, and seen from the host
// they are what the helpers would have written. The holder exits once
// PODCTL_USERNS_LINGER seconds (default 60) pass without a pod start;
// PODCTL_USERNS_LINGER=0 keeps none, and every pod is mapped by the
// helpers. Its record, StateRoot()/userns.json, is read back as untrusted
// input: the process it names is used only if it is alive with the
// recorded start time, is called podctl-userns, and holds a namespace
// owned by this user, child of this process's own, with exactly the
// expected maps.

// DefaultUsernsLinger is how long podctl-userns waits for the next pod.
const DefaultUsernsLinger = 60

const (
	nestRecordFile = "userns.json"
	nestLockFile   = "userns.lock"
	nestHolderName = "podctl-userns"
)

// Nest is a way into the per-user namespace for one stage: the namespace
// itself (an open descriptor keeps it alive even if its holder ends
// meanwhile) and the maps of the namespace the stage makes, relative to it.
type Nest struct {
	userns         *os.File
	uidMap, gidMap string
	holder         int
}

// nestRecord is StateRoot()/userns.json.
type nestRecord struct {
	Holder model.ProcRef `json:"holder"`
	BootID string        `json:"bootID"`
}

// UsernsLinger reads PODCTL_USERNS_LINGER: seconds, 0 for no per-user
// namespace.
func UsernsLinger() (int, error) {
	v, ok := os.LookupEnv("PODCTL_USERNS_LINGER")
	if !ok || v == "" {
		return DefaultUsernsLinger, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 86400 {
		return 0, fmt.Errorf("PODCTL_USERNS_LINGER=%q: want a whole number of seconds up to 86400 (0: map every pod with newuidmap and newgidmap)", v)
	}
	return n, nil
}

// OpenNest returns the per-user namespace that a stage mapped as ids should
// be made in, starting its holder if none runs; nil when ids need no
// setuid helper (root, a single id) or PODCTL_USERNS_LINGER=0. Where the
// namespace cannot be had, it says why under --explain and returns nil:
// the helpers map the stage as before.
func OpenNest(ids idmap.Mapping) (*Nest, error) {
	if !ids.Helpers {
		return nil, nil
	}
	linger, err := UsernsLinger()
	if err != nil || linger == 0 {
		return nil, err
	}
	uids, gids := idmap.NestParent(idmap.Detect())
	n := &Nest{}
	if n.uidMap, err = idmap.NestMap(ids.UIDs, uids); err == nil {
		n.gidMap, err = idmap.NestMap(ids.GIDs, gids)
	}
	if err == nil {
		n.userns, n.holder, err = nestNamespace(uids, gids, linger)
	}
	if err != nil {
		explain.Printf("podctl", "no per-user namespace (%v): newuidmap and newgidmap map this one", err)
		return nil, nil
	}
	return n, nil
}

// Close closes the namespace's descriptor (a started stage has its own).
func (n *Nest) Close() {
	if n != nil && n.userns != nil {
		n.userns.Close()
	}
}

// Pass gives cmd, a stage that makes a user namespace (the pause, the
// image store helper), the per-user namespace as its next inherited
// descriptor, and the maps of the namespace it makes.
func (n *Nest) Pass(cmd *forkexec.Cmd) {
	cmd.ExtraFiles = append(cmd.ExtraFiles, n.userns)
	cmd.Env = append(cmd.Env,
		fmt.Sprintf("%s=%d", nsenter.EnvNestUserns, 3+len(cmd.ExtraFiles)),
		nsenter.EnvNestUIDMap+"="+n.uidMap, nsenter.EnvNestGIDMap+"="+n.gidMap)
}

// explain narrates the mapping podctl left to the stage.
func (n *Nest) explain(whose string) {
	explain.Printf("podctl", "maps %s's ids with no setuid helper: made inside the per-user namespace of podctl-userns (pid %d), whose child writes uid_map %s, gid_map %s (relative to it)",
		whose, n.holder, strings.ReplaceAll(strings.TrimSpace(n.uidMap), "\n", "; "), strings.ReplaceAll(strings.TrimSpace(n.gidMap), "\n", "; "))
}

// nestNamespace opens the recorded holder's namespace, or starts a holder
// (under the lock, so that two commands do not both start one).
func nestNamespace(uids, gids []idmap.Range, linger int) (*os.File, int, error) {
	root, err := model.StateRoot()
	if err != nil {
		return nil, 0, err
	}
	if f, pid, err := openHolder(root, uids, gids); err == nil {
		return f, pid, nil
	}
	lock, err := model.LockFile(filepath.Join(root, nestLockFile), unix.LOCK_EX)
	if err != nil {
		return nil, 0, err
	}
	defer lock.Close()
	f, pid, err := openHolder(root, uids, gids) // another command may have started one
	if err == nil {
		return f, pid, nil
	}
	explain.Printf("podctl", "no per-user namespace to use (%v): starts podctl-userns", err)
	return startHolder(root, uids, gids, linger)
}

// openHolder opens the namespace of the recorded holder, checking all of
// it, and tells the holder it was used (SIGUSR1 restarts its wait).
func openHolder(root string, uids, gids []idmap.Range) (*os.File, int, error) {
	rec, err := readNestRecord(filepath.Join(root, nestRecordFile))
	if err != nil {
		return nil, 0, err
	}
	pid := rec.Holder.PID
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("recorded holder %d: %w", pid, err)
	}
	defer unix.Close(pidfd)
	// The pidfd names one process for good; the start time, read after it
	// was opened, says it is the recorded one and not a recycled pid.
	if !rec.Holder.Alive() {
		return nil, 0, fmt.Errorf("recorded holder %d has ended", pid)
	}
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) != nestHolderName {
		return nil, 0, fmt.Errorf("recorded holder %d is not %s", pid, nestHolderName)
	}
	f, err := netsetup.OpenNamespace(pid, pidfd, "user")
	if err != nil {
		return nil, 0, err
	}
	if err := checkNest(f, pid, uids, gids); err != nil {
		f.Close()
		return nil, 0, err
	}
	// Alive now, so every /proc/PID file read above was its own.
	if err := unix.PidfdSendSignal(pidfd, unix.SIGUSR1, nil, 0); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("recorded holder %d: %w", pid, err)
	}
	return f, pid, nil
}

// readNestRecord reads the record, a regular file of at most 4 KiB (a
// FIFO put there must not hang podctl, nor a symlink lead elsewhere), of
// this boot.
func readNestRecord(path string) (nestRecord, error) {
	var rec nestRecord
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	if err != nil {
		return rec, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return rec, fmt.Errorf("%s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4097))
	if err != nil {
		return rec, err
	}
	if len(b) > 4096 {
		return rec, fmt.Errorf("%s: larger than 4 KiB", path)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("%s: %w", path, err)
	}
	if rec.BootID != model.BootID() || rec.Holder.PID <= 0 {
		return rec, fmt.Errorf("%s: of another boot, or no holder", path)
	}
	return rec, nil
}

// checkNest checks that f, the user namespace of pid, is this user's, a
// child of our own, and maps exactly uids and gids.
func checkNest(f *os.File, pid int, uids, gids []idmap.Range) error {
	owner, err := unix.IoctlGetUint32(int(f.Fd()), unix.NS_GET_OWNER_UID)
	if err != nil || int(owner) != os.Getuid() {
		return fmt.Errorf("the user namespace of %d is not this user's (owner %d, %v)", pid, owner, err)
	}
	pfd, err := unix.IoctlRetInt(int(f.Fd()), unix.NS_GET_PARENT)
	if err != nil {
		return fmt.Errorf("the parent of the user namespace of %d: %w", pid, err)
	}
	var parent, own unix.Stat_t
	err = unix.Fstat(pfd, &parent)
	unix.Close(pfd)
	if err == nil {
		err = unix.Stat("/proc/self/ns/user", &own)
	}
	if err != nil || parent.Dev != own.Dev || parent.Ino != own.Ino {
		return fmt.Errorf("the user namespace of %d is not a child of ours", pid)
	}
	for _, m := range []struct {
		file string
		want []idmap.Range
	}{{"uid_map", uids}, {"gid_map", gids}} {
		got, err := idmap.ReadMap(fmt.Sprintf("/proc/%d/%s", pid, m.file))
		if err != nil {
			return err
		}
		if !idmap.SameRanges(got, m.want) {
			return fmt.Errorf("the %s of %d is %s, not %s (/etc/subuid or /etc/subgid changed?)", m.file, pid, idmap.FormatRanges(got), idmap.FormatRanges(m.want))
		}
	}
	return nil
}

// startHolder starts podctl-userns, maps it with the helpers, records it,
// and opens its namespace. On error the holder is killed and no record
// names it.
func startHolder(root string, uids, gids []idmap.Range, linger int) (*os.File, int, error) {
	cmd := &forkexec.Cmd{Path: SelfExe, Args: []string{nestHolderName},
		Env: []string{nsenter.EnvStage + "=" + nsenter.StageUsernest, nsenter.EnvSyncFD + "=3",
			nsenter.EnvUsernsLinger + "=" + strconv.Itoa(linger)},
		// Its own session: it outlives this command, and a Ctrl-C at this
		// command's terminal is not for it.
		Sys: &syscall.SysProcAttr{Setsid: true}}
	proc, sock, err := SpawnStage("the per-user namespace", cmd, nil, true)
	if err != nil {
		return nil, 0, err
	}
	defer sock.Close()
	word, rest, err := sock.RecvText()
	proc.Wait() // the stage forked the holder and exited
	if err != nil {
		return nil, 0, err
	}
	pid, perr := strconv.Atoi(rest)
	if word != "unshared" || perr != nil || pid <= 0 {
		return nil, 0, fmt.Errorf("podctl-userns: expected 'unshared PID', got %q", word+" "+rest)
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("podctl-userns %d: %w", pid, err)
	}
	defer unix.Close(pidfd)
	f, err := recordHolder(root, pid, pidfd, uids, gids)
	if err != nil {
		unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
		return nil, 0, err
	}
	return f, pid, nil
}

// recordHolder maps the new holder, opens its namespace and records it.
func recordHolder(root string, pid, pidfd int, uids, gids []idmap.Range) (*os.File, error) {
	explain.Printf("podctl", "maps the per-user namespace once: uid_map %s, gid_map %s (newuidmap, newgidmap)", idmap.FormatRanges(uids), idmap.FormatRanges(gids))
	if err := (idmap.Mapping{UIDs: uids, GIDs: gids, Helpers: true}).Apply(pid); err != nil {
		return nil, fmt.Errorf("mapping the per-user namespace: %w", err)
	}
	rec := nestRecord{Holder: model.ProcRef{PID: pid}, BootID: model.BootID()}
	var err error
	if rec.Holder.StartTime, err = model.ProcStartTime(pid); err != nil {
		return nil, err
	}
	f, err := netsetup.OpenNamespace(pid, pidfd, "user")
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(rec)
	if err := model.WriteFileAtomic(filepath.Join(root, nestRecordFile), nestRecordFile+".*", b); err != nil {
		f.Close()
		return nil, fmt.Errorf("recording the per-user namespace: %w", err)
	}
	return f, nil
}
