package tui

import (
	"testing"

	"github.com/charmbracelet/bubbles/key"

	"github.com/wantsms/wantsms/tui/kit"
)

func TestMemoDrawsOnlyWhenItsInputsChange(t *testing.T) {
	var m kit.Memo[headerKey]
	draws := 0
	draw := func() string { draws++; return "drawn" }
	k := headerKey{width: 80, email: "a@example.com", cents: 100}
	m.Get(k, draw)
	m.Get(k, draw)
	if draws != 1 {
		t.Fatalf("%d draws for the same inputs, want 1", draws)
	}
	k.cents = 101
	m.Get(k, draw)
	if draws != 2 {
		t.Fatal("a new balance did not redraw the header")
	}
}

func TestBindingsKeyTellsHelpBarsApart(t *testing.T) {
	a := key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add"))
	b := key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "buy"))
	off := b
	off.SetEnabled(false)
	if bindingsKey([]key.Binding{a, b}) == bindingsKey([]key.Binding{a, off}) {
		t.Error("a disabled binding (not drawn) gave the same key as an enabled one")
	}
	if bindingsKey([]key.Binding{a}, []key.Binding{b}) == bindingsKey([]key.Binding{a, b}) {
		t.Error("two groups gave the same key as one")
	}
}
