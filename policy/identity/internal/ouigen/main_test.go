package main

import (
	"strings"
	"testing"
)

func TestShort(t *testing.T) {
	for in, want := range map[string]string{
		"Apple, Inc.":                                           "Apple",
		"Nintendo Co.,Ltd":                                      "Nintendo",
		"Nintendo Co., Ltd.":                                    "Nintendo",
		"Samsung Electronics Co.,Ltd":                           "Samsung Electronics",
		"Sony Interactive Entertainment Inc.":                   "Sony Interactive Entertainment",
		"Amazon Technologies Inc.":                              "Amazon Technologies",
		"AVM Audiovisuelles Marketing und Computersysteme GmbH": "AVM Audiovisuelles Marketing und Compute",
		"IGT": "IGT",
	} {
		if got := Short(in); got != want {
			t.Errorf("Short(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadRefusesOtherFiles(t *testing.T) {
	if _, err := read(strings.NewReader("a,b,c\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a file that is not the registry: %v", err)
	}
	if _, err := read(strings.NewReader("Registry,Assignment,Organization Name\nMA-L,ZZZZZZ,X\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a bad assignment: %v", err)
	}
}
