// Package egress tests the egress module's NAT script for real: shellcheck,
// then its forwarding / MASQUERADE / BBR core and the egress proxy it starts,
// inside network namespaces on this machine (root needed), wired as
//
//	private (10.200.1.2) --veth-- nat (10.200.1.1 | 10.200.2.1) --veth-- remote (10.200.2.2)
//
// where "remote" stands for the far side and has no route back to the
// private range: only a working NAT lets private traffic reach it.
package egress

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/s3migrate/s3migrate/src/netx"
)

const (
	privateCIDR = "10.200.1.0/24"
	privateIP   = "10.200.1.2"
	natInIP     = "10.200.1.1"
	natOutIP    = "10.200.2.1"
	remoteIP    = "10.200.2.2"
	natOutIf    = "vn1"
)

// moduleDir is terraform/modules/egress (the test runs in test/egress).
func moduleDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "terraform", "modules", "egress"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func natScript(t *testing.T) string {
	return filepath.Join(moduleDir(t), "scripts", "s3migrate-nat.sh")
}

// topology is the three namespaces of one test.
type topology struct {
	private, nat, remote string
}

func requireNetns(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root (ip netns add); run the tests as root to check the NAT script for real")
	}
	for _, tool := range []string{"ip", "iptables", "tc", "ss"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run `scripts/tools.sh apt`", tool)
		}
	}
}

