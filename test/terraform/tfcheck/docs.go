package tfcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// DocsBegin and DocsEnd enclose the generated tables in a module's README.
const (
	DocsBegin = "<!-- BEGIN_TF_DOCS -->"
	DocsEnd   = "<!-- END_TF_DOCS -->"
)

// DocsTables renders the Markdown tables of a module's inputs (variables)
// and outputs, from its .tf files, in the order they are declared.
func DocsTables(dir string) (string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(paths) == 0 {
		return "", fmt.Errorf("no .tf files in %s", dir)
	}
	sort.Strings(paths)
	var in, out strings.Builder
	in.WriteString("## Inputs\n\n| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n")
	out.WriteString("## Outputs\n\n| Name | Description |\n|------|-------------|\n")
	parser := hclparse.NewParser()
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", p, err)
		}
		f, diags := parser.ParseHCL(src, p)
		if diags.HasErrors() {
			return "", fmt.Errorf("parse %s: %s", p, diags.Error())
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			switch {
			case b.Type == "variable" && len(b.Labels) == 1:
				typ, def, req := "`any`", "n/a", "yes"
				if a, ok := b.Body.Attributes["type"]; ok {
					typ = code(source(src, a.Expr.Range()))
				}
				if a, ok := b.Body.Attributes["default"]; ok {
					def, req = code(source(src, a.Expr.Range())), "no"
				}
				fmt.Fprintf(&in, "| `%s` | %s | %s | %s | %s |\n", b.Labels[0], cell(description(b)), typ, def, req)
			case b.Type == "output" && len(b.Labels) == 1:
				fmt.Fprintf(&out, "| `%s` | %s |\n", b.Labels[0], cell(description(b)))
			}
		}
	}
	return in.String() + "\n" + out.String(), nil
}

func description(b *hclsyntax.Block) string {
	a, ok := b.Body.Attributes["description"]
	if !ok {
		return ""
	}
	v, d := a.Expr.Value(nil)
	if d.HasErrors() || v.Type() != cty.String || v.IsNull() {
		return ""
	}
	return v.AsString()
}

func source(src []byte, r hcl.Range) string { return string(r.SliceBytes(src)) }

var spaces = regexp.MustCompile(`\s+`)

// code formats HCL source as one line of inline code in a table cell.
func code(s string) string {
	s = spaces.ReplaceAllString(strings.TrimSpace(s), " ")
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// cell formats text for a table cell: one line, pipes escaped, and < >
// escaped so placeholders such as <name> stay visible.
func cell(s string) string {
	s = spaces.ReplaceAllString(strings.TrimSpace(s), " ")
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

// ReplaceDocs returns readme with the text between DocsBegin and DocsEnd
// replaced by tables, or an error when the markers are missing.
func ReplaceDocs(readme, tables string) (string, error) {
	i := strings.Index(readme, DocsBegin)
	j := strings.Index(readme, DocsEnd)
	if i < 0 || j < i {
		return "", fmt.Errorf("README has no %s ... %s section", DocsBegin, DocsEnd)
	}
	return readme[:i+len(DocsBegin)] + "\n" + tables + readme[j:], nil
}

var docsName = regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")

// DocsNames returns the input and output names of tables from DocsTables.
func DocsNames(tables string) []string {
	var names []string
	for _, m := range docsName.FindAllStringSubmatch(tables, -1) {
		names = append(names, m[1])
	}
	return names
}
