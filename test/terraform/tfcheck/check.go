// Package tfcheck checks Terraform modules offline against a provider schema
// read by tfschema: resource and data source types, their arguments and
// nested blocks, required arguments, module calls against the called local
// module's variables and outputs, references to declared objects, and the
// project's rules for variables (typed, described, validated when
// constrained). It replaces `terraform validate`, which needs the provider
// download that is not possible here.
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

	"github.com/s3migrate/s3migrate/test/terraform/tfschema"
)

// Finding is one problem, at a position in a file.
type Finding struct {
	File    string
	Line    int
	Message string
}

func (f Finding) String() string { return fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Message) }

// Checker checks modules against one provider schema.
type Checker struct {
	Provider *tfschema.Provider
	// BaseDir, when set, makes file names in findings relative to it.
	BaseDir string
}

// builtinResources are resource types of the built-in "terraform" provider.
var builtinResources = map[string]*tfschema.Block{
	"terraform_data": {
		Attributes: map[string]tfschema.Attribute{
			"input":            {Name: "input"},
			"triggers_replace": {Name: "triggers_replace"},
		},
		Blocks: map[string]*tfschema.NestedBlock{},
	},
}

// variable is what the checker needs to know of a declared variable.
type variable struct {
	name       string
	required   bool
	hasType    bool
	hasDesc    bool
	validation bool
	typeExpr   hcl.Expression
	desc       string
	rng        hcl.Range
}

// module is one parsed directory of .tf files.
type module struct {
	dir       string
	files     map[string]*hcl.File
	variables map[string]*variable
	outputs   map[string]bool
	locals    map[string]bool
	resources map[string]bool // "type.name"
	data      map[string]bool // "type.name"
	calls     map[string]*hclsyntax.Block
	blocks    []*hclsyntax.Block // every top-level block, in file order
}

// CheckModule checks the module in dir (its *.tf files, not subdirectories).
func (c *Checker) CheckModule(dir string) ([]Finding, error) {
	r := &run{c: c, loaded: map[string]*module{}}
	m, err := r.load(dir)
	if err != nil {
		return nil, err
	}
	r.checkModule(m)
	sort.SliceStable(r.findings, func(i, j int) bool {
		if r.findings[i].File != r.findings[j].File {
			return r.findings[i].File < r.findings[j].File
		}
		return r.findings[i].Line < r.findings[j].Line
	})
	return r.findings, nil
}

type run struct {
	c        *Checker
	loaded   map[string]*module
	findings []Finding
}

func (r *run) add(rng hcl.Range, format string, args ...any) {
	file := rng.Filename
	if r.c.BaseDir != "" {
		if rel, err := filepath.Rel(r.c.BaseDir, file); err == nil {
			file = rel
		}
	}
	r.findings = append(r.findings, Finding{File: file, Line: rng.Start.Line, Message: fmt.Sprintf(format, args...)})
}

func (r *run) load(dir string) (*module, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("module path %s: %w", dir, err)
	}
	if m, ok := r.loaded[abs]; ok {
		return m, nil
	}
	paths, err := filepath.Glob(filepath.Join(abs, "*.tf"))
	if err != nil {
		return nil, fmt.Errorf("list .tf files in %s: %w", abs, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no .tf files in %s", abs)
	}
	m := &module{
		dir: abs, files: map[string]*hcl.File{}, variables: map[string]*variable{},
		outputs: map[string]bool{}, locals: map[string]bool{}, resources: map[string]bool{},
		data: map[string]bool{}, calls: map[string]*hclsyntax.Block{},
	}
	r.loaded[abs] = m
	parser := hclparse.NewParser()
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		f, diags := parser.ParseHCL(src, p)
		for _, d := range diags {
			rng := hcl.Range{Filename: p}
			if d.Subject != nil {
				rng = *d.Subject
			}
			r.add(rng, "syntax: %s: %s", d.Summary, d.Detail)
		}
		if f == nil || diags.HasErrors() {
			continue
		}
		m.files[p] = f
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			m.blocks = append(m.blocks, b)
			m.index(b)
		}
	}
	return m, nil
}

