package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Images cannot be built in the test environment, so these tests hold the Dockerfile to
// what can be checked without a daemon: it builds the binary `make build` builds (the one
// `make test` tests), with the same flags and package, stamps the version into a variable
// that exists, and has the shape the issue asks for.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	keyword string // upper case: FROM, RUN, ...
	args    string
}

func readDockerfile(t *testing.T) []instruction {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	for line := range strings.Lines(string(data)) {
		line = strings.TrimRight(line, "\r\n")
		if trimmed := strings.TrimSpace(line); cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		keyword, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, instruction{strings.ToUpper(keyword), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// goBuild is one `go build` command line: its environment assignments, its arguments
// without the output path, and that path.
type goBuild struct {
	env    []string
	args   []string
	output string
}

func parseGoBuild(t *testing.T, line string) goBuild {
	t.Helper()
	words := shellWords(t, line)
	var b goBuild
	for len(words) > 0 && strings.Contains(words[0], "=") {
		b.env = append(b.env, words[0])
		words = words[1:]
	}
	if len(words) < 2 || filepath.Base(words[0]) != "go" || words[1] != "build" {
		t.Fatalf("not a go build command: %q", line)
	}
	for i := 2; i < len(words); i++ {
		if words[i] == "-o" && i+1 < len(words) {
			b.output = words[i+1]
			i++
			continue
		}
		b.args = append(b.args, words[i])
	}
	slices.Sort(b.env)
	return b
}

// shellWords splits a POSIX shell command line into words, honouring single and double
// quotes (enough for build commands; no expansions).
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("unterminated quote in %q", s)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// makeDryRun prints the commands a make target would run, with VERSION set.
func makeDryRun(t *testing.T, target, version string) string {
	t.Helper()
	cmd := exec.Command("make", "-n", "-s", "--no-print-directory", target, "VERSION="+version)
	cmd.Dir = ".."
	// Under `make test` this is a sub-make: keep the parent's flags and overrides out.
	cmd.Env = append(os.Environ(), "MAKEFLAGS=", "MAKELEVEL=", "MFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n %s: %v\n%s", target, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestDockerfileBuildsWhatMakeBuilds(t *testing.T) {
	const version = "v1.2.3-test"
	var dockerLine string
	for _, in := range readDockerfile(t) {
		if in.keyword == "RUN" && strings.Contains(in.args, "go build") {
			if dockerLine != "" {
				t.Fatal("the Dockerfile runs go build more than once")
			}
			dockerLine = in.args
		}
	}
	if dockerLine == "" {
		t.Fatal("the Dockerfile has no RUN ... go build")
	}
	dockerLine = strings.NewReplacer("${VERSION}", version, "$VERSION", version).Replace(dockerLine)
	docker := parseGoBuild(t, dockerLine)
	mk := parseGoBuild(t, makeDryRun(t, "build", version))

	if !slices.Equal(docker.env, mk.env) {
		t.Errorf("environment: Dockerfile %v, make build %v", docker.env, mk.env)
	}
	if !slices.Equal(docker.args, mk.args) {
		t.Errorf("go build arguments:\n Dockerfile %q\n make build %q", docker.args, mk.args)
	}
	if !slices.Contains(docker.env, "CGO_ENABLED=0") {
		t.Error("the binary is not static: CGO_ENABLED=0 is missing")
	}
	ldflags := ""
	for i, a := range docker.args {
		if a == "-ldflags" && i+1 < len(docker.args) {
			ldflags = docker.args[i+1]
		}
	}
	if !strings.Contains(ldflags, "-X main.version="+version) {
		t.Errorf("-ldflags %q does not stamp main.version", ldflags)
	}

	// The binary the Dockerfile builds is the one the image copies and runs.
	var copied, entrypoint string
	for _, in := range readDockerfile(t) {
		if in.keyword == "COPY" && strings.HasPrefix(in.args, "--from=") {
			f := strings.Fields(in.args)
			if len(f) == 3 && f[1] == docker.output {
				copied = f[2]
			}
		}
		if in.keyword == "ENTRYPOINT" {
			entrypoint = in.args
		}
	}
	if copied == "" || entrypoint != `["`+copied+`"]` {
		t.Errorf("the image copies %q and runs %s; want it to run the binary go build wrote (%s)", copied, entrypoint, docker.output)
	}
}

// TestVersionVariable checks that the -X target exists: a package-level string variable
// `version` in cmd/gateway (the linker silently ignores -X for a missing one).
func TestVersionVariable(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "cmd", "gateway", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := false
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if name.Name != "version" {
						continue
					}
					// -X only sets a string variable initialised by a constant (or not at all).
					if len(vs.Values) > i {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							found = true
						}
					} else if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "string" {
						found = true
					}
				}
			}
		}
	}
	if !found {
		t.Error("cmd/gateway has no package-level string variable version for -X main.version")
	}
}

func TestDockerfileShape(t *testing.T) {
	var froms, users, healthchecks, exposes []string
	for _, in := range readDockerfile(t) {
		switch in.keyword {
		case "FROM":
			froms = append(froms, in.args)
		case "USER":
			users = append(users, in.args)
		case "HEALTHCHECK":
			healthchecks = append(healthchecks, in.args)
		case "EXPOSE":
			exposes = append(exposes, strings.Fields(in.args)...)
		}
	}
	if len(froms) < 2 {
		t.Fatalf("FROM %v: want a multi-stage build", froms)
	}
	final := strings.Fields(froms[len(froms)-1])[0]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
		t.Errorf("final stage FROM %s: want a minimal base (distroless static or scratch)", final)
	}
	if len(users) == 0 {
		t.Fatal("no USER: the image would run as root")
	}
	if u := users[len(users)-1]; strings.HasPrefix(u, "root") || strings.HasPrefix(u, "0") {
		t.Errorf("USER %s: want a non-root user", u)
	}
	if len(healthchecks) != 1 || !strings.Contains(healthchecks[0], `"healthcheck"]`) {
		t.Errorf("HEALTHCHECK %v: want one that runs `gateway healthcheck` (the admin listener's /healthz)", healthchecks)
	}
	// The ports the image declares are the listeners' defaults (docs/operations.md "Configuration").
	if !slices.Equal(exposes, []string{"8080", "9090"}) {
		t.Errorf("EXPOSE %v, want 8080 and 9090", exposes)
	}
}

func TestMakeImageStampsTheVersion(t *testing.T) {
	got := makeDryRun(t, "image", "v1.2.3-test")
	words := shellWords(t, got)
	if len(words) < 2 || words[0] != "docker" || words[1] != "build" {
		t.Fatalf("make image runs %q, want docker build", got)
	}
	if !strings.Contains(got, "--build-arg VERSION=v1.2.3-test") || !strings.Contains(got, ":v1.2.3-test") {
		t.Errorf("make image runs %q; want the version as build argument and tag", got)
	}
}
