package policy

import "testing"

func TestConfigFilters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want bool
	}{
		{"nothing", Config{Groups: map[string]GroupConfig{"default": {}}}, false},
		{"allow and help only", Config{Help: HelpConfig{Countries: []string{"gb"}}, Groups: map[string]GroupConfig{"default": {Allow: []string{"a.example"}, SafeSearch: "off"}}}, false},
		{"household block", Config{Blocking: BlockingConfig{Block: []string{"adult"}}}, true},
		{"a device's block", Config{Devices: []DeviceConfig{{Name: "tv", Block: []string{"tiktok"}}}}, true},
		{"a group rule", Config{Groups: map[string]GroupConfig{"kids": {Rules: []RuleConfig{{Block: []string{"gaming"}}}}}}, true},
		{"bedtime", Config{Groups: map[string]GroupConfig{"kids": {Bedtime: []string{"daily 21:00-07:00"}}}}, true},
		{"holiday bedtime", Config{Groups: map[string]GroupConfig{"kids": {BedtimeHolidays: []string{"daily 22:00-08:00"}}}}, true},
		{"safe search", Config{Groups: map[string]GroupConfig{"default": {SafeSearch: "moderate"}}}, true},
		{"bypass protection", Config{Groups: map[string]GroupConfig{"default": {BypassProtection: true}}}, true},
	} {
		if got := tc.cfg.Filters(); got != tc.want {
			t.Errorf("%s: Filters() = %v, want %v", tc.name, got, tc.want)
		}
	}
}
