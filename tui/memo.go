package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"

	"github.com/wantsms/wantsms/tui/kit"
)

// chromeMemos are the model's memos, one for each part around the pane:
// the header, tabs, rule and footer rarely change while a pane's countdown
// redraws the screen every second.
type chromeMemos struct {
	header kit.Memo[headerKey]
	tabs   kit.Memo[tabsKey]
	rule   kit.Memo[int]
	footer kit.Memo[footerKey]
	body   rowWidths
	size   int // the last frame's length, a little more: the next one's buffer
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
