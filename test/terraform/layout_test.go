package terraform_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/s3migrate/s3migrate/test/terraform/tfcheck"
)

// packagedDirs are the directories a user calls or copies: the modules
// (including nested submodules) and the examples.
func packagedDirs(t testing.TB) []string {
	t.Helper()
	var dirs []string
	root := repoRoot(t)
	for _, d := range moduleDirs(t) {
		rel, _ := filepath.Rel(root, d)
		if strings.HasPrefix(rel, "terraform/modules/") || strings.HasPrefix(rel, "terraform/examples/") {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

var (
	requiredVersion = regexp.MustCompile(`required_version\s*=\s*">= 1\.5\.7"`)
	awsProvider     = regexp.MustCompile(`(?s)aws\s*=\s*\{\s*source\s*=\s*"hashicorp/aws"\s*version\s*=\s*">= 6\.0"\s*\}`)
)

// TestModuleLayout: every module and example has main.tf, variables.tf,
// outputs.tf, versions.tf (Terraform >= 1.5.7, hashicorp/aws >= 6.0) and a
// README.
func TestModuleLayout(t *testing.T) {
	root := repoRoot(t)
	for _, dir := range packagedDirs(t) {
		rel, _ := filepath.Rel(root, dir)
		for _, f := range []string{"main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: missing %s", rel, f)
			}
		}
		v, err := os.ReadFile(filepath.Join(dir, "versions.tf"))
		if err != nil {
			continue
		}
		if !requiredVersion.Match(v) {
			t.Errorf("%s/versions.tf: want required_version = \">= 1.5.7\"", rel)
		}
		if !awsProvider.Match(v) {
			t.Errorf("%s/versions.tf: want aws = { source = \"hashicorp/aws\", version = \">= 6.0\" }", rel)
		}
		isExample := strings.HasPrefix(rel, "terraform/examples/")
		hasProvider := strings.Contains(string(v), `provider "aws"`)
		if isExample != hasProvider {
			t.Errorf("%s/versions.tf: provider blocks belong in examples (root modules) only; example=%v has provider=%v", rel, isExample, hasProvider)
		}
	}
}

// TestReadmeTables: each README carries the inputs/outputs tables generated
// from its .tf files between the BEGIN_TF_DOCS/END_TF_DOCS markers
// (S3MIGRATE_UPDATE_TF_DOCS=1 rewrites them first); a README without the
// markers must at least name every input and output.
func TestReadmeTables(t *testing.T) {
	root := repoRoot(t)
	update := os.Getenv("S3MIGRATE_UPDATE_TF_DOCS") == "1"
	for _, dir := range packagedDirs(t) {
		rel, _ := filepath.Rel(root, dir)
		want, err := tfcheck.DocsTables(dir)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		path := filepath.Join(dir, "README.md")
		readme, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if !strings.Contains(string(readme), tfcheck.DocsBegin) {
			// A hand-written README: it must still name every input and output.
			for _, name := range tfcheck.DocsNames(want) {
				if !strings.Contains(string(readme), "`"+name+"`") && !strings.Contains(string(readme), "| "+name+" ") {
					t.Errorf("%s/README.md does not document %q", rel, name)
				}
			}
			continue
		}
		next, err := tfcheck.ReplaceDocs(string(readme), want)
		if err != nil {
			t.Errorf("%s/README.md: %v", rel, err)
			continue
		}
		if next == string(readme) {
			continue
		}
		if update {
			if err := os.WriteFile(path, []byte(next), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s/README.md: inputs/outputs tables are out of date; run `S3MIGRATE_UPDATE_TF_DOCS=1 go test ./test/terraform -run TestReadmeTables`", rel)
	}
}

// TestTflint runs tflint (bundled terraform ruleset, recommended preset
// plus documentation, typing, naming and structure rules) in every module
// and example. No plugin is downloaded.
func TestTflint(t *testing.T) {
	tflint := tool(t, "tflint", "tflint")
	root := repoRoot(t)
	config := filepath.Join(root, "terraform", ".tflint.hcl")
	env := append(os.Environ(), "TFLINT_PLUGIN_DIR="+t.TempDir())
	for _, dir := range packagedDirs(t) {
		rel, _ := filepath.Rel(root, dir)
		out, err := run(t, dir, env, tflint, "--config", config, "--format", "compact", "--no-color")
		if err != nil {
			t.Errorf("tflint in %s failed (%v):\n%s", rel, err, out)
		}
	}
}