func sh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func newTopology(t *testing.T) topology {
	t.Helper()
	id := fmt.Sprintf("s3m%d", os.Getpid()%1000000)
	tp := topology{private: id + "priv", nat: id + "nat", remote: id + "rem"}
	for _, ns := range []string{tp.private, tp.nat, tp.remote} {
		_ = exec.Command("ip", "netns", "del", ns).Run() // left over from a killed run
		sh(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		sh(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	sh(t, "ip", "link", "add", "name", "vp0", "netns", tp.private, "type", "veth", "peer", "name", "vn0", "netns", tp.nat)
	sh(t, "ip", "link", "add", "name", natOutIf, "netns", tp.nat, "type", "veth", "peer", "name", "vr0", "netns", tp.remote)
	for _, a := range []struct{ ns, dev, addr string }{
		{tp.private, "vp0", privateIP + "/24"},
		{tp.nat, "vn0", natInIP + "/24"},
		{tp.nat, natOutIf, natOutIP + "/24"},
		{tp.remote, "vr0", remoteIP + "/24"},
	} {
		sh(t, "ip", "-n", a.ns, "addr", "add", a.addr, "dev", a.dev)
		sh(t, "ip", "-n", a.ns, "link", "set", a.dev, "up")
	}
	sh(t, "ip", "-n", tp.private, "route", "add", "default", "via", natInIP)
	sh(t, "ip", "-n", tp.nat, "route", "add", "default", "via", remoteIP) // "the internet" is behind remote
	return tp
}

// inNetns runs fn on an OS thread switched into network namespace ns, so
// that sockets fn creates belong to ns.
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		target, err := os.Open(filepath.Join("/var/run/netns", ns))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			// The thread stays locked and dies with this goroutine.
			errc <- fmt.Errorf("restore network namespace: %w", err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

func dialIn(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := inNetns(ns, func() error {
			var d net.Dialer
			var err error
			c, err = d.DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
}

// farSide is an HTTP and an HTTPS server in the remote namespace that
// record the client address they see.
type farSide struct {
	mu      sync.Mutex
	seen    []string
	release chan struct{}
	held    chan struct{}
	cert    *x509.Certificate
}

func (f *farSide) lastClient() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) == 0 {
		return ""
	}
	return f.seen[len(f.seen)-1]
}

func startFarSide(t *testing.T, ns string) *farSide {
	t.Helper()
	f := &farSide{release: make(chan struct{}), held: make(chan struct{}, 1)}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		f.mu.Lock()
		f.seen = append(f.seen, host)
		f.mu.Unlock()
		if r.URL.Path == "/hold" {
			f.held <- struct{}{}
			<-f.release
		}
		fmt.Fprintf(w, "far side saw %s", host)
	})
	var plain, tlsLn net.Listener
	err := inNetns(ns, func() error {
		var err error
		if plain, err = net.Listen("tcp", remoteIP+":8080"); err != nil {
			return err
		}
		tlsLn, err = net.Listen("tcp", remoteIP+":8443")
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", ns, err)
	}
	cert, leaf := selfSigned(t, remoteIP)
	f.cert = leaf
	s1 := &http.Server{Handler: h}
	s2 := &http.Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	go func() { _ = s1.Serve(plain) }()
	go func() { _ = s2.ServeTLS(tlsLn, "", "") }()
	t.Cleanup(func() {
		select {
		case <-f.release:
		default:
			close(f.release)
		}
		s1.Close()
		s2.Close()
	})
	return f
}

func selfSigned(t *testing.T, ip string) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "far side"},
		IPAddresses:  []net.IP{net.ParseIP(ip)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// script runs the NAT script in namespace ns with extra environment.
func script(t *testing.T, ns string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, "bash", natScript(t)}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// fqAvailable reports whether the kernel has the fq qdisc (tried on the
// loopback of a test namespace).
func fqAvailable(t *testing.T, ns string) bool {
	if exec.Command("ip", "netns", "exec", ns, "tc", "qdisc", "replace", "dev", "lo", "root", "fq").Run() != nil {
		return false
	}
	sh(t, "ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", "lo", "root")
	return true
}

func sysctlIn(t *testing.T, ns, name string) string {
	return strings.TrimSpace(sh(t, "ip", "netns", "exec", ns, "cat", "/proc/sys/"+strings.ReplaceAll(name, ".", "/")))
}

func TestNATScriptInNetworkNamespaces(t *testing.T) {
	requireNetns(t)
	avail, err := netx.AvailableCongestion()
	if err != nil {
		t.Fatalf("read %s: %v", netx.AvailableCongestionFile, err)
	}
	hasBBR := slices.Contains(avail, "bbr")
	t.Logf("kernel offers congestion controls %v; bbr available: %v", avail, hasBBR)

	tp := newTopology(t)
	far := startFarSide(t, tp.remote)
	etc := t.TempDir()

	cc := "bbr"
	if !hasBBR {
		// The script must refuse loudly; the rest runs with what the kernel has.
		out, err := script(t, tp.nat, []string{"S3MIGRATE_NAT_ETC=" + etc}, "core", natOutIf, privateCIDR)
		if err == nil || !strings.Contains(out, "FAILED") || !strings.Contains(out, "does not offer bbr") {
			t.Fatalf("without tcp_bbr the script did not fail loudly: err=%v\n%s", err, out)
		}
		t.Logf("tcp_bbr cannot be loaded on this kernel: the script failed loudly as it must; continuing with %s", avail[0])
		cc = avail[0]
	}
	env := []string{"S3MIGRATE_NAT_ETC=" + etc, "S3MIGRATE_NAT_CC=" + cc}

	// Start from a different congestion control, so that the test sees the script change it.
	before := ""
	for _, a := range avail {
		if a != cc {
			before = a
			sh(t, "ip", "netns", "exec", tp.nat, "sysctl", "-q", "-w", "net.ipv4.tcp_congestion_control="+a)
			break
		}
	}
	if got := sysctlIn(t, tp.nat, "net.ipv4.ip_forward"); got != "0" {
		t.Fatalf("a new namespace forwards already (ip_forward=%s)", got)
	}

	client := &http.Client{Transport: &http.Transport{DialContext: dialIn(tp.private), DisableKeepAlives: true}, Timeout: 10 * time.Second}
	t.Run("no NAT, no way out", func(t *testing.T) {
		c := &http.Client{Transport: &http.Transport{DialContext: dialIn(tp.private)}, Timeout: 500 * time.Millisecond}
		if resp, err := c.Get("http://" + remoteIP + ":8080/"); err == nil {
			resp.Body.Close()
			t.Fatalf("the private namespace reached the far side before the NAT was set up")
		}
	})

	out, err := script(t, tp.nat, env, "core", natOutIf, privateCIDR)
	if err != nil {
		t.Fatalf("s3migrate-nat.sh core: %v\n%s", err, out)
	}
	t.Logf("script output:\n%s", out)
	if !strings.Contains(out, "checked: forwarding on") {
		t.Fatalf("the script did not report its checks:\n%s", out)
	}

	t.Run("forwarded and translated", func(t *testing.T) {
		resp, err := client.Get("http://" + remoteIP + ":8080/")
		if err != nil {
			t.Fatalf("private -> far side through the NAT: %v", err)
		}
		resp.Body.Close()
		if got := far.lastClient(); got != natOutIP {
			t.Fatalf("the far side saw %s, want the NAT's address %s (source not translated)", got, natOutIP)
		}
	})

	t.Run("settings in effect and persistent", func(t *testing.T) {
		if got := sysctlIn(t, tp.nat, "net.ipv4.tcp_congestion_control"); got != cc {
			t.Fatalf("congestion control in the nat namespace is %q (was %q), want %q", got, before, cc)
		}
		sysctlConf := "net.ipv4.tcp_congestion_control = " + cc + "\n"
		if fqAvailable(t, tp.remote) {
			if q := sh(t, "ip", "netns", "exec", tp.nat, "tc", "qdisc", "show", "dev", natOutIf); !strings.HasPrefix(q, "qdisc fq ") {
				t.Fatalf("qdisc of %s: %q, want fq", natOutIf, q)
			}
			sysctlConf = "net.core.default_qdisc = fq\n" + sysctlConf
		} else {
			t.Logf("this kernel has no fq qdisc (sch_fq): checking that the script said so")
			if !strings.Contains(out, "WARNING: this kernel has no fq qdisc") || !strings.Contains(out, "qdisc none (the kernel has no fq)") {
				t.Fatalf("the script did not report the missing fq qdisc:\n%s", out)
			}
		}
		for file, want := range map[string]string{
			"modules-load.d/s3migrate-" + cc + ".conf": "tcp_" + cc + "\n",
			"sysctl.d/90-s3migrate-" + cc + ".conf":    sysctlConf,
			"sysctl.d/90-s3migrate-forward.conf":       "net.ipv4.ip_forward = 1\nnet.ipv4.conf." + natOutIf + ".send_redirects = 0\n",
		} {
			b, err := os.ReadFile(filepath.Join(etc, file))
			if err != nil || string(b) != want {
				t.Errorf("%s = %q, %v; want %q", file, b, err, want)
			}
		}
		// A socket opened in the nat namespace without any option gets the script's choice.
		var got string
		err := inNetns(tp.nat, func() error {
			c, err := net.Dial("tcp", remoteIP+":8080")
			if err != nil {
				return err
			}
			defer c.Close()
			got, err = netx.ConnCongestion(c)
			return err
		})
		if err != nil || got != cc {
			t.Fatalf("a plain socket in the nat namespace uses %q (%v), want %q", got, err, cc)
		}
	})

	t.Run("idempotent", func(t *testing.T) {
		if out, err := script(t, tp.nat, env, "core", natOutIf, privateCIDR); err != nil {
			t.Fatalf("second run: %v\n%s", err, out)
		}
		rules := sh(t, "ip", "netns", "exec", tp.nat, "iptables", "-w", "-t", "nat", "-S", "POSTROUTING")
		if n := strings.Count(rules, "-j MASQUERADE"); n != 1 {
			t.Fatalf("%d MASQUERADE rules after two runs, want 1:\n%s", n, rules)
		}
		if out, err := script(t, tp.nat, env, "egress-route", natOutIf); err != nil {
			t.Fatalf("egress route check: %v\n%s", err, out)
		}
	})

	t.Run("proxy upstream uses "+cc, func(t *testing.T) {
		testProxyInNamespace(t, tp, far, env, cc)
	})

	t.Run("loud failures", func(t *testing.T) {
		check := func(wantMsg string) {
			t.Helper()
			out, err := script(t, tp.nat, env, "check", natOutIf, privateCIDR)
			if err == nil || !strings.Contains(out, "FAILED") || !strings.Contains(out, wantMsg) {
				t.Fatalf("check did not fail loudly with %q: err=%v\n%s", wantMsg, err, out)
			}
		}
		// fck-nat's race: the MASQUERADE rule is missing while everything else is fine.
		sh(t, "ip", "netns", "exec", tp.nat, "iptables", "-w", "-t", "nat", "-D", "POSTROUTING", "-s", privateCIDR, "-o", natOutIf, "-j", "MASQUERADE", "-m", "comment", "--comment", "s3migrate-nat")
		check("no MASQUERADE rule for " + privateCIDR)
		sh(t, "ip", "netns", "exec", tp.nat, "sysctl", "-q", "-w", "net.ipv4.ip_forward=0")
		check("IP forwarding is off")
		if before != "" {
			sh(t, "ip", "netns", "exec", tp.nat, "sysctl", "-q", "-w", "net.ipv4.tcp_congestion_control="+before)
			check("congestion control is " + before + ", not " + cc)
		}
		if out, err := script(t, tp.private, env, "egress-route", natOutIf); err == nil || !strings.Contains(out, "FAILED") {
			t.Fatalf("egress-route accepted a namespace whose default route does not leave through %s:\n%s", natOutIf, out)
		}

		// A kernel without bbr (and no module to load): core refuses before touching anything.
		fakeProc := t.TempDir()
		dir := filepath.Join(fakeProc, "sys", "net", "ipv4")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tcp_available_congestion_control"), []byte("reno cubic\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := script(t, tp.nat, []string{"S3MIGRATE_NAT_ETC=" + t.TempDir(), "S3MIGRATE_NAT_PROC=" + fakeProc, "S3MIGRATE_NAT_CC=bbr", "PATH=/usr/bin:/bin"}, "core", natOutIf, privateCIDR)
		if err == nil || !strings.Contains(out, "FAILED: the kernel does not offer bbr congestion control (available: reno cubic)") {
			t.Fatalf("core on a kernel without bbr did not fail loudly: err=%v\n%s", err, out)
		}
	})
}

// testProxyInNamespace runs `s3migrate egress-proxy` exactly as the script's
// systemd unit does, in the nat namespace, and sends HTTPS through it from
// the private namespace: TLS end to end, the far side sees the NAT's
// address, and the proxy's upstream socket runs cc (logged by the proxy and
// seen by ss on the live connection).
func testProxyInNamespace(t *testing.T, tp topology, far *farSide, env []string, cc string) {
	// The real CLI, as the NAT instance downloads it.
	bin := filepath.Join(t.TempDir(), "s3migrate")
	build := exec.Command("go", "build", "-o", bin, "./src/cmd/s3migrate")
	build.Dir = filepath.Join(moduleDir(t), "..", "..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build s3migrate: %v\n%s", err, out)
	}
	listen := natInIP + ":3128"
	out, err := script(t, tp.nat, env, "proxy-command", bin, listen, remoteIP+",*.far.test", "8443")
	if err != nil {
		t.Fatalf("proxy-command: %v\n%s", err, out)
	}
	argv := strings.Split(strings.TrimSpace(out), "\n")
	wantArgv := []string{bin, "egress-proxy", "--listen", listen, "--allow-host", remoteIP + ",*.far.test", "--allow-port", "8443", "--tcp-congestion", cc}
	if !slices.Equal(argv, wantArgv) {
		t.Fatalf("proxy command line = %q, want %q", argv, wantArgv)
	}

	proxy := exec.Command("ip", append([]string{"netns", "exec", tp.nat}, argv...)...)
	stderr, err := proxy.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Process.Kill(); _ = proxy.Wait() })
	logs := make(chan map[string]any, 64)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				logs <- m
			}
		}
		close(logs)
	}()
	waitMsg := func(msg string) map[string]any {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case m, ok := <-logs:
				if !ok {
					t.Fatalf("the proxy exited before logging %q", msg)
				}
				if m["msg"] == msg {
					return m
				}
			case <-deadline:
				t.Fatalf("the proxy did not log %q", msg)
			}
		}
	}
	waitMsg("egress proxy listening")

	pool := x509.NewCertPool()
	pool.AddCert(far.cert)
	proxyURL, _ := url.Parse("http://" + listen)
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		Proxy:           http.ProxyURL(proxyURL),
		DialContext:     dialIn(tp.private),
		TLSClientConfig: &tls.Config{RootCAs: pool}, // verified end to end: the proxy only tunnels
	}}

	done := make(chan error, 1)
	go func() {
		resp, err := client.Get("https://" + remoteIP + ":8443/hold")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	select {
	case <-far.held:
	case err := <-done:
		t.Fatalf("HTTPS through the proxy: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the request never reached the far side")
	}
	// The tunnel is open: look at the proxy's live upstream socket from outside.
	ss := sh(t, "ip", "netns", "exec", tp.nat, "ss", "-tinH", "dst", remoteIP+":8443")
	close(far.release)
	if err := <-done; err != nil {
		t.Fatalf("HTTPS through the proxy: %v", err)
	}
	if !regexp.MustCompile(`(^|\s)` + cc + `(\s|$)`).MatchString(ss) {
		t.Fatalf("ss shows no %s on the proxy's upstream socket:\n%s", cc, ss)
	}
	t.Logf("proxy upstream socket (ss -ti):\n%s", ss)
	if got := far.lastClient(); got != natOutIP {
		t.Fatalf("through the proxy the far side saw %s, want the NAT's address %s", got, natOutIP)
	}
	opened := waitMsg("tunnel opened")
	if opened["congestion"] != cc {
		t.Fatalf("proxy logged upstream congestion %v, want %s (%v)", opened["congestion"], cc, opened)
	}

	// Outside the allowlist: refused by the proxy.
	resp, err := client.Get("https://" + natOutIP + ":8443/")
	if err == nil {
		resp.Body.Close()
		t.Fatal("the proxy tunnelled to a host outside its allowlist")
	}
}
