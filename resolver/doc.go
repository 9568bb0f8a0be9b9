// Package resolver is Hearth's DNS server: UDP and TCP listeners, the query
// pipeline (access control, local names, cache, upstreams) and the answer
// cache. ServeDNS in pipeline.go reads top to bottom in the order a query is
// handled.
package resolver
