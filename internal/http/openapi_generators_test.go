package http_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ogen, pinned: a second Go generator, stricter than oapi-codegen about names and schemas.
const (
	ogen        = "github.com/ogen-go/ogen"
	ogenVersion = "v1.25.0"
)

// TestOgenGeneratesCodeThatBuilds: ogen generates its client and server from the document
// with no error, and the generated package builds and passes go vet, in a module of its
// own that requires only ogen. (The Go client the tests drive is oapi-codegen's, in
// internal/http/contract/apiclient.)
func TestOgenGeneratesCodeThatBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ogen and builds its output")
	}
	doc, err := filepath.Abs("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	goCmd := func(args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	goMod := "module ogencheck\n\ngo 1.26\n\nrequire " + ogen + " " + ogenVersion + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644); err != nil {
		t.Fatal(err)
	}
	goCmd("run", ogen+"/cmd/ogen@"+ogenVersion, "--target", "api", "--package", "api", "--clean", doc)
	goCmd("mod", "tidy")
	goCmd("build", "./...")
	goCmd("vet", "./...")
}
