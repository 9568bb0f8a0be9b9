package redact

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://:s3cret@127.0.0.1:6379/0":       "redis://:xxxxx@127.0.0.1:6379/0",
		"redis://hearth:s3cret@redis.lan:6379/1": "redis://hearth:xxxxx@redis.lan:6379/1",
		"redis://127.0.0.1:6379/0":               "redis://127.0.0.1:6379/0",
		"redis://:s3cret@[::1:6379/0":            "redis://…",
		"%zz:s3cret@":                            "…",
	} {
		if got := URL(raw); got != want {
			t.Errorf("URL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestError(t *testing.T) {
	raw := "redis://:s3cret@127.0.0.1:6379/0"
	got := Error(`dial redis://:s3cret@127.0.0.1:6379/0: refused (s3cret)`, raw)
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "xxxxx") {
		t.Errorf("Error left the password: %q", got)
	}
	if got := Error("no password here", "redis://127.0.0.1:6379/0"); got != "no password here" {
		t.Errorf("Error changed a message without a password: %q", got)
	}
}
