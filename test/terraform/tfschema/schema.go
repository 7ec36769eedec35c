// Package tfschema reads the hashicorp/aws provider schema out of the jsii
// assembly of the npm package @cdktf/provider-aws, which is generated from
// the provider's own schema (21.22.1 is hashicorp/aws 6.25.0). It gives the
// offline checker the exact argument and block names and which are required,
// without downloading the provider.
package tfschema

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Attribute is one argument of a resource, data source or nested block.
type Attribute struct {
	Name     string
	Required bool
}

// Block is the argument schema of a resource, data source, provider or one
// of their nested blocks.
type Block struct {
	Attributes map[string]Attribute
	// Blocks are the nested block types. In HCL the provider accepts them as
	// blocks (name { ... }); for nested attributes of framework resources as
	// attributes (name = { ... }); the checker accepts both forms.
	Blocks map[string]*NestedBlock
}

// NestedBlock is a nested block type of a Block.
type NestedBlock struct {
	Block
	Required bool // at least one is required
	Single   bool // at most one (max_items = 1)
}

// Provider is the schema of one provider.
type Provider struct {
	Version     string // the provider version the assembly was generated from
	Config      *Block
	Resources   map[string]*Block
	DataSources map[string]*Block
}

// Names returns the sorted names of a map of blocks (for messages and tests).
func Names(m map[string]*Block) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type jsiiAssembly struct {
	Name    string              `json:"name"`
	Version string              `json:"version"`
	Types   map[string]jsiiType `json:"types"`
}

type jsiiDocs struct {
	Summary string `json:"summary"`
	Remarks string `json:"remarks"`
}

type jsiiType struct {
	Kind        string         `json:"kind"`
	Datatype    bool           `json:"datatype"`
	Base        string         `json:"base"`
	Docs        jsiiDocs       `json:"docs"`
	Properties  []jsiiProperty `json:"properties"`
	Initializer *struct {
		Parameters []struct {
			Name string  `json:"name"`
			Type jsiiRef `json:"type"`
		} `json:"parameters"`
	} `json:"initializer"`
}

type jsiiProperty struct {
	Name     string   `json:"name"`
	Optional bool     `json:"optional"`
	Static   bool     `json:"static"`
	Docs     jsiiDocs `json:"docs"`
	Type     jsiiRef  `json:"type"`
}

// jsiiRef is a type reference: a primitive, a named type (fqn), a
// collection of an element type, or a union.
type jsiiRef struct {
	Primitive  string `json:"primitive"`
	FQN        string `json:"fqn"`
	Collection *struct {
		Kind        string  `json:"kind"`
		ElementType jsiiRef `json:"elementtype"`
	} `json:"collection"`
	Union *struct {
		Types []jsiiRef `json:"types"`
	} `json:"union"`
}

var (
	// "Represents a {@link https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/sqs_queue aws_sqs_queue}."
	classLink = regexp.MustCompile(`\{@link https://registry\.terraform\.io/providers/hashicorp/aws/([^/ ]+)/docs(/(resources|data-sources)/[a-z0-9_]+)? ([a-z0-9_]+)\}`)
	// "{@link https://registry.terraform.io/.../sqs_queue#redrive_policy SqsQueue#redrive_policy}"
	propLink = regexp.MustCompile(`\{@link https://registry\.terraform\.io/\S+#([a-z0-9_]+) [A-Za-z0-9]+#[a-z0-9_]+\}`)
)

// Load reads the jsii assembly at path (…/@cdktf/provider-aws/.jsii).
func Load(path string) (*Provider, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read provider schema %s (install it with `scripts/tools.sh npm`): %w", path, err)
	}
	var asm jsiiAssembly
	if err := json.Unmarshal(raw, &asm); err != nil {
		return nil, fmt.Errorf("decode jsii assembly %s: %w", path, err)
	}
	return fromAssembly(&asm)
}

