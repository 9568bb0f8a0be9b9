package blocklists

import "slices"

// Equal reports whether c and o configure the same lists: a reload makes new
// Lists (and downloads again) only when they differ. Every field matters.
func (c Config) Equal(o Config) bool {
	return c.Refresh == o.Refresh && slices.EqualFunc(c.Sources, o.Sources, SourceConfig.Equal)
}

// Equal reports whether s and o are the same source. Every field matters.
func (s SourceConfig) Equal(o SourceConfig) bool {
	return s.Name == o.Name && s.Category == o.Category && s.URL == o.URL && s.File == o.File &&
		slices.Equal(s.Domains, o.Domains) && s.Subdomains == o.Subdomains && s.AllowShrink == o.AllowShrink
}
