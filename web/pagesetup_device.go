package web

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"

	"github.com/hearth-dns/hearth/internal/mobileconfig"
	"github.com/hearth-dns/hearth/internal/tlscert"
	"github.com/hearth-dns/hearth/policy/identity"
)

// Setting up a device's encrypted DNS from the Devices page: for each named
// device, the iPhone/iPad/Mac profile to download, the Android Private DNS
// host name to type and the DoH template for Windows 11 and browsers; and
// Hearth's own CA certificate to download when it signs the listeners'.

// EncryptedDNS is how the family's devices reach Hearth's encrypted DNS
// (listen_tls, listen_https, tls:), for the setup instructions. The zero
// value: no encrypted listener, no instructions.
type EncryptedDNS struct {
	DoT bool // listen_tls is set
	DoH bool // listen_https is set
	// Host is the first of tls.names ("" when none is set).
	Host string
	// DoHPort is listen_https's first port when it is not 443 ("" when it is).
	DoHPort string
	// SelfSigned: Hearth's own CA (its certificate in the state directory)
	// signs the listeners' certificate.
	SelfSigned bool
}

func (e EncryptedDNS) on() bool { return e.DoT || e.DoH }

// dohURL is a device's DoH URL (its template for Windows and browsers).
func (e EncryptedDNS) dohURL(id string) string {
	host := e.Host
	if e.DoHPort != "" {
		host += ":" + e.DoHPort
	}
	return "https://" + host + "/dns-query/" + id
}

// encrypted is the running configuration's encrypted DNS.
func (s *Server) encrypted() EncryptedDNS {
	if s.opts.EncryptedDNS == nil {
		return EncryptedDNS{}
	}
	return s.opts.EncryptedDNS()
}

// deviceSetup is the Devices page's "Set up encrypted DNS" section.
type deviceSetup struct {
	EncryptedDNS
	Devices []setupDevice
}

type setupDevice struct {
	Name    string // as hearth.yaml (or the dashboard) writes it
	ID      string // its device ID: the name as a host name label
	Android string // the Private DNS host name to type ("" without DoT)
	DoHURL  string // "" without DoH
	Profile string // the .mobileconfig's URL ("" without DoH)
}

// setupFor is the section's data, nil when no encrypted listener is set.
func (ps *pageSet) setupFor() *deviceSetup {
	enc := ps.s.encrypted()
	if !enc.on() {
		return nil
	}
	d := &deviceSetup{EncryptedDNS: enc}
	if enc.Host == "" {
		return d // the template says to set tls.names
	}
	for _, st := range ps.s.opts.Engine.Status(ps.s.opts.Clock.Now()) {
		if st.Name == "" {
			continue
		}
		sd := setupDevice{Name: st.Name, ID: identity.Slug(st.Name)}
		if sd.ID == "" {
			continue
		}
		if enc.DoT {
			sd.Android = sd.ID + "." + enc.Host
		}
		if enc.DoH {
			sd.DoHURL = enc.dohURL(sd.ID)
			sd.Profile = "/devices/" + sd.ID + "/profile.mobileconfig"
		}
		d.Devices = append(d.Devices, sd)
	}
	return d
}

// namedDevice is the device hearth.yaml (or the dashboard) names whose
// device ID is id, letter case aside; "" if none.
func (ps *pageSet) namedDevice(id string) string {
	for _, st := range ps.s.opts.Engine.Status(ps.s.opts.Clock.Now()) {
		if st.Name != "" && (strings.EqualFold(st.Name, id) || identity.Slug(st.Name) == strings.ToLower(id)) {
			return st.Name
		}
	}
	return ""
}

// caDER is Hearth's local CA certificate (DER), read from the state
// directory. Only the certificate: the key is never read here.
func (ps *pageSet) caDER() ([]byte, error) {
	p, err := tlscert.CACertPEM(ps.s.opts.StateDir)
	if err != nil {
		return nil, fmt.Errorf("Hearth's CA certificate cannot be read: %v", err)
	}
	b, _ := pem.Decode(p)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s is not a PEM certificate", tlscert.CACertPath(ps.s.opts.StateDir))
	}
	return b.Bytes, nil
}

func (ps *pageSet) deviceSetupRoutes() {
	m := ps.s.mux
	m.HandleFunc("GET /devices/{id}/profile.mobileconfig", ps.profile)
	m.HandleFunc("GET /devices/ca.crt", ps.caCert)
}

// profile is a named device's configuration profile for iPhone, iPad and
// Mac: its DoH URL and, with Hearth's own CA, that CA's certificate.
func (ps *pageSet) profile(w http.ResponseWriter, r *http.Request) {
	if _, ok := ps.principal(w, r); !ok {
		return
	}
	enc := ps.s.encrypted()
	if !enc.DoH || enc.Host == "" {
		ps.fail(w, r, http.StatusNotFound, "DNS-over-HTTPS is not set up: a profile needs listen_https and tls.names in hearth.yaml.")
		return
	}
	id := r.PathValue("id")
	name := ps.namedDevice(id)
	if name == "" {
		ps.fail(w, r, http.StatusNotFound, fmt.Sprintf("No device is named %q in hearth.yaml or on the dashboard.", id))
		return
	}
	id = identity.Slug(name)
	p := mobileconfig.Profile{Device: id, DoHURL: enc.dohURL(id)}
	if enc.SelfSigned {
		ca, err := ps.caDER()
		if err != nil {
			ps.fail(w, r, http.StatusInternalServerError, err.Error())
			return
		}
		p.CACert = ca
	}
	b, err := p.Build()
	if err != nil {
		ps.fail(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-apple-aspen-config")
	h.Set("Content-Disposition", `attachment; filename="hearth-`+id+`.mobileconfig"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// caCert is Hearth's local CA certificate (PEM), for a device to trust.
func (ps *pageSet) caCert(w http.ResponseWriter, r *http.Request) {
	if _, ok := ps.principal(w, r); !ok {
		return
	}
	if !ps.s.encrypted().SelfSigned {
		ps.fail(w, r, http.StatusNotFound, "Hearth's own CA is not in use: the encrypted DNS certificate comes from tls.cert_file.")
		return
	}
	der, err := ps.caDER()
	if err != nil {
		ps.fail(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-x509-ca-cert")
	h.Set("Content-Disposition", `attachment; filename="hearth-ca.crt"`)
	h.Set("Cache-Control", "no-store")
	_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: der})
}
