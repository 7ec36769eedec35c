package egress

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tool finds a tool installed by scripts/tools.sh (under .tools/bin) or on PATH.
func tool(t *testing.T, name, install string) string {
	t.Helper()
	p := filepath.Join(moduleDir(t), "..", "..", "..", ".tools", "bin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Fatalf("%s is not installed: run `%s`", name, install)
	return ""
}

func TestNATScriptShellcheck(t *testing.T) {
	sc := tool(t, "shellcheck", "scripts/tools.sh apt")
	if out, err := exec.Command(sc, "--severity=style", natScript(t)).CombinedOutput(); err != nil {
		t.Fatalf("shellcheck s3migrate-nat.sh: %v\n%s", err, out)
	}
}

// TestUserData renders the user data with Terraform's own templatefile
// (Terraform 1.5.7, no provider needed), then shellchecks it, checks that
// it carries the script byte for byte and the settings, and that it fits
// EC2's 16 KB user-data limit once gzipped (the module sends base64gzip).
func TestUserData(t *testing.T) {
	tf := tool(t, "terraform", "scripts/tools.sh terraform")
	dir := t.TempDir()
	mod := moduleDir(t)
	cfg := `output "user_data" {
  value = templatefile("` + filepath.Join(mod, "user-data.sh.tftpl") + `", {
    nat_script          = file("` + natScript(t) + `")
    eni_id              = "eni-0123456789abcdef0"
    asg_name            = "mig-nat"
    hook_name           = "mig-nat-checks"
    nat_source_cidrs    = "10.80.128.0/20 10.80.144.0/20"
    proxy_binary_s3_uri = "s3://artifacts/s3migrate/s3migrate-linux-arm64"
    proxy_listen        = "10.80.0.10:3128"
    allow_hosts         = "s3.cn-northwest-1.amazonaws.com.cn,*.s3.cn-northwest-1.amazonaws.com.cn"
    allow_ports         = "443"
    tcp_congestion      = "bbr"
  })
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(tf, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE=/dev/null")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("terraform %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	run("init", "-input=false", "-backend=false")
	run("apply", "-input=false", "-auto-approve", "-lock=false", "-state="+filepath.Join(dir, "tfstate"))
	ud := run("output", "-state="+filepath.Join(dir, "tfstate"), "-raw", "user_data")

	script, err := os.ReadFile(natScript(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ud, "<<'S3MIGRATE_NAT_SCRIPT'\n"+string(script)+"\nS3MIGRATE_NAT_SCRIPT\n") {
		t.Fatal("the user data does not carry the NAT script byte for byte in its quoted heredoc")
	}
	if strings.Contains(string(script), "S3MIGRATE_NAT_SCRIPT") || strings.Contains(string(script), "S3MIGRATE_NAT_ENV") {
		t.Fatal("the NAT script contains a heredoc terminator of the user data")
	}
	for _, want := range []string{
		"ENI_ID='eni-0123456789abcdef0'",
		"NAT_SOURCE_CIDRS='10.80.128.0/20 10.80.144.0/20'",
		"ALLOW_HOSTS='s3.cn-northwest-1.amazonaws.com.cn,*.s3.cn-northwest-1.amazonaws.com.cn'",
		"Environment=S3MIGRATE_NAT_CC=bbr",
		"ExecStart=/usr/local/sbin/s3migrate-nat.sh boot",
		"systemctl start s3migrate-nat.service",
	} {
		if !strings.Contains(ud, want) {
			t.Errorf("user data lacks %q", want)
		}
	}

	path := filepath.Join(dir, "user-data.sh")
	if err := os.WriteFile(path, []byte(ud), 0o755); err != nil {
		t.Fatal(err)
	}
	sc := tool(t, "shellcheck", "scripts/tools.sh apt")
	if out, err := exec.Command(sc, "--severity=style", path).CombinedOutput(); err != nil {
		t.Fatalf("shellcheck of the rendered user data: %v\n%s", err, out)
	}
	if out, err := exec.Command("bash", "-n", path).CombinedOutput(); err != nil {
		t.Fatalf("bash -n of the rendered user data: %v\n%s", err, out)
	}

	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write([]byte(ud))
	_ = w.Close()
	if gz.Len() > 16384 {
		t.Fatalf("gzipped user data is %d bytes, over EC2's 16 KB limit", gz.Len())
	}
	t.Logf("user data: %d bytes, %d gzipped (limit 16384)", len(ud), gz.Len())
}
