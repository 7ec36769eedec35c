package cli

import (
	"context"
	"crypto/x509"
	"os"

	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/s3migrate/s3migrate/src/netx"
	"github.com/s3migrate/s3migrate/src/s3side"
)

// sideFlags are the flags of one side (--src-* or --dst-*).
type sideFlags struct {
	side                       string // "src" or "dst"
	region, endpoint, profile  string
	roleARN, externalID        string
	pathStyle, requesterPays   bool
	anonymous                  bool
	accessKeyEnv, secretKeyEnv string
	sessionTokenEnv            string
	maxAttempts                int
}

func (s *sideFlags) register(fs *flag.FlagSet, side, what string) {
	s.side = side
	up := strings.ToUpper(side)
	fs.StringVar(&s.region, side+"-region", "", what+" region (empty: detected from the bucket)")
	fs.StringVar(&s.endpoint, side+"-endpoint", "", what+" endpoint: an S3-compatible URL, or a preset aliyun-oss:<region>, tencent-cos:<region> (empty: AWS)")
	fs.StringVar(&s.profile, side+"-profile", "", what+" named profile from the shared AWS config files")
	fs.StringVar(&s.roleARN, side+"-role-arn", "", "role to assume for the "+what)
	fs.StringVar(&s.externalID, side+"-external-id", "", "external id for --"+side+"-role-arn")
	fs.BoolVar(&s.pathStyle, side+"-path-style", false, "path-style addressing for the "+what+" (most self-hosted stores need it)")
	fs.BoolVar(&s.requesterPays, side+"-requester-pays", false, "send x-amz-request-payer: requester to the "+what)
	if side == "src" {
		fs.BoolVar(&s.anonymous, side+"-anonymous", false, "read the source without credentials (public buckets)")
	}
	fs.StringVar(&s.accessKeyEnv, side+"-access-key-env", "S3MIGRATE_"+up+"_ACCESS_KEY_ID", "environment variable holding the "+what+"'s access key id (used when set)")
	fs.StringVar(&s.secretKeyEnv, side+"-secret-key-env", "S3MIGRATE_"+up+"_SECRET_ACCESS_KEY", "environment variable holding the "+what+"'s secret access key")
	fs.StringVar(&s.sessionTokenEnv, side+"-session-token-env", "S3MIGRATE_"+up+"_SESSION_TOKEN", "environment variable holding the "+what+"'s session token (optional)")
	fs.IntVar(&s.maxAttempts, side+"-max-attempts", s3side.DefaultMaxAttempts, "attempts per request to the "+what+" (throttling, 5xx, resets retried with backoff and jitter)")
}

// config turns the flags into an s3side.Config.
func (s *sideFlags) config(env Env, client *http.Client, log *slog.Logger) s3side.Config {
	c := s3side.Config{
		Region: s.region, Endpoint: s.endpoint, PathStyle: s.pathStyle, RequesterPays: s.requesterPays,
		Profile: s.profile, Anonymous: s.anonymous, RoleARN: s.roleARN, ExternalID: s.externalID,
		MaxAttempts: s.maxAttempts, Logger: log,
	}
	if client != nil {
		c.HTTPClient = client
	}
	if id := env.Getenv(s.accessKeyEnv); id != "" {
		c.AccessKeyID, c.SecretAccessKey, c.SessionToken = id, env.Getenv(s.secretKeyEnv), env.Getenv(s.sessionTokenEnv)
	}
	return c
}

// netFlags are the connection flags shared by both sides.
type netFlags struct {
	proxy, congestion, bandwidth string
}

func (n *netFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.proxy, "proxy", "", "egress proxy: http://host:port (CONNECT) or socks5://host:port; 'direct' ignores HTTPS_PROXY")
	fs.StringVar(&n.congestion, "tcp-congestion", "", "TCP congestion control for every connection, e.g. bbr (where the kernel offers it)")
	fs.StringVar(&n.bandwidth, "bandwidth-limit", "", "limit bytes/s over the whole process: one rate for both directions (50MiB) or UP:DOWN (50MiB:0)")
}

func (n *netFlags) client(ctx context.Context, getenv func(string) string, connsPerHost int, log *slog.Logger) (*http.Client, error) {
	up, down, err := netx.ParseBandwidth(n.bandwidth)
	if err != nil {
		return nil, fmt.Errorf("--bandwidth-limit: %w", err)
	}
	cfg := netx.Config{ConnsPerHost: connsPerHost, ProxyURL: n.proxy, TCPCongestion: n.congestion,
		UploadBytesPerSec: up, DownloadBytesPerSec: down, Logger: log}
	if bundle := getenv("AWS_CA_BUNDLE"); bundle != "" {
		pem, err := os.ReadFile(bundle)
		if err != nil {
			return nil, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("AWS_CA_BUNDLE %s holds no PEM certificate", bundle)
		}
		cfg.RootCAs = pool
	}
	c, err := netx.NewHTTPClient(cfg)
	if err != nil {
		return nil, err
	}
	if n.congestion != "" {
		inEffect, err := netx.CongestionInEffect(ctx, cfg)
		log.Info("tcp congestion control", "requested", n.congestion, "in_effect", inEffect, "err", err)
	}
	return c, nil
}
