package netx

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/net/proxy"
)

// NewHTTPClient returns an HTTP client for S3 and HTTP(S) sources built from
// cfg (see Config). The client has no overall timeout: per-request deadlines
// come from the caller's context.
//
// HTTP/2 is switched off on purpose: S3 endpoints speak HTTP/1.1, and where
// an S3-compatible server offers h2, multiplexing every part onto one TCP
// connection would put all parts in flight behind a single congestion window
// (and one lost packet stalls them all). On a long-haul link throughput comes
// from many parallel connections, each with its own window, so every part in
// flight gets its own HTTP/1.1 connection, kept alive and reused.
func NewHTTPClient(cfg Config) (*http.Client, error) {
	rt, err := NewTransport(cfg)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: rt}, nil
}

// NewTransport is the RoundTripper of NewHTTPClient, for callers that wrap
// it (e.g. the AWS SDK's HTTP client options).
func NewTransport(cfg Config) (http.RoundTripper, error) {
	d, err := NewDialer(cfg)
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ps, err := cfg.proxy()
	if err != nil {
		return nil, err
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	t := &http.Transport{
		DialContext:           d.DialContext,
		MaxIdleConns:          0, // no global cap; the per-host pool below bounds it
		MaxIdleConnsPerHost:   cfg.ConnsPerHost + cfg.ConnsPerHost/4 + 1,
		IdleConnTimeout:       cfg.IdleConnTimeout,
		TLSHandshakeTimeout:   cfg.TLSHandshakeTimeout,
		ResponseHeaderTimeout: cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second, // S3 answers 100-continue quickly
		DisableCompression:    true,        // bodies must arrive byte for byte, never gunzipped
		Protocols:             &protocols,
		TLSClientConfig:       &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
		WriteBufferSize:       64 << 10,
		ReadBufferSize:        64 << 10,
	}
	switch {
	case ps.fromEnv:
		t.Proxy = http.ProxyFromEnvironment
	case ps.url == nil:
		// direct
	case ps.url.Scheme == "socks5" || ps.url.Scheme == "socks5h":
		sd, err := proxy.FromURL(ps.url, d)
		if err != nil {
			return nil, fmt.Errorf("socks5 proxy %s: %w", ps.url.Redacted(), err)
		}
		cd, ok := sd.(proxy.ContextDialer)
		if !ok {
			return nil, fmt.Errorf("socks5 proxy %s: dialer %T cannot take a context", ps.url.Redacted(), sd)
		}
		t.DialContext = cd.DialContext
	default: // http:// or https:// CONNECT proxy; the transport dials it with d.
		t.Proxy = http.ProxyURL(ps.url)
	}
	cfg.Logger.Debug("http transport", "conns_per_host", cfg.ConnsPerHost, "proxy", proxyLabel(ps),
		"tcp_congestion", d.Congestion(), "upload_limit_bps", cfg.UploadBytesPerSec, "download_limit_bps", cfg.DownloadBytesPerSec)
	return newLimitedTransport(t, cfg.UploadBytesPerSec, cfg.DownloadBytesPerSec), nil
}

func proxyLabel(ps proxySetting) string {
	switch {
	case ps.fromEnv:
		return "environment"
	case ps.url == nil:
		return ProxyDirect
	default:
		return ps.url.Redacted()
	}
}
