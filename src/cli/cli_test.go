package cli

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"
)

func TestParseFlagsInterspersed(t *testing.T) {
	tests := []struct {
		args     []string
		wantArgs []string
		wantX    string
	}{
		{[]string{"-x", "1", "a", "b"}, []string{"a", "b"}, "1"},
		{[]string{"a", "b", "--x", "2"}, []string{"a", "b"}, "2"},
		{[]string{"a", "--x=3", "b"}, []string{"a", "b"}, "3"},
		{[]string{"a", "--", "--x", "b"}, []string{"a", "--x", "b"}, ""},
	}
	for _, tc := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		x := fs.String("x", "", "")
		var stderr bytes.Buffer
		ok, _ := parseFlags(fs, Env{Stderr: &stderr}, tc.args, "t")
		if !ok {
			t.Fatalf("%q: parse failed: %s", tc.args, stderr.String())
		}
		if strings.Join(fs.Args(), "|") != strings.Join(tc.wantArgs, "|") || *x != tc.wantX {
			t.Errorf("%q: args %q x %q, want %q x %q", tc.args, fs.Args(), *x, tc.wantArgs, tc.wantX)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"5242880", 5 << 20, false}, {"5MiB", 5 << 20, false}, {"5M", 5 << 20, false}, {"5MB", 5_000_000, false},
		{"1.5GiB", 3 << 29, false}, {"8 mib", 8 << 20, false}, {"", 0, true}, {"5XB", 0, true}, {"-1", 0, true}, {"MiB", 0, true},
	}
	for _, tc := range tests {
		got, err := parseSize(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"copy"}, "needs a source and a destination"},
		{[]string{"copy", "s3://src-b/p/", "s3://dst-b/key"}, "must be one too"},
		{[]string{"copy", "ftp://x/", "s3://dst-b/"}, "not an s3:// URL"},
		{[]string{"copy", "http://x/", "s3://dst-b/"}, "no path to name the object"},
		{[]string{"copy", "--part-size", "1MiB", "s3://src-b/", "s3://dst-b/"}, "5 MiB"},
		{[]string{"copy", "--sse", "rot13", "s3://src-b/", "s3://dst-b/"}, "--sse"},
		{[]string{"copy", "--parts-in-flight", "0", "s3://src-b/", "s3://dst-b/"}, "--parts-in-flight"},
		{[]string{"copy", "--part-size", "lots", "s3://src-b/", "s3://dst-b/"}, "part-size"},
		{[]string{"nope"}, "unknown command"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}, tc.args)
		if code != ExitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %s)", tc.args, code, ExitUsage, errb.String())
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: stderr %q does not say %q", tc.args, errb.String(), tc.want)
		}
	}
}
