package admin

import (
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
)

// SetOpenNumbers gives the Numbers section a list as if it had loaded it.
func SetOpenNumbers(p *Pane, res []store.Reservation) { p.sections[2].(*adminNumbers).res = res }

// NumbersStatus is the Numbers section's status line.
func NumbersStatus(p *Pane) kit.Status { return p.sections[2].(*adminNumbers).st }
