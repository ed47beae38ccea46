package model

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseUserSpec checks the syntax of -u USER[:GROUP], where each part is a
// name or a number, without looking anything up; names are resolved later,
// inside the container's rootfs.
func ParseUserSpec(spec string) (user, group string, err error) {
	if spec == "" {
		return "", "", nil
	}
	user, group, hasGroup := strings.Cut(spec, ":")
	bad := func(why string) error {
		return fmt.Errorf("invalid --user %q: %s; use UID[:GID] or NAME[:GROUP], e.g. -u 1000:1000", spec, why)
	}
	if user == "" {
		return "", "", bad("the user part is empty")
	}
	if hasGroup && group == "" {
		return "", "", bad("the group part after ':' is empty")
	}
	for _, part := range []string{user, group} {
		if strings.ContainsAny(part, ":/ \t\n") {
			return "", "", bad(fmt.Sprintf("%q is not a name or number", part))
		}
		if part != "" && (part[0] == '-' || part[0] == '+' || IsDigit(part[0])) {
			// 4294967295 is (uid_t)-1, which setresuid(2) reads as
			// "leave unchanged": never a real id.
			if n, err := strconv.ParseUint(part, 10, 32); err != nil || n == 4294967295 {
				return "", "", bad(fmt.Sprintf("%q is not an id between 0 and 4294967294", part))
			}
		}
	}
	return user, group, nil
}

func IsDigit(c byte) bool { return c >= '0' && c <= '9' }
