package placetopay

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docsPath is the document code comments cite for PlacetoPay's behaviour.
const docsPath = "../../docs/placetopay.md"

var (
	docsLinkRE   = regexp.MustCompile(`docs/placetopay\.md#([A-Za-z0-9_-]+)`)
	localLinkRE  = regexp.MustCompile(`\]\(#([A-Za-z0-9_-]+)\)`)
	headingRE    = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
	notSluggedRE = regexp.MustCompile(`[^\p{L}\p{N} _-]`)
)

// docsAnchors returns the anchors GitHub gives the document's headings: lowercase,
// punctuation dropped, spaces turned into hyphens.
func docsAnchors(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range headingRE.FindAllStringSubmatch(string(raw), -1) {
		slug := notSluggedRE.ReplaceAllString(strings.ToLower(m[1]), "")
		anchors[strings.ReplaceAll(slug, " ", "-")] = true
	}
	return anchors
}

// Every section of docs/placetopay.md cited in the repository, and every link inside the
// document, names one of its headings: renaming a heading cannot leave a comment pointing
// nowhere.
func TestDocsLinksNameAHeading(t *testing.T) {
	anchors := docsAnchors(t)
	raw, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range localLinkRE.FindAllStringSubmatch(string(raw), -1) {
		if !anchors[m[1]] {
			t.Errorf("docs/placetopay.md links to #%s, which is no heading of it", m[1])
		}
	}
	cited := 0
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// Hidden folders (.git, a local Postgres cluster in .pgdata) and installed node
			// modules hold no citation of ours.
			if name := d.Name(); path != "../.." && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(path); ext != ".go" && ext != ".md" {
			return nil
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range docsLinkRE.FindAllStringSubmatch(string(text), -1) {
			cited++
			if !anchors[m[1]] {
				t.Errorf("%s cites docs/placetopay.md#%s, which is no heading of it", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cited == 0 {
		t.Error("no citation of docs/placetopay.md found: is the walk looking at the repository?")
	}
}
