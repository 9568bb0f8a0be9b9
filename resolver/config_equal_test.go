package resolver

import (
	"reflect"
	"testing"
	"time"
)

// TestCacheConfigEqual: a change to any field of the cache section is
// noticed (a new field that Equal forgets fails here).
func TestCacheConfigEqual(t *testing.T) {
	t.Parallel()
	base := CacheConfig{Size: 100, MinTTL: time.Second, MaxTTL: time.Hour, NegativeTTL: time.Minute, StaleMaxAge: time.Hour}
	if !base.Equal(base) {
		t.Fatal("a config differs from itself")
	}
	v := reflect.ValueOf(base)
	for i := range v.NumField() {
		changed := base
		f := reflect.ValueOf(&changed).Elem().Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Int, reflect.Int64:
			f.SetInt(f.Int() + 1)
		default:
			t.Fatalf("field %s: kind %s not covered by this test", v.Type().Field(i).Name, f.Kind())
		}
		if base.Equal(changed) || changed.Equal(base) {
			t.Errorf("a change to %s is not noticed", v.Type().Field(i).Name)
		}
	}
}

// TestPrepareDiscardLeavesServerAsItWas: a prepared configuration that is
// discarded changes nothing and frees its new listen address; a stale one
// is refused at Commit.
func TestPrepareDiscardLeavesServerAsItWas(t *testing.T) {
	t.Parallel()
	s, _ := start(t, testConfig("udp://127.0.0.1:1"), nil)
	before := s.pipe.Load()
	cfg := before.cfg
	cfg.Listen = append([]string{"127.0.0.2:0"}, cfg.Listen...) // "127.0.0.1:0" is there already
	pr, err := s.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.bound) != 1 {
		t.Fatalf("%d addresses bound, want the new one", len(pr.bound))
	}
	if s.pipe.Load() != before {
		t.Fatal("Prepare changed the running pipeline")
	}
	s.Discard(pr)
	if err := s.Commit(pr); err == nil {
		t.Fatal("a discarded configuration was committed")
	}
	if s.pipe.Load() != before || len(s.Addrs()) != len(before.cfg.Listen) {
		t.Fatal("Discard changed the running configuration")
	}
	pr1, err := s.Prepare(before.cfg)
	if err != nil {
		t.Fatal(err)
	}
	pr2, err := s.Prepare(before.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(pr1); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(pr2); err == nil {
		t.Fatal("a configuration prepared against a replaced one was committed")
	}
}
