package netx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
)

// AvailableCongestionFile lists the congestion controls the kernel offers
// (built in or loaded as modules).
const AvailableCongestionFile = "/proc/sys/net/ipv4/tcp_available_congestion_control"

// ErrCongestionUnsupported is returned (wrapped) when the requested
// congestion control cannot be set on this system.
var ErrCongestionUnsupported = errors.New("tcp congestion control not available")

// AvailableCongestion returns the congestion controls the running kernel
// offers, in the kernel's order.
func AvailableCongestion() ([]string, error) {
	b, err := os.ReadFile(AvailableCongestionFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w: per-socket congestion control needs Linux", AvailableCongestionFile, ErrCongestionUnsupported)
	}
	return strings.Fields(string(b)), nil
}

// checkCongestionAvailable returns nil when name is offered by the kernel.
func checkCongestionAvailable(name string) error {
	avail, err := AvailableCongestion()
	if err != nil {
		return err
	}
	if !slices.Contains(avail, name) {
		return fmt.Errorf("%w: the kernel offers %q but not %q: load the module (modprobe tcp_%s) or pick one it offers", ErrCongestionUnsupported, strings.Join(avail, " "), name, name)
	}
	return nil
}

// ConnCongestion reads back, with getsockopt(TCP_CONGESTION), the congestion
// control in effect on a TCP connection (a *net.TCPConn, a *tls.Conn or
// anything with a NetConn() method that leads to one).
func ConnCongestion(c net.Conn) (string, error) {
	for {
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return "", fmt.Errorf("connection %T has no socket to read the congestion control from", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return "", fmt.Errorf("congestion control: socket of %s: %w", c.RemoteAddr(), err)
	}
	var name string
	var gerr error
	if err := raw.Control(func(fd uintptr) { name, gerr = getCongestion(fd) }); err != nil {
		return "", fmt.Errorf("congestion control: socket of %s: %w", c.RemoteAddr(), err)
	}
	if gerr != nil {
		return "", fmt.Errorf("getsockopt TCP_CONGESTION on connection to %s: %w", c.RemoteAddr(), gerr)
	}
	return name, nil
}

// CongestionInEffect opens a real loopback TCP connection with the dialer
// that cfg describes and returns the congestion control the kernel reports
// on it, so a program can log what its connections really use.
func CongestionInEffect(ctx context.Context, cfg Config) (string, error) {
	d, err := NewDialer(cfg)
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("congestion probe: listen on loopback: %w", err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return "", fmt.Errorf("congestion probe: dial loopback: %w", err)
	}
	defer c.Close()
	if sc, ok := <-accepted; ok {
		sc.Close()
	}
	return ConnCongestion(c)
}
