package wallet

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/tui/kit"
)

// TickState is the Wallet pane's countdown: whether a tick is pending,
// whether the pane is on screen, and the ticks' generation.
func TickState(p kit.Pane) (ticking, visible bool, gen int) {
	w := p.(*Pane)
	return w.ticking, w.visible, w.tickGen
}

// TickMsg is a countdown tick of generation gen.
func TickMsg(gen int) tea.Msg { return tickMsg{gen: gen} }
