package kit

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// A question holds what it was asked about; y answers yes, any other key
// no, and either closes it.
func TestQuestionAnswers(t *testing.T) {
	k := DefaultKeys()
	var q Question[string]
	if q.Asking() {
		t.Fatal("a new question is open")
	}
	q.Ask("sim")
	if !q.Asking() || q.About() != "sim" {
		t.Fatalf("asked about sim: asking %v, about %q", q.Asking(), q.About())
	}
	if !q.Answer(k, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'y'}}) || q.Asking() {
		t.Fatal("y is not a yes that closes the question")
	}
	q.Ask("sim")
	if q.Answer(k, tea.KeyMsg{Type: tea.KeyDown}) || q.Asking() {
		t.Fatal("another key is not a no that closes the question")
	}
}
