package inbox

import tea "github.com/charmbracelet/bubbletea"

// DoneMsg is the reply of an action on the number id, for tests that
// deliver a failure as the engine would answer.
func DoneMsg(id int64, err error) tea.Msg { return doneMsg{id: id, err: err} }
