package stage

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/podctl/podctl/sandbox/model"
)

// credential is who the workload runs as.
type credential struct {
	uid, gid uint32
	groups   []uint32
	home     string
}

// passwdEntry and groupEntry are lines of /etc/passwd (passwd(5)) and
// /etc/group (group(5)).
type passwdEntry struct {
	name     string
	uid, gid uint32
	home     string
}

type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// resolveUser runs inside the container (after pivot_root), so the names of
// -u are those of the container's own /etc/passwd and /etc/group.
func resolveUser(spec string, mapped uint64) (credential, error) {
	return resolveUserIn("/etc", spec, mapped)
}

// resolveUserIn resolves spec with the passwd and group files of etc.
func resolveUserIn(etc, spec string, mapped uint64) (credential, error) {
	users, _ := readPasswd(etc + "/passwd")
	groups, _ := readGroups(etc + "/group")
	userPart, groupPart, err := model.ParseUserSpec(spec)
	if err != nil {
		return credential{}, err
	}
	c := credential{home: "/"}
	var pw *passwdEntry
	switch {
	case userPart == "":
		pw = findUser(users, "", 0)
		if pw == nil {
			c.home = "/root"
		}
	case model.IsDigit(userPart[0]):
		n, _ := strconv.ParseUint(userPart, 10, 32)
		c.uid = uint32(n)
		pw = findUser(users, "", c.uid)
	default:
		if pw = findUser(users, userPart, 0); pw == nil {
			return c, fmt.Errorf("--user %q: no user named %q in the rootfs's /etc/passwd; give a numeric uid or add the user to the image", spec, userPart)
		}
	}
	if pw != nil {
		c.uid, c.gid, c.home = pw.uid, pw.gid, pw.home
	}
	if groupPart != "" {
		if model.IsDigit(groupPart[0]) {
			n, _ := strconv.ParseUint(groupPart, 10, 32)
			c.gid = uint32(n)
		} else {
			g := findGroup(groups, groupPart)
			if g == nil {
				return c, fmt.Errorf("--user %q: no group named %q in the rootfs's /etc/group", spec, groupPart)
			}
			c.gid = g.gid
		}
	}
	if uint64(c.uid) >= mapped || uint64(c.gid) >= mapped {
		return c, fmt.Errorf("--user %q: uid %d / gid %d is not mapped in the pod's user namespace, which maps ids 0-%d; "+
			"use a smaller id or give your user a larger range in /etc/subuid and /etc/subgid", spec, c.uid, c.gid, mapped-1)
	}
	// Supplementary groups: those listing the user as a member, as
	// initgroups(3) would compute them; unmapped gids are skipped.
	if pw != nil {
		for _, g := range groups {
			for _, m := range g.members {
				if m == pw.name && g.gid != c.gid && uint64(g.gid) < mapped {
					c.groups = append(c.groups, g.gid)
				}
			}
		}
	}
	return c, nil
}

func findUser(users []passwdEntry, name string, uid uint32) *passwdEntry {
	for i := range users {
		if (name != "" && users[i].name == name) || (name == "" && users[i].uid == uid) {
			return &users[i]
		}
	}
	return nil
}

func findGroup(groups []groupEntry, name string) *groupEntry {
	for i := range groups {
		if groups[i].name == name {
			return &groups[i]
		}
	}
	return nil
}

func readColonFile(path string, fields int, each func([]string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		if parts := strings.Split(line, ":"); len(parts) >= fields {
			each(parts)
		}
	}
	return sc.Err()
}

func readPasswd(path string) ([]passwdEntry, error) {
	var out []passwdEntry
	err := readColonFile(path, 7, func(p []string) {
		uid, err1 := strconv.ParseUint(p[2], 10, 32)
		gid, err2 := strconv.ParseUint(p[3], 10, 32)
		if err1 == nil && err2 == nil {
			out = append(out, passwdEntry{name: p[0], uid: uint32(uid), gid: uint32(gid), home: p[5]})
		}
	})
	return out, err
}

func readGroups(path string) ([]groupEntry, error) {
	var out []groupEntry
	err := readColonFile(path, 4, func(p []string) {
		gid, err := strconv.ParseUint(p[2], 10, 32)
		if err != nil {
			return
		}
		g := groupEntry{name: p[0], gid: uint32(gid)}
		if p[3] != "" {
			g.members = strings.Split(p[3], ",")
		}
		out = append(out, g)
	})
	return out, err
}