func (m *module) index(b *hclsyntax.Block) {
	switch b.Type {
	case "variable":
		if len(b.Labels) != 1 {
			return
		}
		v := &variable{name: b.Labels[0], required: true, rng: b.DefRange()}
		for name, a := range b.Body.Attributes {
			switch name {
			case "default":
				v.required = false
			case "type":
				v.hasType = true
				v.typeExpr = a.Expr
			case "description":
				v.hasDesc = true
				if val, d := a.Expr.Value(nil); !d.HasErrors() && val.Type() == cty.String && val.IsKnown() && !val.IsNull() {
					v.desc = val.AsString()
				}
			}
		}
		for _, vb := range b.Body.Blocks {
			if vb.Type == "validation" {
				v.validation = true
			}
		}
		m.variables[v.name] = v
	case "output":
		if len(b.Labels) == 1 {
			m.outputs[b.Labels[0]] = true
		}
	case "locals":
		for name := range b.Body.Attributes {
			m.locals[name] = true
		}
	case "resource":
		if len(b.Labels) == 2 {
			m.resources[b.Labels[0]+"."+b.Labels[1]] = true
		}
	case "data":
		if len(b.Labels) == 2 {
			m.data[b.Labels[0]+"."+b.Labels[1]] = true
		}
	case "module":
		if len(b.Labels) == 1 {
			m.calls[b.Labels[0]] = b
		}
	}
}

var topLevel = map[string]int{ // block type → number of labels
	"terraform": 0, "provider": 1, "variable": 1, "output": 1, "locals": 0,
	"module": 1, "resource": 2, "data": 2, "moved": 0, "import": 0, "check": 1,
}

// constrained matches descriptions that promise a constraint the variable
// must then enforce with a validation block.
var constrained = regexp.MustCompile(`(?i)\b(one of|between|at least|at most|must)\b`)

func (r *run) checkModule(m *module) {
	for _, b := range m.blocks {
		n, ok := topLevel[b.Type]
		if !ok {
			r.add(b.DefRange(), "unknown top-level block %q", b.Type)
			continue
		}
		if len(b.Labels) != n {
			r.add(b.DefRange(), "%s block needs %d label(s), has %d", b.Type, n, len(b.Labels))
			continue
		}
		switch b.Type {
		case "resource", "data":
			r.checkResource(m, b)
		case "variable":
			r.checkVariable(m, b)
		case "output":
			r.checkOutput(m, b)
		case "module":
			r.checkCall(m, b)
		case "provider":
			r.checkProvider(m, b)
		case "terraform":
			r.checkRefsInBody(m, b.Body, nil)
		default:
			r.checkRefsInBody(m, b.Body, nil)
		}
	}
}

func (r *run) checkVariable(m *module, b *hclsyntax.Block) {
	v := m.variables[b.Labels[0]]
	allowed := map[string]bool{"default": true, "type": true, "description": true, "sensitive": true, "nullable": true}
	for name, a := range b.Body.Attributes {
		if !allowed[name] {
			r.add(a.NameRange, "variable %q: unknown argument %q", v.name, name)
		}
	}
	for _, vb := range b.Body.Blocks {
		if vb.Type != "validation" {
			r.add(vb.DefRange(), "variable %q: unknown block %q", v.name, vb.Type)
			continue
		}
		for _, req := range []string{"condition", "error_message"} {
			if _, ok := vb.Body.Attributes[req]; !ok {
				r.add(vb.DefRange(), "variable %q: validation without %s", v.name, req)
			}
		}
		r.checkRefsInBody(m, vb.Body, nil)
	}
	if !v.hasType {
		r.add(v.rng, "variable %q has no type", v.name)
	}
	if !v.hasDesc || strings.TrimSpace(v.desc) == "" {
		r.add(v.rng, "variable %q has no description", v.name)
	}
	if !v.validation {
		if v.hasType && hcl.ExprAsKeyword(v.typeExpr) == "number" {
			r.add(v.rng, "variable %q is a number without a validation block (state its valid range)", v.name)
		} else if constrained.MatchString(v.desc) {
			r.add(v.rng, "variable %q describes a constraint (%q) but has no validation block", v.name, constrained.FindString(v.desc))
		}
	}
}

func (r *run) checkOutput(m *module, b *hclsyntax.Block) {
	name := b.Labels[0]
	allowed := map[string]bool{"value": true, "description": true, "sensitive": true, "depends_on": true}
	for an, a := range b.Body.Attributes {
		if !allowed[an] {
			r.add(a.NameRange, "output %q: unknown argument %q", name, an)
		}
	}
	if _, ok := b.Body.Attributes["value"]; !ok {
		r.add(b.DefRange(), "output %q has no value", name)
	}
	if _, ok := b.Body.Attributes["description"]; !ok {
		r.add(b.DefRange(), "output %q has no description", name)
	}
	for _, ib := range b.Body.Blocks {
		if ib.Type != "precondition" {
			r.add(ib.DefRange(), "output %q: unknown block %q", name, ib.Type)
		}
	}
	r.checkRefsInBody(m, b.Body, nil)
}

