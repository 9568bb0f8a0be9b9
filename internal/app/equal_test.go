package app

import (
	"reflect"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/web"
)

// TestWebSettingsEqual: a change to any field of web: is noticed (a new field
// that webSettingsEqual forgets fails here).
func TestWebSettingsEqual(t *testing.T) {
	t.Parallel()
	base := web.Config{Enabled: true, Listen: ":8080", AllowClients: []string{"192.168.0.0/16"}, SessionTTL: time.Hour,
		Hosts: []string{"hearth.example.org"}}
	if !webSettingsEqual(base, base) {
		t.Fatal("equal settings differ")
	}
	v := reflect.ValueOf(base)
	for i := range v.NumField() {
		c := base
		c.AllowClients = append([]string{}, base.AllowClients...)
		c.Hosts = append([]string{}, base.Hosts...)
		f := reflect.ValueOf(&c).Elem().Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.String:
			f.SetString(f.String() + "1")
		case reflect.Int64:
			f.SetInt(f.Int() + 1)
		case reflect.Slice:
			f.Index(0).SetString("10.0.0.0/8")
		case reflect.Struct: // web.tls: each of its fields
			for j := range f.NumField() {
				d := c
				g := reflect.ValueOf(&d).Elem().Field(i).Field(j)
				switch g.Kind() {
				case reflect.Bool:
					g.SetBool(!g.Bool())
				case reflect.String:
					g.SetString(g.String() + "1")
				default:
					t.Fatalf("field %s.%d: kind %s not covered by this test", v.Type().Field(i).Name, j, g.Kind())
				}
				if webSettingsEqual(base, d) {
					t.Errorf("a change to web.%s field %d is not noticed", v.Type().Field(i).Name, j)
				}
			}
			continue
		default:
			t.Fatalf("field %s: kind %s not covered by this test", v.Type().Field(i).Name, f.Kind())
		}
		if webSettingsEqual(base, c) {
			t.Errorf("a change to web.%s is not noticed", v.Type().Field(i).Name)
		}
	}
}

// TestListsSetupEqual: new Lists are made when the lists: settings, their
// directory or the blocked categories change, and only then.
func TestListsSetupEqual(t *testing.T) {
	t.Parallel()
	base := listsSetup{cfg: blocklists.Config{Refresh: time.Hour}, dir: "/var/lib/hearth/lists", categories: []string{"adult"}}
	same := listsSetup{cfg: blocklists.Config{Refresh: time.Hour}, dir: "/var/lib/hearth/lists", categories: []string{"adult"}}
	if !base.Equal(same) {
		t.Fatal("equal setups differ")
	}
	for name, c := range map[string]listsSetup{
		"cfg":        {cfg: blocklists.Config{Refresh: 2 * time.Hour}, dir: base.dir, categories: base.categories},
		"dir":        {cfg: base.cfg, dir: "/tmp/lists", categories: base.categories},
		"categories": {cfg: base.cfg, dir: base.dir, categories: []string{"adult", "gambling"}},
	} {
		if base.Equal(c) {
			t.Errorf("a change to %s is not noticed", name)
		}
	}
	if n := reflect.TypeOf(base).NumField(); n != 3 {
		t.Errorf("listsSetup has %d fields: cover the new one in Equal and here", n)
	}
}
