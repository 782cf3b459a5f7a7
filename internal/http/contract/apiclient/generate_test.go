package apiclient_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGeneratedClientIsCurrent runs the go:generate line of generate.go with its output in
// a temporary folder and fails when apiclient.gen.go is not what it writes: a change to the
// document, the configuration or the pinned version that was not followed by
// `make generate`.
func TestGeneratedClientIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs oapi-codegen")
	}
	args := generateLine(t)
	i := slices.Index(args, "-o")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("the go:generate line %q names no output (-o)", strings.Join(args, " "))
	}
	committed, err := os.ReadFile(args[i+1])
	if err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(t.TempDir(), "apiclient.gen.go")
	args[i+1] = fresh
	cmd := exec.Command("go", args[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	want, err := os.ReadFile(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, want) {
		t.Errorf("apiclient.gen.go is not what oapi-codegen generates from the document today (first difference at line %d): run make generate",
			firstDifference(committed, want))
	}
}

// generateLine returns the command of generate.go's go:generate line, split into words.
func generateLine(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("generate.go")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(src)) {
		if rest, ok := strings.CutPrefix(line, "//go:generate "); ok {
			args := strings.Fields(rest)
			if len(args) < 2 || args[0] != "go" {
				t.Fatalf("the go:generate line %q does not run go", rest)
			}
			return args
		}
	}
	t.Fatal("generate.go has no go:generate line")
	return nil
}

// firstDifference returns the number of the first line where a and b differ.
func firstDifference(a, b []byte) int {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range min(len(la), len(lb)) {
		if !bytes.Equal(la[i], lb[i]) {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}
