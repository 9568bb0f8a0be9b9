package identity

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
)

//go:generate go run ./internal/ouigen -in /usr/share/ieee-data/oui.csv -out oui.bin.gz

// ouiTable is the IEEE MA-L registry (24-bit prefixes), made by
// internal/ouigen from Debian's ieee-data package: see SOURCES.md.
//
//go:embed oui.bin.gz
var ouiTable []byte

// vendors is the table, read once on first use.
var vendors struct {
	once     sync.Once
	prefixes []uint32 // ascending
	names    []uint16 // index into text, per prefix
	text     []string
	err      error
}

func loadVendors() {
	v := &vendors
	v.prefixes, v.names, v.text, v.err = decodeOUI(ouiTable)
}

func decodeOUI(gz []byte) (prefixes []uint32, names []uint16, text []string, err error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, nil, nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, nil, nil, err
	}
	const magic = "HOUI1\n"
	if !bytes.HasPrefix(raw, []byte(magic)) {
		return nil, nil, nil, errors.New("oui table: bad header")
	}
	r := bytes.NewReader(raw[len(magic):])
	n, err := binary.ReadUvarint(r)
	if err != nil || n > 1<<16 {
		return nil, nil, nil, errors.New("oui table: bad name count")
	}
	text = make([]string, n)
	for i := range text {
		l, err := binary.ReadUvarint(r)
		if err != nil || l > uint64(r.Len()) {
			return nil, nil, nil, errors.New("oui table: bad name")
		}
		b := make([]byte, l)
		io.ReadFull(r, b)
		text[i] = string(b)
	}
	m, err := binary.ReadUvarint(r)
	if err != nil || m > 1<<24 {
		return nil, nil, nil, errors.New("oui table: bad prefix count")
	}
	prefixes, names = make([]uint32, m), make([]uint16, m)
	last := uint64(0)
	for i := range prefixes {
		d, err := binary.ReadUvarint(r)
		if err != nil || last+d >= 1<<24 {
			return nil, nil, nil, errors.New("oui table: bad prefix")
		}
		last += d
		prefixes[i] = uint32(last)
	}
	for i := range names {
		x, err := binary.ReadUvarint(r)
		if err != nil || x >= n {
			return nil, nil, nil, errors.New("oui table: bad name index")
		}
		names[i] = uint16(x)
	}
	return prefixes, names, text, nil
}

// Vendor returns the maker the IEEE registry gives mac's first three bytes
// ("Apple", "Nintendo"), or "" if it is not registered, mac is shorter than
// three bytes, or mac is a private (locally administered) address, whose
// first bytes are random. It does not allocate (after the table's first
// read).
func Vendor(mac net.HardwareAddr) string {
	if len(mac) < 3 || PrivateMAC(mac) {
		return ""
	}
	vendors.once.Do(loadVendors)
	v := &vendors
	p := uint32(mac[0])<<16 | uint32(mac[1])<<8 | uint32(mac[2])
	i, ok := slices.BinarySearch(v.prefixes, p)
	if !ok {
		return ""
	}
	return v.text[v.names[i]]
}

// VendorCount is how many prefixes the embedded table holds (0 if it could
// not be read).
func VendorCount() int {
	vendors.once.Do(loadVendors)
	return len(vendors.prefixes)
}

// PrivateMAC reports whether mac is locally administered (the second-lowest
// bit of its first byte): a "private Wi-Fi address" that phones and
// tablets make up per network (iOS, Android, Windows), not the maker's.
func PrivateMAC(mac net.HardwareAddr) bool {
	return len(mac) > 0 && mac[0]&0x02 != 0
}
