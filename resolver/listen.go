package resolver

import (
	"errors"
	"net"
	"strconv"
)

// parseListen checks a listen address: host:port, where the host may be empty
// (all addresses) and the port 0 (any free port, used by tests).
func parseListen(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", err
	}
	if host != "" && net.ParseIP(host) == nil {
		return "", errors.New("host must be an IP address or empty")
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", errors.New("port must be a number 0..65535")
	}
	return s, nil
}

// hostPort returns s as host:port, adding defPort when s has none.
func hostPort(s, defPort string) (string, error) {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s, nil
	}
	if ip := net.ParseIP(s); ip != nil {
		return net.JoinHostPort(s, defPort), nil
	}
	if s == "" {
		return "", errors.New("empty address")
	}
	return net.JoinHostPort(s, defPort), nil
}
