package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	hearthapp "github.com/hearth-dns/hearth/internal/app"
	"github.com/hearth-dns/hearth/internal/config"
)

// reloadWait bounds how long `hearth reload` waits for the outcome (a
// changed list setup compiles new lists before the reload is done).
const reloadWait = 2 * time.Minute

func newReloadCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reload",
		Short: "Ask the running Hearth to read its configuration again, and wait for the outcome",
		Long: "reload asks the running `hearth serve` (through its control socket, control.sock\n" +
			"in the state directory) to read hearth.yaml again, as SIGHUP does, and waits:\n" +
			"it exits 0 once the new configuration is in use, and 1 with the problems when\n" +
			"it was refused (the running configuration then stays, and the dashboard shows\n" +
			"the problems until a later reload succeeds). systemd's `systemctl reload hearth`\n" +
			"runs it. --config names the file only to find the state directory.",
		Args: cobra.NoArgs,
	}
	opts := a.configFlags(cmd)
	var socket string
	cmd.Flags().StringVar(&socket, "socket", "", "the control socket (default: control.sock in the state directory)")
	cmd.RunE = func(*cobra.Command, []string) error {
		if socket == "" {
			socket = filepath.Join(a.stateDirOf(opts()), hearthapp.ControlSocket)
		}
		reply, err := askReload(socket)
		if err != nil {
			fmt.Fprintf(a.stderr, "hearth reload: %v\nIs `hearth serve` running with this state directory? (SIGHUP reloads too, without waiting for the outcome.)\n", err)
			return exitStatus(exitError)
		}
		if !reply.Reloaded {
			fmt.Fprintln(a.stderr, "hearth reload: refused; the running configuration stays:")
			for _, p := range reply.Problems {
				fmt.Fprintln(a.stderr, "  "+p)
			}
			return exitStatus(exitError)
		}
		fmt.Fprintln(a.stdout, "reloaded: the new configuration is in use")
		return nil
	}
	return cmd
}

// askReload asks the control socket at path to reload and returns its reply.
func askReload(path string) (hearthapp.ControlReply, error) {
	var reply hearthapp.ControlReply
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return reply, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(reloadWait))
	if _, err := c.Write([]byte("reload\n")); err != nil {
		return reply, err
	}
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		return reply, fmt.Errorf("%s: no answer: %w", path, err)
	}
	if err := json.Unmarshal(line, &reply); err != nil {
		return reply, fmt.Errorf("%s: %w", path, err)
	}
	return reply, nil
}

// stateDirOf is the state directory the configuration names. The file may
// be the broken one being reloaded: then state_dir is read from it (or
// HEARTH_STATE_DIR) as plainly as possible, else the default is used.
func (a *app) stateDirOf(opts config.LoadOptions) string {
	cfg, src, err := config.Load(opts)
	if err == nil {
		return cfg.StateDirectory()
	}
	c := &config.Config{}
	if src.File != "" {
		var raw struct {
			StateDir string `yaml:"state_dir"`
		}
		if b, err := os.ReadFile(src.File); err == nil {
			if yaml.Unmarshal(b, &raw) == nil {
				c.StateDir = raw.StateDir
			} else {
				c.StateDir = stateDirLine(string(b))
			}
		}
	}
	for _, kv := range a.environ() {
		if v, ok := strings.CutPrefix(kv, "HEARTH_STATE_DIR="); ok && v != "" {
			c.StateDir = v
		}
	}
	return c.StateDirectory()
}

// stateDirLine finds a top-level "state_dir: X" line in a file YAML cannot
// read (a tab, a missing bracket elsewhere).
func stateDirLine(text string) string {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, "state_dir:"); ok {
			v, _, _ = strings.Cut(v, " #")
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}
