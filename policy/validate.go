package policy

import (
	"strconv"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/fielderr"
)

// Block responses.
const (
	ResponseNullIP   = "null_ip"
	ResponseNXDomain = "nxdomain"
	ResponseRefused  = "refused"
)

// Validate checks every name in Block against the catalogue and the
// categories of the configured lists.
func (c Config) Validate(cat *blocklists.Catalogue, listCategories []string) []error {
	var errs []error
	b := c.Blocking
	switch b.Response {
	case ResponseNullIP, ResponseNXDomain, ResponseRefused:
	default:
		errs = append(errs, fielderr.New("blocking.response", "%q: use null_ip, nxdomain or refused", b.Response))
	}
	if b.TTL < 0 || b.TTL > time.Hour {
		errs = append(errs, fielderr.New("blocking.ttl", "%s is outside 0s..1h", b.TTL))
	}
	for i, name := range b.Block {
		if isListCategory(name, listCategories) {
			continue
		}
		if _, _, err := cat.Lookup(name); err != nil {
			errs = append(errs, fielderr.New(indexKey("blocking.block", i), "%v", err))
		}
	}
	return errs
}

func isListCategory(name string, cats []string) bool {
	for _, c := range cats {
		if c == name {
			return true
		}
	}
	return false
}

// Categories returns the catalogue categories named in Block, whose public
// lists must therefore be downloaded.
func (c Config) Categories(cat *blocklists.Catalogue) []string {
	var out []string
	for _, name := range c.Blocking.Block {
		if category, ok := cat.Category(name); ok {
			out = append(out, category.ID)
		}
	}
	return out
}

func indexKey(key string, i int) string { return key + "[" + strconv.Itoa(i) + "]" }
