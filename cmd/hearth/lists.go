package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/termsafe"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/words"
)

// `hearth lists`: what the blocklists hold, downloading them now, and why a
// name is (or is not) blocked. Each subcommand loads the configuration as
// serve does and works on the same cache directory (state_dir/lists).

func newListsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lists",
		Short: "Show the blocklists: entries, skipped lines, last update, errors",
		Long: "lists prints one line per list (configured sources and the public lists of\n" +
			"blocked catalogue categories): entries, skipped lines, when it was last\n" +
			"updated and the last error. It reads the cached copies and never downloads;\n" +
			"`hearth lists update` does.",
		Args: cobra.NoArgs,
	}
	opts := a.configFlags(cmd)
	cmd.RunE = func(*cobra.Command, []string) error {
		ls, _, err := a.openLists(opts())
		if err != nil {
			return err
		}
		if _, err := ls.Compile(); err != nil {
			fmt.Fprintf(a.stderr, "hearth: %v\n", err)
			return exitStatus(exitError)
		}
		printStatus(termsafe.NewWriter(a.stdout), ls.Status(), time.Now())
		return nil
	}
	cmd.AddCommand(newListsUpdateCmd(a), newListsTestCmd(a))
	return cmd
}

func newListsUpdateCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download every list now",
		Long: "update downloads every URL list now (a conditional request: an unchanged list\n" +
			"is not sent again) and prints what changed. A download that fails or is\n" +
			"rejected keeps the last good copy; then the exit status is 1.\n" +
			"A running serve compiles the new copies at its next refresh.",
		Args: cobra.NoArgs,
	}
	opts := a.configFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ls, _, err := a.openLists(opts())
		if err != nil {
			return err
		}
		_, rerr := ls.Refresh(cmd.Context())
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		n := 0
		for _, st := range ls.Status() {
			if st.URL == "" {
				continue
			}
			n++
			var what string
			switch st.LastFetch {
			case blocklists.FetchUpdated:
				what = fmt.Sprintf("updated: %d entries", st.Entries)
			case blocklists.FetchNotModified:
				what = fmt.Sprintf("not modified: %d entries", st.Entries)
			case blocklists.FetchFailed:
				what = "failed: " + st.LastError
				if !st.LastUpdate.IsZero() {
					what += " (keeping the copy from " + st.LastUpdate.Local().Format("2006-01-02 15:04") + ")"
				}
			default:
				what = "not tried"
			}
			fmt.Fprintf(tw, "%s\t%s\n", st.Name, what)
		}
		tw.Flush()
		if n == 0 {
			fmt.Fprintln(a.stdout, "no lists to download: no lists.sources with a url, and no blocked category with public lists")
		}
		if rerr != nil {
			return exitStatus(exitError)
		}
		return nil
	}
	return cmd
}

func newListsTestCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test NAME",
		Short: "Tell which lists, services and categories match a name, and through which rule",
		Long: "test compiles the lists from the cached copies (no download) and prints every\n" +
			"source that matches NAME with the rule it matched through, and whether\n" +
			"blocking.block blocks it. The exit status is 0 whether or not it is blocked.",
		Args: cobra.ExactArgs(1),
	}
	opts := a.configFlags(cmd)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(args[0])), ".")
		if _, ok := dns.IsDomainName(name); !ok || name == "" {
			fmt.Fprintf(a.stderr, "hearth: %q is not a domain name\n", args[0])
			return exitStatus(exitUsage)
		}
		ls, cfg, err := a.openLists(opts())
		if err != nil {
			return err
		}
		compiled, err := ls.Compile()
		if err != nil {
			fmt.Fprintf(a.stderr, "hearth: %v\n", err)
			return exitStatus(exitError)
		}
		explain(termsafe.NewWriter(a.stdout), name, compiled, cfg.Policy, cfg.ListCategories())
		for _, st := range ls.Status() {
			if st.URL != "" && st.LastUpdate.IsZero() {
				fmt.Fprintf(a.stdout, "note: %s has not been downloaded yet (hearth lists update)\n", st.Name)
			}
		}
		return nil
	}
	return cmd
}

