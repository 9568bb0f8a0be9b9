package identity

import "testing"

func TestSlug(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"games-console", "games-console", true},
		{"Games Console", "games-console", false},
		{"Sam's phone", "sams-phone", false},
		{"alex_tablet", "alex-tablet", false},
		{"  iPad (kitchen) ", "ipad-kitchen", false},
		{"tv2", "tv2", true},
		{"-tv", "tv", false},
		{"", "", false},
		{"écran", "ecran", false},
		{"Zoë's Tablet", "zoes-tablet", false},
		{"Jürgens Straße", "jurgens-strasse", false},
		{"Øystein-Æble", "oystein-aeble", false},
		{"Łódź TV", "lodz-tv", false},
		{"Ноутбук", "", false},
		{"ipad-ноутбук", "ipad", false},
		{"a-very-long-name-for-a-device-that-goes-on-and-on", "a-very-long-name-for-a-device-that-goes", false},
	} {
		if got := Slug(tc.in); got != tc.want {
			t.Errorf("Slug(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := IsSlug(tc.in); got != tc.ok {
			t.Errorf("IsSlug(%q) = %v, want %v", tc.in, got, tc.ok)
		}
		if s := Slug(tc.in); s != "" && !IsSlug(s) {
			t.Errorf("Slug(%q) = %q is not a slug", tc.in, s)
		}
	}
}
