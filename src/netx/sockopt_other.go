//go:build !linux

package netx

import "fmt"

func setCongestion(fd uintptr, name string) error {
	return fmt.Errorf("%w: TCP_CONGESTION is Linux only", ErrCongestionUnsupported)
}

func getCongestion(fd uintptr) (string, error) {
	return "", fmt.Errorf("%w: TCP_CONGESTION is Linux only", ErrCongestionUnsupported)
}