// openLists loads the configuration and builds its Lists, as serve would:
// the built-in catalogue, the public lists of the categories blocking.block
// names, and lists.sources, cached under the state directory. Problems are
// printed; the error is then an exitStatus.
func (a *app) openLists(opts config.LoadOptions) (*blocklists.Lists, *config.Config, error) {
	cfg, src, err := config.Load(opts)
	a.printWarnings(src)
	if err != nil {
		a.printProblems(err)
		return nil, nil, exitStatus(exitError)
	}
	cat := blocklists.Builtin()
	ls, err := blocklists.New(cfg.Lists, blocklists.Options{
		Logger:     zerolog.Nop(), // what goes wrong is in Status, printed by the commands
		Dir:        cfg.ListsDir(),
		Catalogue:  cat,
		Categories: cfg.Policy.Categories(cat),
		UserAgent:  "hearth/" + version,
	})
	if err != nil {
		for _, e := range config.Problems(err) {
			fmt.Fprintf(a.stderr, "hearth: %v\n", e)
		}
		return nil, nil, exitStatus(exitError)
	}
	return ls, cfg, nil
}

// printStatus writes a summary of the catalogue services, then a table of
// the other sources.
func printStatus(w io.Writer, status []blocklists.SourceStatus, now time.Time) {
	services, domains := 0, 0
	var lists []blocklists.SourceStatus
	for _, st := range status {
		if st.Kind == blocklists.KindService {
			services++
			domains += st.Entries
			continue
		}
		lists = append(lists, st)
	}
	fmt.Fprintf(w, "catalogue: %d services, %d domains\n", services, domains)
	if len(lists) == 0 {
		fmt.Fprintln(w, "no lists: add lists.sources, or block a category with public lists (adult, gambling, malware)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tCATEGORY\tENTRIES\tSKIPPED\tUPDATED\tAGE\tERROR")
	for _, st := range lists {
		entries := strconv.Itoa(st.Entries)
		if st.Exceptions > 0 {
			entries += fmt.Sprintf(" (+%d exceptions)", st.Exceptions)
		}
		updated, age := "-", "-"
		if !st.LastUpdate.IsZero() {
			updated = st.LastUpdate.Local().Format("2006-01-02 15:04")
			age = blocklists.ShortAge(now.Sub(st.LastUpdate))
		}
		errText := st.LastError
		if errText == "" {
			errText = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Name, kindName(st), strings.Join(st.Categories, ","),
			entries, skipped(st), updated, age, errText)
	}
	tw.Flush()
}

// kindName says where a source's entries come from: url, file, inline or
// category list.
func kindName(st blocklists.SourceStatus) string {
	switch {
	case st.Kind == blocklists.KindCategoryList:
		return "public"
	case st.URL != "":
		return "url"
	case st.File != "":
		return "file"
	}
	return "inline"
}

// skipped is "0", or "3 (lines 5, 7, 9)", or "12 (lines 1, 2, 3, 4, 5, ...)".
func skipped(st blocklists.SourceStatus) string {
	if st.Skipped == 0 {
		return "0"
	}
	lines := make([]string, len(st.SkippedLines))
	for i, n := range st.SkippedLines {
		lines[i] = strconv.Itoa(n)
	}
	more := ""
	if st.Skipped > len(st.SkippedLines) {
		more = ", ..."
	}
	return fmt.Sprintf("%d (lines %s%s)", st.Skipped, strings.Join(lines, ", "), more)
}

// explain writes which sources match name, through which rule, and whether
// blocking.block blocks it.
func explain(w io.Writer, name string, c *blocklists.Compiled, block policy.Config, listCats []string) {
	matches := c.Explain(name)
	if len(matches) == 0 {
		fmt.Fprintf(w, "%s: not blocked by any list\n", name)
		return
	}
	engine, err := policy.NewEngine(block, policy.Options{ListCategories: listCats})
	if err != nil {
		fmt.Fprintf(w, "%s: cannot evaluate the policy: %v\n", name, err)
		return
	}
	engine.SetLists(c)
	blocked := map[string]bool{}
	for _, b := range block.Blocking.Block {
		blocked[b] = true
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tKIND\tCATEGORIES\tRULE\tBLOCKED BY")
	for _, m := range matches {
		var by []string
		if m.Source.Kind == blocklists.KindService && blocked[m.Source.Service] {
			by = append(by, m.Source.Service)
		}
		for _, cat := range m.Source.Categories {
			if blocked[cat] {
				by = append(by, cat)
			}
		}
		byText := "-"
		if len(by) > 0 {
			byText = "blocking.block: " + strings.Join(by, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Source.Name, m.Source.Kind, strings.Join(m.Source.Categories, ","), m.Rule(), byText)
	}
	tw.Flush()
	if d, err := engine.DecideFor(name, "", time.Now()); err == nil && d.Action == policy.Block && d.Rule == "blocking.block" {
		f := d.Facts()
		fmt.Fprintf(w, "%s: blocked for everyone: %s\n", name, words.Short(&f))
		return
	}
	fmt.Fprintf(w, "%s: listed, but not in blocking.block; `hearth explain --device NAME %s` shows what a device's group does\n", name, name)
}
