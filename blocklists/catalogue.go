package blocklists

// The built-in catalogue: services (Discord, Roblox, ...) with the domains
// that make them up, grouped into categories (chat, gaming, ...); and
// categories (adult, gambling, malware) that point at maintained public
// lists instead of embedding them. It is a data file embedded in the binary.

// Catalogue is the parsed catalogue.
type Catalogue struct {
	Categories []Category `yaml:"categories"`
	Services   []Service  `yaml:"services"`
}

// Category groups services, or points at public lists, under one name a
// parent can choose ("gaming").
type Category struct {
	ID          string       `yaml:"id"` // lowercase, e.g. "chat"
	Name        string       `yaml:"name"`
	Description string       `yaml:"description"`
	Lists       []PublicList `yaml:"lists,omitempty"` // for adult, gambling, malware
}

// PublicList is a maintained list a category downloads.
type PublicList struct {
	Name     string `yaml:"name"`
	URL      string `yaml:"url"`
	Homepage string `yaml:"homepage"`
	License  string `yaml:"license"`
}

// Service is one app or site, as a parent names it.
type Service struct {
	ID         string   `yaml:"id"` // lowercase, e.g. "minecraft"
	Name       string   `yaml:"name"`
	Categories []string `yaml:"categories"` // one or more category IDs
	// Domains cover themselves and all their subdomains.
	Domains []string `yaml:"domains"`
	// Background are hosts the service's apps look up in the background
	// (push, telemetry, store updates) as its vendor documents them, each
	// with its subdomains. Each is under one of Domains. They are compiled
	// into one extra source, "background" (KindBackground), which blocks
	// nothing: a daily budget does not count their lookups.
	Background []string `yaml:"background,omitempty"`
	// Sources say where the domain facts come from (vendor docs, registries).
	Sources []string `yaml:"sources"`
}
