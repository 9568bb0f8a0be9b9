// Package blocklists turns lists of domains into one compiled Matcher: the
// built-in catalogue of services and categories, and the public blocklists
// hobbyists use (hosts files, plain domains, Adblock-style rules), read from
// files, URLs or inline config. It knows nothing of devices, groups or time:
// it answers "which sources match this name, and through which rule".
package blocklists
