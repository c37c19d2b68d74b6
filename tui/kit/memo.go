package kit

// Memo keeps the last rendering of one part of a view with what it was
// drawn from. A countdown or an SMS changes a row or two of a frame while
// the rest stays as it was: drawing that rest again (lipgloss measures
// every rune of it) was most of what such a frame cost. The zero Memo
// holds nothing.
type Memo[K comparable] struct {
	key K
	out string
	ok  bool
}

// Get gives what render drew for key, drawing it only when key differs
// from the last one.
func (m *Memo[K]) Get(key K, render func() string) string {
	if !m.ok || m.key != key {
		m.key, m.out, m.ok = key, render(), true
	}
	return m.out
}
