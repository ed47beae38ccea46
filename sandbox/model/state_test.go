package model

import (
	"testing"
)

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"a", "web-1", "0abc"} {
		if err := ValidateName("pod", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", "a-", "A", "a_b", "a.b", string(make([]byte, 64))} {
		if ValidateName("pod", bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