func (r *run) checkProvider(m *module, b *hclsyntax.Block) {
	if b.Labels[0] != "aws" {
		r.add(b.DefRange(), "provider %q is not in the checked schema (only hashicorp/aws)", b.Labels[0])
		return
	}
	r.checkBody(m, b.Body, b.DefRange(), r.c.Provider.Config, "provider \"aws\"", map[string]bool{"alias": true, "version": true}, nil)
}

var resourceMeta = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true}

func (r *run) checkResource(m *module, b *hclsyntax.Block) {
	typ, name := b.Labels[0], b.Labels[1]
	var schema *tfschema.Block
	if b.Type == "resource" {
		schema = builtinResources[typ]
	}
	if schema == nil {
		schema = r.c.Provider.Lookup(b.Type, typ)
	}
	what := fmt.Sprintf("%s %q %q", b.Type, typ, name)
	if schema == nil {
		known := tfschema.Names(r.c.Provider.Resources)
		if b.Type == "data" {
			known = tfschema.Names(r.c.Provider.DataSources)
		}
		hint := ""
		if s := tfschema.Suggest(typ, known, 3); len(s) > 0 {
			hint = " (did you mean " + strings.Join(s, ", ") + "?)"
		}
		r.add(b.LabelRanges[0], "unknown %s type %q in hashicorp/aws %s%s", b.Type, typ, r.c.Provider.Version, hint)
		r.checkRefsInBody(m, b.Body, nil)
		return
	}
	r.checkBody(m, b.Body, b.DefRange(), schema, what, resourceMeta, nil)
}

// checkBody checks the arguments and blocks of a resource, data source,
// provider or nested block body against its schema.
func (r *run) checkBody(m *module, body *hclsyntax.Body, def hcl.Range, schema *tfschema.Block, what string, meta map[string]bool, iterators []string) {
	for name, a := range body.Attributes {
		if meta[name] {
			if name == "provider" {
				continue // a provider reference, not a value
			}
			r.checkRefs(m, a.Expr, iterators)
			continue
		}
		_, isAttr := schema.Attributes[name]
		_, isBlock := schema.Blocks[name]
		if !isAttr && !isBlock {
			r.add(a.NameRange, "%s: unknown argument %q%s", what, name, suggestion(name, schema))
		}
		r.checkRefs(m, a.Expr, iterators)
	}
	seen := map[string]int{}
	for _, nb := range body.Blocks {
		switch {
		case nb.Type == "lifecycle" && meta["count"]:
			r.checkLifecycle(m, nb, what, iterators)
			continue
		case (nb.Type == "provisioner" || nb.Type == "connection") && meta["count"]:
			r.checkRefsInBody(m, nb.Body, iterators)
			continue
		case nb.Type == "dynamic":
			r.checkDynamic(m, nb, schema, what, iterators, seen)
			continue
		}
		sub, ok := schema.Blocks[nb.Type]
		if !ok {
			if _, isAttr := schema.Attributes[nb.Type]; isAttr {
				r.add(nb.DefRange(), "%s: %q is an argument, write it as %s = ...", what, nb.Type, nb.Type)
			} else {
				r.add(nb.DefRange(), "%s: unknown block %q%s", what, nb.Type, suggestion(nb.Type, schema))
			}
			r.checkRefsInBody(m, nb.Body, iterators)
			continue
		}
		seen[nb.Type]++
		if sub.Single && seen[nb.Type] == 2 {
			r.add(nb.DefRange(), "%s: at most one %q block is allowed", what, nb.Type)
		}
		r.checkBody(m, nb.Body, nb.DefRange(), &sub.Block, what+" "+nb.Type, nil, iterators)
	}
	for name, a := range schema.Attributes {
		if !a.Required {
			continue
		}
		if _, ok := body.Attributes[name]; !ok {
			r.add(def, "%s: missing required argument %q", what, name)
		}
	}
	for name, nb := range schema.Blocks {
		if nb.Required && seen[name] == 0 {
			if _, ok := body.Attributes[name]; !ok {
				r.add(def, "%s: missing required block %q", what, name)
			}
		}
	}
}

