package tfcheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/s3migrate/s3migrate/test/terraform/tfschema"
)

// smallProvider is a hand-written schema of two resource types, enough to
// drive every path of the checker without loading the full assembly.
func smallProvider() *tfschema.Provider {
	queue := &tfschema.Block{
		Attributes: map[string]tfschema.Attribute{"name": {Name: "name"}, "policy": {Name: "policy", Required: true}},
		Blocks: map[string]*tfschema.NestedBlock{"scaling_config": {Single: true, Block: tfschema.Block{
			Attributes: map[string]tfschema.Attribute{"maximum_concurrency": {Name: "maximum_concurrency", Required: true}},
			Blocks:     map[string]*tfschema.NestedBlock{},
		}}},
	}
	return &tfschema.Provider{
		Version:     "test",
		Config:      &tfschema.Block{Attributes: map[string]tfschema.Attribute{"region": {Name: "region"}}, Blocks: map[string]*tfschema.NestedBlock{}},
		Resources:   map[string]*tfschema.Block{"aws_sqs_queue": queue},
		DataSources: map[string]*tfschema.Block{"aws_sqs_queue": queue},
	}
}

// FuzzCheckModule: whatever the .tf text, the checker returns findings with
// a file and a line (or an error), never panics.
func FuzzCheckModule(f *testing.F) {
	for _, dir := range []string{"valid", "unknown_argument", "bad_variables", "bad_module_call", "bad_references", "unknown_block"} {
		b, err := os.ReadFile(filepath.Join("testdata", dir, "main.tf"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(`resource "aws_sqs_queue" "q" { dynamic "scaling_config" { for_each = [1] iterator = x content { maximum_concurrency = x.value } } }`)
	f.Add(`module "m" { source = "./" }`)
	f.Add(`resource "x" {`)
	f.Add(`locals { a = [for k, v in var.m : k if v] }` + "\n" + `output "o" { value = local.a[0].b }`)
	p := smallProvider()
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		c := &Checker{Provider: p, BaseDir: dir}
		findings, err := c.CheckModule(dir)
		if err != nil {
			return
		}
		for _, fd := range findings {
			if fd.File == "" || fd.Message == "" || fd.Line < 0 {
				t.Fatalf("malformed finding %+v", fd)
			}
		}
	})
}
