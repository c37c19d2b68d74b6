package kit

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Question is a yes/no question a screen asks about one thing. It holds
// that thing as it was when asked (a provider's report, a price
// override, a conversation's id), so that yes acts on what the person
// saw, whatever the list it came from does meanwhile.
type Question[T any] struct {
	asking bool
	about  T
}

// Ask opens the question about this.
func (q *Question[T]) Ask(about T) { q.asking, q.about = true, about }

// Asking reports whether the question is open.
func (q *Question[T]) Asking() bool { return q.asking }

// About is what the question is about.
func (q *Question[T]) About() T { return q.about }

// Answer closes the question with the key pressed: yes (y) or, for any
// other key, no.
func (q *Question[T]) Answer(k *KeyMap, msg tea.KeyMsg) (yes bool) {
	q.asking = false
	return key.Matches(msg, k.Yes)
}