func (r *run) checkDynamic(m *module, nb *hclsyntax.Block, schema *tfschema.Block, what string, iterators []string, seen map[string]int) {
	if len(nb.Labels) != 1 {
		r.add(nb.DefRange(), "%s: dynamic block needs one label", what)
		return
	}
	label := nb.Labels[0]
	sub, ok := schema.Blocks[label]
	if !ok {
		r.add(nb.LabelRanges[0], "%s: unknown block %q in dynamic block%s", what, label, suggestion(label, schema))
	} else {
		seen[label]++
	}
	iter := label
	for name, a := range nb.Body.Attributes {
		switch name {
		case "for_each", "labels":
			r.checkRefs(m, a.Expr, iterators)
		case "iterator":
			iter = hcl.ExprAsKeyword(a.Expr)
		default:
			r.add(a.NameRange, "%s: dynamic %q: unknown argument %q", what, label, name)
		}
	}
	if _, ok := nb.Body.Attributes["for_each"]; !ok {
		r.add(nb.DefRange(), "%s: dynamic %q without for_each", what, label)
	}
	inner := append(append([]string{}, iterators...), iter)
	var content *hclsyntax.Block
	for _, cb := range nb.Body.Blocks {
		if cb.Type == "content" && content == nil {
			content = cb
			continue
		}
		r.add(cb.DefRange(), "%s: dynamic %q: unexpected block %q", what, label, cb.Type)
	}
	if content == nil {
		r.add(nb.DefRange(), "%s: dynamic %q without a content block", what, label)
		return
	}
	if ok {
		r.checkBody(m, content.Body, content.DefRange(), &sub.Block, what+" "+label, nil, inner)
	} else {
		r.checkRefsInBody(m, content.Body, inner)
	}
}

func (r *run) checkLifecycle(m *module, b *hclsyntax.Block, what string, iterators []string) {
	for name, a := range b.Body.Attributes {
		switch name {
		case "create_before_destroy", "prevent_destroy":
		case "ignore_changes":
			// a list of this resource's own attribute names, not references
		case "replace_triggered_by":
			r.checkRefs(m, a.Expr, iterators)
		default:
			r.add(a.NameRange, "%s: lifecycle: unknown argument %q", what, name)
		}
	}
	for _, cb := range b.Body.Blocks {
		if cb.Type != "precondition" && cb.Type != "postcondition" {
			r.add(cb.DefRange(), "%s: lifecycle: unknown block %q", what, cb.Type)
			continue
		}
		for _, req := range []string{"condition", "error_message"} {
			if _, ok := cb.Body.Attributes[req]; !ok {
				r.add(cb.DefRange(), "%s: %s without %s", what, cb.Type, req)
			}
		}
		r.checkRefsInBody(m, cb.Body, append(append([]string{}, iterators...), "self"))
	}
}

var callMeta = map[string]bool{"source": true, "version": true, "count": true, "for_each": true, "depends_on": true, "providers": true}

func (r *run) checkCall(m *module, b *hclsyntax.Block) {
	name := b.Labels[0]
	for an, a := range b.Body.Attributes {
		if an != "providers" && an != "source" {
			r.checkRefs(m, a.Expr, nil)
		}
	}
	for _, nb := range b.Body.Blocks {
		r.add(nb.DefRange(), "module %q: unexpected block %q", name, nb.Type)
	}
	src, ok := b.Body.Attributes["source"]
	if !ok {
		r.add(b.DefRange(), "module %q has no source", name)
		return
	}
	v, diags := src.Expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String {
		r.add(src.NameRange, "module %q: source must be a literal string", name)
		return
	}
	path := v.AsString()
	if !strings.HasPrefix(path, "./") && !strings.HasPrefix(path, "../") {
		r.add(src.NameRange, "module %q: source %q is not a local path; only local modules are checked offline", name, path)
		return
	}
	called, err := r.load(filepath.Join(m.dir, path))
	if err != nil {
		r.add(src.NameRange, "module %q: %v", name, err)
		return
	}
	for an, a := range b.Body.Attributes {
		if callMeta[an] {
			continue
		}
		if _, ok := called.variables[an]; !ok {
			r.add(a.NameRange, "module %q: %s has no variable %q", name, path, an)
		}
	}
	var missing []string
	for vn, v := range called.variables {
		if _, ok := b.Body.Attributes[vn]; !ok && v.required {
			missing = append(missing, vn)
		}
	}
	sort.Strings(missing)
	for _, vn := range missing {
		r.add(b.DefRange(), "module %q: missing required input %q of %s", name, vn, path)
	}
}

func suggestion(name string, schema *tfschema.Block) string {
	var known []string
	for k := range schema.Attributes {
		known = append(known, k)
	}
	for k := range schema.Blocks {
		known = append(known, k)
	}
	sort.Strings(known)
	if s := tfschema.Suggest(name, known, 3); len(s) > 0 {
		return " (did you mean " + strings.Join(s, ", ") + "?)"
	}
	return ""
}

