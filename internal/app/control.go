package app

// The control socket: `hearth reload` (and so systemd's ExecReload) asks the
// running process to reload through a Unix socket in the state directory,
// and waits for the outcome, so that `systemctl reload hearth` fails when the
// new file is refused. Only the service's user and root can connect: the
// socket is 0600 in the state directory (0750), which is all the
// authentication it needs, and it works with the dashboard off.

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/web"
)

// ControlSocket is the control socket's name in the state directory.
const ControlSocket = "control.sock"

// ControlReply is the control socket's answer to "reload": one JSON line.
type ControlReply struct {
	Reloaded bool     `json:"reloaded"`
	Problems []string `json:"problems,omitempty"`
}

// RefusedError is a reload refused for the problems it lists (each a
// complete sentence with file, line and key where known).
type RefusedError struct{ Problems []string }

func (e *RefusedError) Error() string { return strings.Join(e.Problems, "; ") }

// problemsOf lists why err refused a reload.
func problemsOf(err error) []string {
	var re *RefusedError
	if errors.As(err, &re) && len(re.Problems) > 0 {
		return re.Problems
	}
	return []string{err.Error()}
}

// NoteReload records a reload's outcome (nil: it succeeded), whoever asked
// for it: the dashboard shows a refused one until a later one succeeds.
func (h *Hearth) NoteReload(err error) {
	o := web.ReloadOutcome{At: time.Now()}
	if err != nil {
		o.Refused, o.Problems = true, problemsOf(err)
	}
	h.lastReload.Store(&o)
	if err == nil && h.cluster != nil {
		h.noteRunningConfig()
		h.cluster.ConfigChanged() // hearth.yaml may have changed: shared if it did
	}
}

// LastReload is the last reload's outcome (the zero one before any).
func (h *Hearth) LastReload() web.ReloadOutcome {
	if o := h.lastReload.Load(); o != nil {
		return *o
	}
	return web.ReloadOutcome{}
}

// listenControl opens the control socket in dir. A socket another Hearth
// still answers on is left alone (an error); a stale one is replaced.
func listenControl(dir string) (net.Listener, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, ControlSocket)
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, errors.New(path + ": another Hearth is running with this state directory")
	}
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// serveControl answers the control socket's connections until ln closes.
func (h *Hearth) serveControl(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go h.controlConn(c)
	}
}

func (h *Hearth) controlConn(c net.Conn) {
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	var reply ControlReply
	switch strings.TrimSpace(line) {
	case "reload":
		if err := h.RequestReload(); err != nil {
			reply.Problems = problemsOf(err)
		} else {
			reply.Reloaded = true
		}
	default:
		reply.Problems = []string{"unknown request " + strings.TrimSpace(line) + ` (this Hearth knows "reload")`}
	}
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = json.NewEncoder(c).Encode(reply)
}
