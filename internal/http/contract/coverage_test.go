package contract

import (
	"bufio"
	"flag"
	"os"
	"strings"
	"testing"
)

// seen is the folder the other test binaries left their answers in (SeenEnv); make test
// passes it after they have all run.
var seenDir = flag.String("seen", "", "folder of the answers the test binaries produced")

// TestCoverage adds up the answers the handler and money-path tests produced (the files
// they left in the -seen folder, see Finish; `make test` runs it after them) and
// fails when a documented answer was produced by no test and is not listed in uncovered.txt,
// or when one listed there is now produced (take it off the list). Run on its own, without
// the folder, it only checks that uncovered.txt names documented answers.
func TestCoverage(t *testing.T) {
	listed := readUncovered(t)
	documented := map[Operation]bool{}
	for _, op := range Documented() {
		documented[op] = true
	}
	for op := range listed {
		if !documented[op] {
			t.Errorf("uncovered.txt lists %s, which the document does not declare", op)
		}
	}
	dir := *seenDir
	if dir == "" {
		t.Log("no -seen folder: coverage is checked by make test")
		return
	}
	missing, err := CoverageMissing(dir)
	if err != nil {
		t.Fatal(err)
	}
	isMissing := map[Operation]bool{}
	for _, op := range missing {
		isMissing[op] = true
		if !listed[op] {
			t.Errorf("no test produced %s: add one (or list it in uncovered.txt with the reason)", op)
		}
	}
	for op := range listed {
		if !isMissing[op] {
			t.Errorf("%s is produced by a test now: take it off uncovered.txt", op)
		}
	}
}

// readUncovered reads uncovered.txt: one "METHOD /path STATUS" per line (with the event
// type after it for an answer of the events feed), # comments.
func readUncovered(t *testing.T) map[Operation]bool {
	t.Helper()
	f, err := os.Open("uncovered.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[Operation]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 && len(fields) != 4 {
			t.Fatalf("uncovered.txt: %q is not METHOD /path STATUS [EVENT TYPE]", line)
		}
		op := Operation{Method: fields[0], Path: fields[1], Status: fields[2]}
		if len(fields) == 4 {
			op.Event = fields[3]
		}
		out[op] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
