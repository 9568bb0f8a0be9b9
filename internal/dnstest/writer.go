package dnstest

import (
	"net"

	"github.com/miekg/dns"
)

// DiscardWriter is a dns.ResponseWriter for calling a handler's ServeDNS
// directly (benchmarks, fuzzing): it keeps only the last reply's bytes.
type DiscardWriter struct {
	Remote net.Addr
	Last   []byte // valid until the handler's next reply reuses its buffer
}

// NewDiscardWriter returns a writer whose client is at ip, port 5353 (UDP).
func NewDiscardWriter(ip net.IP) *DiscardWriter {
	return &DiscardWriter{Remote: &net.UDPAddr{IP: ip, Port: 5353}}
}

func (w *DiscardWriter) LocalAddr() net.Addr         { return w.Remote }
func (w *DiscardWriter) RemoteAddr() net.Addr        { return w.Remote }
func (w *DiscardWriter) Write(b []byte) (int, error) { w.Last = b; return len(b), nil }
func (w *DiscardWriter) WriteMsg(m *dns.Msg) error {
	var err error
	w.Last, err = m.Pack()
	return err
}
func (w *DiscardWriter) Close() error        { return nil }
func (w *DiscardWriter) TsigStatus() error   { return nil }
func (w *DiscardWriter) TsigTimersOnly(bool) {}
func (w *DiscardWriter) Hijack()             {}

var _ dns.ResponseWriter = (*DiscardWriter)(nil)