func fromAssembly(asm *jsiiAssembly) (*Provider, error) {
	p := &Provider{Resources: map[string]*Block{}, DataSources: map[string]*Block{}}
	for fqn, t := range asm.Types {
		if t.Kind != "class" {
			continue
		}
		var kind string
		switch t.Base {
		case "cdktf.TerraformResource":
			kind = "resources"
		case "cdktf.TerraformDataSource":
			kind = "data-sources"
		case "cdktf.TerraformProvider":
			kind = "provider"
		default:
			continue
		}
		m := classLink.FindStringSubmatch(t.Docs.Summary)
		if m == nil {
			return nil, fmt.Errorf("class %s: no registry link in %q", fqn, t.Docs.Summary)
		}
		if kind != "provider" && m[3] != kind {
			return nil, fmt.Errorf("class %s: link kind %q, want %q", fqn, m[3], kind)
		}
		name := m[4]
		cfg := configType(t)
		if cfg == "" {
			return nil, fmt.Errorf("class %s: no config parameter in its initializer", fqn)
		}
		b, err := buildBlock(asm.Types, cfg, 0)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", kind, name, err)
		}
		switch kind {
		case "resources":
			p.Resources[name] = b
		case "data-sources":
			p.DataSources[name] = b
		default:
			p.Version = m[1]
			p.Config = b
		}
	}
	if p.Config == nil || len(p.Resources) == 0 {
		return nil, fmt.Errorf("assembly %s %s holds no provider class or no resources", asm.Name, asm.Version)
	}
	return p, nil
}

func configType(t jsiiType) string {
	if t.Initializer == nil {
		return ""
	}
	for _, prm := range t.Initializer.Parameters {
		if prm.Name == "config" {
			return prm.Type.FQN
		}
	}
	return ""
}

func buildBlock(types map[string]jsiiType, fqn string, depth int) (*Block, error) {
	if depth > 32 {
		return nil, fmt.Errorf("nesting deeper than 32 at %s", fqn)
	}
	t, ok := types[fqn]
	if !ok {
		return nil, fmt.Errorf("type %s not in the assembly", fqn)
	}
	b := &Block{Attributes: map[string]Attribute{}, Blocks: map[string]*NestedBlock{}}
	for _, prop := range t.Properties {
		if prop.Static {
			continue
		}
		m := propLink.FindStringSubmatch(prop.Docs.Summary + " " + prop.Docs.Remarks)
		if m == nil {
			return nil, fmt.Errorf("%s.%s: no registry link with the argument name", fqn, prop.Name)
		}
		name := m[1]
		nested, single := structOf(types, prop.Type)
		if nested == "" {
			b.Attributes[name] = Attribute{Name: name, Required: !prop.Optional}
			continue
		}
		nb, err := buildBlock(types, nested, depth+1)
		if err != nil {
			return nil, err
		}
		b.Blocks[name] = &NestedBlock{Block: *nb, Required: !prop.Optional, Single: single}
	}
	return b, nil
}

// structOf returns the fqn of the datatype interface a property holds (a
// nested block), and whether it is a single block rather than a list/set.
func structOf(types map[string]jsiiType, r jsiiRef) (fqn string, single bool) {
	switch {
	case r.FQN != "":
		if t, ok := types[r.FQN]; ok && t.Kind == "interface" && t.Datatype {
			return r.FQN, true
		}
	case r.Collection != nil:
		if f, _ := structOf(types, r.Collection.ElementType); f != "" {
			return f, false
		}
	case r.Union != nil:
		for _, u := range r.Union.Types {
			if f, s := structOf(types, u); f != "" {
				return f, s
			}
		}
	}
	return "", false
}

// Lookup returns the block of a resource ("resource") or data source
// ("data") type, or nil.
func (p *Provider) Lookup(kind, typ string) *Block {
	if kind == "data" {
		return p.DataSources[typ]
	}
	return p.Resources[typ]
}

// Suggest returns up to n known names that share the longest prefix with
// name, to make "unknown" messages actionable.
func Suggest(name string, known []string, n int) []string {
	type cand struct {
		name  string
		score int
	}
	var cs []cand
	for _, k := range known {
		s := 0
		for s < len(k) && s < len(name) && k[s] == name[s] {
			s++
		}
		if strings.Contains(k, name) || strings.Contains(name, k) {
			s += 2
		}
		if s > 3 {
			cs = append(cs, cand{k, s})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].score != cs[j].score {
			return cs[i].score > cs[j].score
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// AssemblyPath returns where scripts/tools.sh installs the assembly: under
// .tools/node_modules of the repository holding the working directory.
func AssemblyPath() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = filepath.Dir(dir)
	}
	p := filepath.Join(dir, ".tools", "node_modules", "@cdktf", "provider-aws", ".jsii")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("provider schema missing at %s: run `scripts/tools.sh npm` first", p)
	}
	return p, nil
}
