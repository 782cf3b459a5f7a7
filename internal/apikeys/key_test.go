package apikeys

import (
	"regexp"
	"strings"
	"testing"
)

func TestKeysCarryAChecksumThatRecognisesThem(t *testing.T) {
	shape := regexp.MustCompile(`^sk_(live|test)_[0-9A-Za-z]{49}$`)
	seen := map[string]bool{}
	for _, kind := range []string{LivePrefix, TestPrefix} {
		for range 50 {
			k := newKey(kind)
			if !shape.MatchString(k) || !strings.HasPrefix(k, kind) || !Recognise(k) {
				t.Fatalf("newKey(%q) = %q: not the documented shape, or not recognised", kind, k)
			}
			if seen[k] || seen[PublicPrefix(k)] {
				t.Fatalf("a key or prefix came twice: %q", k)
			}
			seen[k], seen[PublicPrefix(k)] = true, true
			if p := PublicPrefix(k); p != k[:16] || !strings.HasPrefix(p, kind) {
				t.Fatalf("PublicPrefix(%q) = %q", k, p)
			}
		}
	}
	k := newKey(LivePrefix)
	// Every single-character change of the body or the checksum is caught.
	for i := len(LivePrefix); i < len(k); i++ {
		for _, c := range []byte{'0', 'a', 'Z'} {
			if k[i] == c {
				continue
			}
			mangled := k[:i] + string(c) + k[i+1:]
			if Recognise(mangled) {
				t.Fatalf("Recognise accepts %q, %q with character %d changed", mangled, k, i)
			}
		}
	}
	for _, bad := range []string{"", k[:len(k)-1], k + "0", "sk_dev_" + k[8:], "op_" + k[3:], strings.Replace(k, "sk_live_", "sk_test_", 1),
		k[:20] + "-" + k[21:], "test-key-0123456789abcdef"} {
		if Recognise(bad) {
			t.Errorf("Recognise(%q) = true", bad)
		}
	}
}

func TestScopes(t *testing.T) {
	for _, c := range []struct {
		scope                   Scope
		read, checkout, writeOK bool
	}{
		{Read, true, false, false},
		{Checkout, true, true, false},
		{Full, true, true, true},
		{Scope("admin"), false, false, false},
	} {
		if c.scope.Allows(AccessRead) != c.read || c.scope.Allows(AccessCheckout) != c.checkout || c.scope.Allows(AccessWrite) != c.writeOK {
			t.Errorf("%s: allows read %t checkout %t write %t", c.scope, c.scope.Allows(AccessRead), c.scope.Allows(AccessCheckout), c.scope.Allows(AccessWrite))
		}
	}
	if _, err := ParseScope("admin"); err == nil {
		t.Error("ParseScope accepts admin")
	}
}
