package config

import "errors"

// Error is one configuration problem and where the offending value was set:
// "hearth.yaml:7", "env HEARTH_CACHE_SIZE", "flag --listen", or "" when it
// came from the embedded default or belongs to no single place. Err is
// often a *fielderr.Error naming the key; errors.As finds it through Error.
type Error struct {
	Where string
	Err   error
}

func (e *Error) Error() string {
	if e.Where == "" {
		return e.Err.Error()
	}
	return e.Where + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Problems splits an error returned by Load into its separate problems, in
// order (an error that joins nothing is returned as the only problem).
func Problems(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, Problems(e)...)
	}
	return out
}

func located(where string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Where: where, Err: err}
}