func (r *run) checkRefsInBody(m *module, body *hclsyntax.Body, iterators []string) {
	for _, a := range body.Attributes {
		r.checkRefs(m, a.Expr, iterators)
	}
	for _, b := range body.Blocks {
		inner := iterators
		if b.Type == "dynamic" && len(b.Labels) == 1 {
			inner = append(append([]string{}, iterators...), b.Labels[0])
			if it, ok := b.Body.Attributes["iterator"]; ok {
				inner = append(inner, hcl.ExprAsKeyword(it.Expr))
			}
		}
		r.checkRefsInBody(m, b.Body, inner)
	}
}

// pathFuncs take a file path as their first argument.
var pathFuncs = map[string]bool{"file": true, "templatefile": true, "filebase64": true, "filebase64sha256": true, "filesha256": true, "filemd5": true}

// checkRefs checks that every reference in expr names a declared object
// and that literal ${path.module} file paths exist.
func (r *run) checkRefs(m *module, expr hcl.Expression, iterators []string) {
	for _, tr := range expr.Variables() {
		r.checkTraversal(m, tr, iterators)
	}
	hclsyntax.VisitAll(expr.(hclsyntax.Node), func(n hclsyntax.Node) hcl.Diagnostics {
		call, ok := n.(*hclsyntax.FunctionCallExpr)
		if !ok || !pathFuncs[call.Name] || len(call.Args) == 0 {
			return nil
		}
		tmpl, ok := call.Args[0].(*hclsyntax.TemplateExpr)
		if !ok || len(tmpl.Parts) != 2 {
			return nil
		}
		root, ok := tmpl.Parts[0].(*hclsyntax.ScopeTraversalExpr)
		lit, ok2 := tmpl.Parts[1].(*hclsyntax.LiteralValueExpr)
		if !ok || !ok2 || len(root.Traversal) != 2 || root.Traversal.RootName() != "path" {
			return nil
		}
		if attr, ok := root.Traversal[1].(hcl.TraverseAttr); !ok || attr.Name != "module" {
			return nil
		}
		rel := lit.Val.AsString()
		if _, err := os.Stat(filepath.Join(m.dir, rel)); err != nil {
			r.add(call.Range(), "%s(): file ${path.module}%s does not exist", call.Name, rel)
		}
		return nil
	})
}

func (r *run) checkTraversal(m *module, tr hcl.Traversal, iterators []string) {
	root := tr.RootName()
	for _, it := range iterators {
		if root == it {
			return
		}
	}
	attr := func(i int) (string, bool) {
		if i >= len(tr) {
			return "", false
		}
		if a, ok := tr[i].(hcl.TraverseAttr); ok {
			return a.Name, true
		}
		return "", false
	}
	rng := tr.SourceRange()
	switch root {
	case "path", "terraform", "count", "each", "self":
		return
	case "var":
		if n, ok := attr(1); ok && m.variables[n] == nil {
			r.add(rng, "reference to undeclared variable %q", n)
		}
	case "local":
		if n, ok := attr(1); ok && !m.locals[n] {
			r.add(rng, "reference to undeclared local value %q", n)
		}
	case "module":
		n, ok := attr(1)
		if !ok {
			return
		}
		call := m.calls[n]
		if call == nil {
			r.add(rng, "reference to undeclared module %q", n)
			return
		}
		next := 2
		if next < len(tr) {
			if _, isIndex := tr[next].(hcl.TraverseIndex); isIndex {
				next++ // module.name[key].output (count / for_each)
			}
		}
		out, ok := attr(next)
		if !ok {
			return
		}
		src, hasSrc := call.Body.Attributes["source"]
		if !hasSrc {
			return
		}
		v, d := src.Expr.Value(nil)
		if d.HasErrors() || v.Type() != cty.String {
			return
		}
		called, err := r.load(filepath.Join(m.dir, v.AsString()))
		if err != nil {
			return // reported at the call
		}
		if !called.outputs[out] {
			r.add(rng, "module %q has no output %q", n, out)
		}
	case "data":
		t, ok1 := attr(1)
		n, ok2 := attr(2)
		if ok1 && ok2 && !m.data[t+"."+n] {
			r.add(rng, "reference to undeclared data source data.%s.%s", t, n)
		}
	default:
		n, ok := attr(1)
		if !ok {
			r.add(rng, "reference to unknown name %q", root)
			return
		}
		if !m.resources[root+"."+n] {
			r.add(rng, "reference to undeclared resource %s.%s", root, n)
		}
	}
}
