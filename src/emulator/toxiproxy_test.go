package emulator

import (
	"bytes"
	"crypto/md5"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// bodyRecorder is an HTTP server that keeps every request body it receives.
type bodyRecorder struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newBodyRecorder(t *testing.T) *bodyRecorder {
	r := &bodyRecorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, b)
		r.mu.Unlock()
		_, _ = w.Write(b[:min(len(b), 16)])
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *bodyRecorder) received() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

func TestToxiproxy(t *testing.T) {
	tp := StartToxiproxy(t)
	backend := newBodyRecorder(t)
	p := tp.Proxy(t, "s3", backend.Listener.Addr().String())
	if strings.HasSuffix(p.Addr(), ":0") {
		t.Fatalf("proxy address %q: the listen port was not resolved", p.Addr())
	}
	put := func() error {
		req, _ := http.NewRequest(http.MethodPut, "http://"+p.Addr()+"/k", bytes.NewReader(bytes.Repeat([]byte("x"), 200_000)))
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}
	if err := put(); err != nil {
		t.Fatalf("through a clean proxy: %v", err)
	}

	lat := p.Latency(t, Downstream, 150, 0)
	start := time.Now()
	if err := put(); err != nil {
		t.Fatalf("through latency: %v", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond { // a lower bound: the toxic cannot make it faster
		t.Fatalf("request took %s through a 150ms latency toxic", d)
	}
	p.Remove(t, lat)

	reset := p.ResetPeer(t, Upstream, 0)
	if err := put(); err == nil {
		t.Fatalf("request succeeded through reset_peer")
	}
	p.Remove(t, reset)

	limit := p.LimitData(t, Upstream, 1000)
	if err := put(); err == nil {
		t.Fatalf("a 200 KB upload passed a 1000-byte limit_data")
	}
	p.Remove(t, limit)

	bw := p.Bandwidth(t, Upstream, 100_000)
	toxics, err := p.Toxics()
	if err != nil || len(toxics) != 1 || toxics[0].Name != bw || toxics[0].Type != "bandwidth" {
		t.Fatalf("toxics = %+v, %v", toxics, err)
	}
	if err := put(); err != nil {
		t.Fatalf("after removing the failing toxics: %v", err)
	}
}

func TestCorruptingProxy(t *testing.T) {
	backend := newBodyRecorder(t)
	cp := StartCorruptingProxy(t, backend.Listener.Addr().String(), 3)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}} // keep-alive: several requests per connection

	var sent [][]byte
	for i := 0; i < 6; i++ {
		body := bytes.Repeat([]byte{byte('a' + i)}, 70_000+i)
		var rd io.Reader = bytes.NewReader(body)
		if i%2 == 1 {
			rd = io.MultiReader(rd) // unknown length: the client sends it chunked
		}
		req, _ := http.NewRequest(http.MethodPut, "http://"+cp.Addr+"/part", rd)
		if i == 4 {
			req.Header.Set("Expect", "100-continue")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		sent = append(sent, body)
		if _, err := client.Get("http://" + cp.Addr + "/no-body"); err != nil { // not counted
			t.Fatal(err)
		}
	}
	got := backend.received()
	var withBody [][]byte
	for _, b := range got {
		if len(b) > 0 {
			withBody = append(withBody, b)
		}
	}
	if len(withBody) != len(sent) {
		t.Fatalf("backend got %d bodies, want %d", len(withBody), len(sent))
	}
	for i := range sent {
		diff := 0
		for j := range sent[i] {
			if j < len(withBody[i]) && sent[i][j] != withBody[i][j] {
				diff++
			}
		}
		want := 0
		if i == 2 {
			want = 1
		}
		if len(withBody[i]) != len(sent[i]) || diff != want {
			t.Errorf("body %d: %d bytes differ (len %d vs %d), want %d", i+1, diff, len(withBody[i]), len(sent[i]), want)
		}
	}
	if cp.Corrupted() != 1 || cp.Bodies() != 6 {
		t.Fatalf("corrupted %d of %d bodies, want 1 of 6", cp.Corrupted(), cp.Bodies())
	}
	if md5.Sum(withBody[2]) == md5.Sum(sent[2]) {
		t.Fatal("the corrupted body has the original MD5")
	}
}
