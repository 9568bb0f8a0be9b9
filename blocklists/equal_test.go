package blocklists

import (
	"reflect"
	"testing"
	"time"
)

// TestConfigEqual: a change to any field of lists: or of one source is
// noticed (a new field that Equal forgets fails here).
func TestConfigEqual(t *testing.T) {
	t.Parallel()
	src := SourceConfig{Name: "mine", Category: "ads", URL: "https://lists.example/a.txt", File: "/x", Domains: []string{"a.example"}}
	base := Config{Refresh: 24 * time.Hour, Sources: []SourceConfig{src}}
	if !base.Equal(base) || !base.Equal(Config{Refresh: 24 * time.Hour, Sources: []SourceConfig{src}}) {
		t.Fatal("equal configurations differ")
	}
	changed := base
	changed.Refresh++
	if base.Equal(changed) {
		t.Error("a change to Refresh is not noticed")
	}
	changed = base
	changed.Sources = append([]SourceConfig{}, src, src)
	if base.Equal(changed) {
		t.Error("a source added is not noticed")
	}
	v := reflect.ValueOf(src)
	for i := range v.NumField() {
		s := src
		s.Domains = append([]string{}, src.Domains...)
		f := reflect.ValueOf(&s).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Slice:
			f.Index(0).SetString("b.example")
		default:
			t.Fatalf("field %s: kind %s not covered by this test", v.Type().Field(i).Name, f.Kind())
		}
		if src.Equal(s) || base.Equal(Config{Refresh: base.Refresh, Sources: []SourceConfig{s}}) {
			t.Errorf("a change to %s is not noticed", v.Type().Field(i).Name)
		}
	}
}
