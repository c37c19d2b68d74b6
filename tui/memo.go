package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
)

// memo keeps the last rendering of one part of the frame with what it was
// drawn from. The header, tabs, rule and footer rarely change while a
// pane's countdown redraws the screen every second, and drawing them was
// over half of a redraw's cost.
type memo[K comparable] struct {
	key K
	out string
	ok  bool
}

func (m *memo[K]) get(key K, render func() string) string {
	if !m.ok || m.key != key {
		m.key, m.out, m.ok = key, render(), true
	}
	return m.out
}

// chromeMemos are the model's memos, one for each part around the pane.
type chromeMemos struct {
	header memo[headerKey]
	tabs   memo[tabsKey]
	rule   memo[int]
	footer memo[footerKey]
}

// headerKey is all the header is drawn from.
type headerKey struct {
	width    int
	admin    bool
	email    string
	cents    int64
	verified bool
}

type tabsKey struct {
	width, active int
	titles        string
}

type footerKey struct {
	width  int
	notice string
	all    bool
	keys   string // the help bindings shown
}

// bindingsKey sums up help bindings as the help bar draws them.
func bindingsKey(groups ...[]key.Binding) string {
	var b strings.Builder
	for _, g := range groups {
		for _, k := range g {
			if !k.Enabled() {
				continue
			}
			h := k.Help()
			b.WriteString(h.Key)
			b.WriteByte(0)
			b.WriteString(h.Desc)
			b.WriteByte(0)
		}
		b.WriteByte(1)
	}
	return b.String()
}
