package doccheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/stripe/stripe-go/v76"

	"github.com/wantsms/wantsms/billing"
)

func readme(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// section is the body of the README section headed exactly heading
// ("## Layout"), up to the next heading of the same or a higher level.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	_, body, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no section %q", heading)
	}
	level := strings.Index(heading, " ") // the number of #
	fenced := false
	for i := 0; i < len(body); {
		line, _, _ := strings.Cut(body[i:], "\n")
		if strings.HasPrefix(line, "```") {
			fenced = !fenced // a "# comment" in a code block is no heading
		}
		if n := headingLevel(line); !fenced && n > 0 && n <= level {
			return body[:i]
		}
		i += len(line) + 1
	}
	return body
}

// headingLevel is the number of # that make line a Markdown heading, or 0.
func headingLevel(line string) int {
	h := strings.TrimLeft(line, "#")
	if len(h) == len(line) || !strings.HasPrefix(h, " ") {
		return 0
	}
	return len(line) - len(h)
}

// README's Layout names every package, so a new maintainer finds each.
func TestREADMELayoutNamesEveryPackage(t *testing.T) {
	layout := section(t, readme(t), "## Layout")
	for _, p := range packages(t) {
		if !strings.Contains(layout, "`"+p.dir+"`") {
			t.Errorf("README's Layout does not name `%s`", p.dir)
		}
	}
}

// README's Stripe set-up names the API version the pinned stripe-go sends
// (stripe.APIVersion), the one an operator sets on the webhook endpoint,
// and every event type the endpoint must send.
func TestREADMEStripeSetupNamesPinnedAPIVersion(t *testing.T) {
	setup := section(t, readme(t), "### Set up Stripe")
	if !strings.Contains(setup, "`"+stripe.APIVersion+"`") {
		t.Errorf("README's Stripe set-up does not name API version `%s`, the one stripe-go sends:\n%s", stripe.APIVersion, setup)
	}
	for _, ev := range billing.StripeEvents {
		if !strings.Contains(setup, "`"+ev+"`") {
			t.Errorf("README's Stripe set-up does not name the event `%s`", ev)
		}
	}
}

// mdLink is a Markdown link's target.
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// Every relative link in the repository's Markdown leads to a file that
// exists and, with a #fragment, to an anchor or heading in it.
func TestMarkdownLinksResolve(t *testing.T) {
	top := root(t)
	var docs []string
	err := filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != top && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "data") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, ".md") {
			docs = append(docs, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range docs {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(top, doc)
		for _, m := range mdLink.FindAllStringSubmatch(string(raw), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, frag, _ := strings.Cut(target, "#")
			path := doc
			if file != "" {
				path = filepath.Join(filepath.Dir(doc), filepath.FromSlash(file))
			}
			body, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%s links to %s, which does not exist", rel, target)
				continue
			}
			if frag != "" && !hasAnchor(string(body), frag) {
				t.Errorf("%s links to %s: no anchor or heading %q there", rel, target, frag)
			}
		}
	}
}

// hasAnchor reports whether a Markdown document has an explicit anchor id
// or a heading whose GitHub-style slug is frag.
func hasAnchor(doc, frag string) bool {
	if strings.Contains(doc, `id="`+frag+`"`) {
		return true
	}
	for _, line := range strings.Split(doc, "\n") {
		if headingLevel(line) > 0 && slug(strings.TrimLeft(line, "#")) == frag {
			return true
		}
	}
	return false
}

func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}
