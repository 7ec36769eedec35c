// Package terraform_test checks the Terraform modules and examples under
// terraform/ offline: formatting (terraform fmt), the hashicorp/aws 6.25.0
// schema (tfcheck), module layout and README tables, and tflint.
package terraform_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/s3migrate/s3migrate/test/terraform/tfcheck"
	"github.com/s3migrate/s3migrate/test/terraform/tfschema"
)

func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = filepath.Dir(dir)
	}
}

// tool returns an installed tool from .tools/bin or fails with the command
// that installs it.
func tool(t testing.TB, name, installArg string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), ".tools", "bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is not installed at %s: run `scripts/tools.sh %s`", name, p, installArg)
	}
	return p
}

// moduleDirs returns every directory under terraform/ that holds .tf files.
func moduleDirs(t testing.TB) []string {
	t.Helper()
	root := filepath.Join(repoRoot(t), "terraform")
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".terraform" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".tf") {
			seen[filepath.Dir(p)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for d := range seen {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	if len(dirs) == 0 {
		t.Fatalf("no .tf files under %s", root)
	}
	return dirs
}

// terraformEnv keeps the terraform CLI off any user configuration and
// telemetry, so runs are the same everywhere.
func terraformEnv() []string {
	return append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null", "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
}

func run(t testing.TB, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestFormat runs `terraform fmt -check -recursive` (Terraform 1.5.7).
func TestFormat(t *testing.T) {
	tf := tool(t, "terraform", "terraform")
	out, err := run(t, filepath.Join(repoRoot(t), "terraform"), terraformEnv(), tf, "fmt", "-check", "-recursive", "-list=true")
	if err != nil {
		t.Fatalf("terraform fmt -check -recursive failed (%v); run `.tools/bin/terraform fmt -recursive terraform` to fix these files:\n%s", err, out)
	}
}

// TestSchema checks every module and example against the provider schema.
func TestSchema(t *testing.T) {
	path, err := tfschema.AssemblyPath()
	if err != nil {
		t.Fatal(err)
	}
	p, err := tfschema.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	root := repoRoot(t)
	c := &tfcheck.Checker{Provider: p, BaseDir: root}
	for _, dir := range moduleDirs(t) {
		rel, _ := filepath.Rel(root, dir)
		t.Run(rel, func(t *testing.T) {
			findings, err := c.CheckModule(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				t.Errorf("%s", f)
			}
		})
	}
}
