package policy

// Rebind publishes the current configuration, assignments and lists again:
// after the devices named on the dashboard changed elsewhere (another node,
// through internal/cluster), so that the new names and groups apply.
func (e *Engine) Rebind() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rebindLocked()
}
