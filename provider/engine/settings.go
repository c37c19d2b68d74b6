package engine

import (
	"time"

	"github.com/wantsms/wantsms/store"
)

// DefaultSettingsReload is how often the engine reads the admins'
// settings again without being told: the safety net under the events.
const DefaultSettingsReload = 30 * time.Second

// followSettings applies the admins' settings (providers on or off,
// markup overrides) again whenever they change, on this instance or on
// another sharing the database (store.EventSettings), when events may
// have been lost (a resync), and every SettingsReload in any case, until
// the engine closes. sub is the store's subscription to events of no one
// user.
func (e *Engine) followSettings(sub *store.Subscription) {
	defer sub.Close()
	t := time.NewTicker(e.cfg.SettingsReload)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case _, ok := <-sub.C:
			if !ok {
				return // the store is closing
			}
			sub.Missed() // whatever was missed, all is read again
		case <-t.C:
		}
		if err := e.applySettings(e.ctx); err != nil && e.ctx.Err() == nil {
			e.log.Warn("admin settings not reloaded", "err", err)
		}
	}
}
