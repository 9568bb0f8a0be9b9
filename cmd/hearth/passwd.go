package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/web"
)

// `hearth passwd`: the dashboard's admin password and the API's tokens, in
// state_dir/admin.json. The running server reads the file again when it
// changes, so nothing needs restarting.

func newPasswdCmd(a *app) *cobra.Command {
	var (
		file, token, revoke string
		list                bool
	)
	cmd := &cobra.Command{
		Use:   "passwd [--token NAME | --revoke NAME | --list-tokens]",
		Short: "Set the dashboard's admin password, or manage API tokens",
		Long: "passwd sets the password for the family dashboard. Until one is set the\n" +
			"dashboard changes nothing. On a terminal it asks twice without echoing;\n" +
			"otherwise it reads one line from standard input. The password is kept as a\n" +
			"bcrypt hash in state_dir/admin.json, which the running server reads again\n" +
			"within a second: no restart is needed, and everyone logged in must log in\n" +
			"again.\n\n" +
			"--token NAME creates a token for scripts, which send it as\n" +
			"\"Authorization: Bearer TOKEN\" to the API. It is shown once; only its hash\n" +
			"is kept. A token of the same name is replaced. --revoke NAME removes one;\n" +
			"--list-tokens lists them.\n\n" +
			"Run it as root (sudo) for the installed service: the file then goes to the\n" +
			"service's user, who owns the state directory.",
		Example: "  sudo hearth passwd\n" +
			"  echo 'a long family password' | sudo hearth passwd\n" +
			"  sudo hearth passwd --token backup-script\n" +
			"  sudo hearth passwd --list-tokens\n" +
			"  sudo hearth passwd --revoke backup-script",
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVarP(&file, "config", "c", "",
		"configuration file (default: ./hearth.yaml, then /etc/hearth/hearth.yaml, else built-in defaults)")
	fl.StringVar(&token, "token", "", "create (or replace) the API token called NAME and print it")
	fl.StringVar(&revoke, "revoke", "", "remove the API token called NAME")
	fl.BoolVar(&list, "list-tokens", false, "list the API tokens (names and when they were made)")
	cmd.MarkFlagsMutuallyExclusive("token", "revoke", "list-tokens")

	cmd.RunE = func(_ *cobra.Command, _ []string) error {
		fail := func(err error) error {
			msg := err.Error()
			if errors.Is(err, fs.ErrPermission) {
				msg += " (run it as root: sudo hearth passwd ...)"
			}
			fmt.Fprintln(a.stderr, "hearth: "+msg)
			return exitStatus(exitError)
		}
		cfg, src, err := config.Load(a.loadOptions(file, nil))
		a.printWarnings(src)
		if err != nil {
			a.printProblems(err)
			return exitStatus(exitError)
		}
		dir := cfg.StateDirectory()
		path := filepath.Join(dir, web.AdminFile)

		switch {
		case list:
			tokens, err := web.Tokens(dir)
			if err != nil {
				return fail(err)
			}
			if len(tokens) == 0 {
				fmt.Fprintf(a.stdout, "No API tokens in %s. Create one with: sudo hearth passwd --token NAME\n", path)
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCREATED")
			for _, t := range tokens {
				fmt.Fprintf(tw, "%s\t%s\n", t.Name, t.Created.Local().Format("2006-01-02 15:04"))
			}
			return tw.Flush()

		case revoke != "":
			if err := web.RevokeToken(dir, revoke); err != nil {
				return fail(err)
			}
			if err := a.giveToService(dir, path); err != nil {
				return fail(err)
			}
			fmt.Fprintf(a.stdout, "Revoked the token %q in %s: scripts using it are refused within a second.\n", revoke, path)
			return nil

		case token != "":
			old, err := web.Tokens(dir)
			if err != nil {
				return fail(err)
			}
			tok, err := web.NewToken(dir, token)
			if err != nil {
				return fail(err)
			}
			if err := a.giveToService(dir, path); err != nil {
				return fail(err)
			}
			verb := "Created"
			for _, t := range old {
				if t.Name == token {
					verb = "Replaced"
				}
			}
			fmt.Fprintf(a.stdout, "%s the API token %q in %s. It is shown only now; keep it safe:\n\n  %s\n\n", verb, token, path, tok)
			fmt.Fprintf(a.stdout, "Try it:  curl -H \"Authorization: Bearer %s\" %s/api/status\n", tok, dashboardURL(cfg.Web.Listen))
			if !cfg.Web.Enabled {
				fmt.Fprintln(a.stdout, "(The dashboard and its API are off: set web.enabled: true.)")
			}
			fmt.Fprintf(a.stdout, "Revoke it with: sudo hearth passwd --revoke %s\n", token)
			return nil
		}

		pw, err := a.readNewPassword()
		if err != nil {
			return fail(err)
		}
		if err := web.SetPassword(dir, pw); err != nil {
			return fail(err)
		}
		if err := a.giveToService(dir, path); err != nil {
			return fail(err)
		}
		fmt.Fprintf(a.stdout, "Set the dashboard's admin password in %s.\n"+
			"The running dashboard picks it up within a second, without a restart; anyone logged in must log in again.\n", path)
		if os.Geteuid() != 0 && cfg.StateDir == "" && os.Getenv("STATE_DIRECTORY") == "" {
			fmt.Fprintln(a.stdout, "Note: not run as root, so this is your own state directory; for the installed service run `sudo hearth passwd`.")
		}
		return nil
	}
	return cmd
}

// dashboardURL is where a script on another machine finds the dashboard
// listening on listen (web.listen): its own address if it has one, else
// this machine's name.
func dashboardURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "0" {
		port = "8080"
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil || ip.IsUnspecified() {
		host = "localhost"
		if name, err := os.Hostname(); err == nil && name != "" {
			host = name
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// readNewPassword asks twice without echo on a terminal, or reads one line
// from a pipe.
func (a *app) readNewPassword() (string, error) {
	in := a.stdin
	if in == nil {
		in = os.Stdin
	}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		fmt.Fprintf(a.stderr, "New dashboard password (at least %d characters): ", web.MinPasswordLen)
		first, err := term.ReadPassword(fd)
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", err
		}
		if len(first) == 0 {
			return "", errors.New("no password given; nothing changed")
		}
		fmt.Fprint(a.stderr, "Again: ")
		second, err := term.ReadPassword(fd)
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", err
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ; nothing changed")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input (give one line); nothing changed")
	}
	return line, nil
}

// giveToService hands the file at path to the owner of dir when running as
// root in a directory someone else owns (systemd's DynamicUser, or a hearth
// user), so the service can read it. A directory root owns stays root's:
// systemd's StateDirectory= hands it over, files and all, when the service
// starts.
func (a *app) giveToService(dir, path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	uid, gid, ok := fileOwner(fi)
	if !ok || uid == 0 {
		return nil
	}
	if err := os.Chown(path, uid, gid); err != nil {
		return fmt.Errorf("giving %s to the service's user (uid %d): %w", path, uid, err)
	}
	return nil
}

// fileOwner reads the owner from a FileInfo's Sys (a *syscall.Stat_t on Unix).
// Reflection keeps this file building on every GOOS without a twin per
// platform; elsewhere ok is false.
func fileOwner(fi os.FileInfo) (uid, gid int, ok bool) {
	v := reflect.ValueOf(fi.Sys())
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0, 0, false
	}
	u, g := v.Elem().FieldByName("Uid"), v.Elem().FieldByName("Gid")
	if !u.IsValid() || !g.IsValid() || !u.CanUint() || !g.CanUint() {
		return 0, 0, false
	}
	return int(u.Uint()), int(g.Uint()), true
}
