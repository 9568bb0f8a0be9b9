// Command ouigen makes policy/identity's embedded MAC vendor table
// (oui.bin.gz) from the IEEE MA-L registry as Debian's ieee-data package
// ships it (/usr/share/ieee-data/oui.csv). Run it through go generate in
// policy/identity after `apt-get install ieee-data`:
//
//	go generate ./policy/identity/
//
// The table holds the MA-L (24-bit) assignments only: the MA-M and MA-S
// blocks (28- and 36-bit, mostly small makers of industrial kit) would
// double its size for devices a household rarely has.
//
// Format, before gzip (all integers unsigned varints):
//
//	"HOUI1\n" nNames {len bytes}... nPrefixes {delta}... {nameIndex}...
//
// Names are sorted; prefixes ascending, each stored as the difference from
// the one before (the first from 0), then every prefix's name index: column
// by column, so gzip finds the repeats.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "/usr/share/ieee-data/oui.csv", "the IEEE MA-L registry in CSV")
	out := flag.String("out", "oui.bin.gz", "the table to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "ouigen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("%w (install Debian's ieee-data package)", err)
	}
	defer f.Close()
	table, err := read(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	data, err := encode(table)
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}

// read returns vendor names by 24-bit prefix from the registry's CSV.
func read(r io.Reader) (map[uint32]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	if len(head) < 3 || head[0] != "Registry" || head[1] != "Assignment" {
		return nil, fmt.Errorf("line 1: not the IEEE registry's header: %q", head)
	}
	table := map[uint32]string{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return table, nil
		}
		if err != nil {
			return nil, err
		}
		if len(rec) < 3 || rec[0] != "MA-L" {
			continue
		}
		p, err := strconv.ParseUint(rec[1], 16, 32)
		if err != nil || len(rec[1]) != 6 {
			return nil, fmt.Errorf("line %d: assignment %q is not 6 hex digits", line, rec[1])
		}
		if name := Short(rec[2]); name != "" {
			table[uint32(p)] = name
		}
	}
}

// suffixes are legal forms dropped from the end of a maker's name.
var suffixes = []string{
	"co., ltd.", "co.,ltd.", "co.,ltd", "co., ltd", "co. ltd.", "co. ltd", "co ltd", "co.,ltd.", "co.",
	"corporation", "corp.", "corp", "incorporated", "inc.", "inc", "limited", "ltd.", "ltd",
	"gmbh & co. kg", "gmbh", "ag", "s.a.", "sa", "s.p.a.", "spa", "b.v.", "bv", "n.v.", "a/s", "ab", "oy",
	"llc", "l.l.c.", "plc", "pty", "pte", "s.r.l.", "srl", "sas", "kg", "k.k.", "co", "company",
}

// Short is a maker's name as a parent reads it: "Apple, Inc." is "Apple",
// "Nintendo Co.,Ltd" is "Nintendo"; at most 40 characters.
func Short(name string) string {
	s := strings.Join(strings.Fields(name), " ")
	for changed := true; changed; {
		changed = false
		s = strings.TrimRight(s, " ,.")
		low := strings.ToLower(s)
		for _, suf := range suffixes {
			if len(low) > len(suf) && strings.HasSuffix(low, suf) {
				before := low[len(low)-len(suf)-1]
				if before == ' ' || before == ',' || (before == '.' && strings.HasPrefix(suf, "co")) {
					s, changed = s[:len(s)-len(suf)], true
					break
				}
			}
		}
	}
	if r := []rune(s); len(r) > 40 {
		s = strings.TrimSpace(string(r[:40]))
	}
	return s
}

// encode writes the table in the format above, gzip'd.
func encode(table map[uint32]string) ([]byte, error) {
	prefixes := make([]uint32, 0, len(table))
	seen := map[string]bool{}
	var names []string
	for p, n := range table {
		prefixes = append(prefixes, p)
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	slices.Sort(prefixes)
	slices.Sort(names)
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	var raw bytes.Buffer
	raw.WriteString("HOUI1\n")
	put := func(v uint64) { raw.Write(binary.AppendUvarint(nil, v)) }
	put(uint64(len(names)))
	for _, n := range names {
		put(uint64(len(n)))
		raw.WriteString(n)
	}
	put(uint64(len(prefixes)))
	last := uint32(0)
	for _, p := range prefixes {
		put(uint64(p - last))
		last = p
	}
	for _, p := range prefixes {
		put(uint64(index[table[p]]))
	}
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.Write(raw.Bytes())
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
