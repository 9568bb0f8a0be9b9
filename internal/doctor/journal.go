package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/journal"
)

// 7. The journal.

func (d *Doctor) checkJournal(cfg *config.Config) {
	if !cfg.Journal.Enabled {
		d.report(Finding{Status: OK, Text: "journal: off (journal.enabled: false): nothing is recorded, so there is no report"})
		return
	}
	if cfg.Journal.Postgres != "" {
		d.checkPostgresJournal(cfg)
		return
	}
	path := journal.DefaultPath(cfg.Journal, cfg.StateDirectory())
	dir := filepath.Dir(path)
	perms := fmt.Sprintf("make it writable by the user Hearth runs as (e.g. `sudo chown -R hearth: %s`), "+
		"and check that the disk is not full or read-only (`df -h`; an SD card that turned read-only is failing)", dir)
	existing, err := existingDir(dir)
	if err != nil {
		d.report(Finding{Status: Fail, Text: fmt.Sprintf("journal directory %s: %v", dir, err),
			Fix: "journal.path (or state_dir) must name a place for a directory: correct it in hearth.yaml"})
		return
	}
	if err := tryWrite(existing); err != nil {
		d.report(Finding{Status: Fail, Text: fmt.Sprintf("journal directory %s: cannot write there (%v)", dir, err), Fix: perms})
		return
	}
	title := "journal directory " + dir + ": writable"
	if existing != dir {
		title = fmt.Sprintf("journal directory %s: not there yet; Hearth creates it (%s is writable)", dir, existing)
	}
	d.report(Finding{Status: OK, Text: title})

	if free, err := d.freeSpace(existing); err == nil {
		f := Finding{Status: OK, Text: fmt.Sprintf("disk: %s free for the journal", bytesText(free))}
		if free < doctorMinFree {
			f.Status, f.Text = Warn, fmt.Sprintf("disk: only %s free for the journal", bytesText(free))
			f.Fix = fmt.Sprintf("free some space (`df -h` shows what is full; `sudo apt-get clean` and "+
				"`sudo journalctl --vacuum-size=50M` often help); the journal may grow to journal.max_size_mb (%d MB)", cfg.Journal.MaxSizeMB)
		}
		d.report(f)
	}

	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		d.report(Finding{Status: OK, Text: "journal " + path + ": not created yet (Hearth creates it when it first records)"})
		return
	}
	r, err := journal.OpenReader(path)
	if err != nil {
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "journal: "), "opening "+path+": ")
		d.report(Finding{Status: Warn, Text: fmt.Sprintf("journal %s: %s", path, msg),
			Fix: "if this user may not read it, run the doctor as the user Hearth runs as; a damaged journal is set aside " +
				"and a new one started when Hearth starts"})
		return
	}
	r.Close()
	d.report(Finding{Status: OK, Text: "journal " + path + ": opens"})
}

// existingDir returns dir, or its nearest ancestor that exists when dir does
// not (Hearth creates the rest); an error when that is not a directory.
func existingDir(dir string) (string, error) {
	for {
		fi, err := os.Stat(dir)
		switch {
		case err == nil && fi.IsDir():
			return dir, nil
		case err == nil:
			return "", fmt.Errorf("%s is a file, not a directory", dir)
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", err
		}
		dir = parent
	}
}

// tryWrite creates and removes a file in dir.
func tryWrite(dir string) error {
	f, err := os.CreateTemp(dir, ".hearth-doctor-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// bytesText is a size as df -h writes it: 12G, 87M, 512K.
func bytesText(n uint64) string {
	switch {
	case n >= 10<<30:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%d MB", n>>20)
}

// diskFree asks df (POSIX output, 1024-byte blocks) how much is available on
// dir's file system. (statfs would need a file per operating system.)
func diskFree(dir string) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "df", "-Pk", dir).Output()
	if err != nil {
		return 0, err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	fields := strings.Fields(lines[len(lines)-1])
	// Filesystem 1024-blocks Used Available Capacity% Mounted-on: the file
	// system's and the mount point's names may hold spaces; Capacity ends in %.
	for i := 3; i < len(fields); i++ {
		if strings.HasSuffix(fields[i], "%") {
			kb, err := strconv.ParseUint(fields[i-1], 10, 64)
			if err != nil {
				break
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("df: cannot read %q", lines[len(lines)-1])
}
