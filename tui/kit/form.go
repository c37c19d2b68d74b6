package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
)

// fieldSpec describes one text field of a form.
type fieldSpec struct {
	label    string
	secret   bool
	limit    int
	hint     string // placeholder
	checkbox bool   // a yes/no box toggled with space instead of text
}

// form is a column of labelled fields: tab and arrows move between them,
// enter on the last one submits. Every form of the dashboard is one.
type form struct {
	c       *Common
	specs   []fieldSpec
	inputs  []textinput.Model
	checked []bool
	focus   int
	width   int
}

func newForm(c *Common, specs ...fieldSpec) *form {
	f := &form{c: c, specs: specs, inputs: make([]textinput.Model, len(specs)), checked: make([]bool, len(specs))}
	for i, s := range specs {
		in := textinput.New()
		in.Prompt = ""
		in.Placeholder = s.hint
		in.CharLimit = s.limit
		// A static cursor needs no blink timer: idle sessions cost nothing.
		in.Cursor.SetMode(cursor.CursorStatic)
		in.Cursor.Style = c.Styles.FocusedIn
		in.PlaceholderStyle = c.Styles.Muted
		if s.secret {
			in.EchoMode = textinput.EchoPassword
			in.EchoCharacter = '•'
		}
		f.inputs[i] = in
	}
	f.setFocus(0)
	return f
}

func (f *form) setFocus(i int) {
	f.focus = (i + len(f.inputs)) % len(f.inputs)
	for j := range f.inputs {
		if j == f.focus && !f.specs[j].checkbox {
			f.inputs[j].Focus()
		} else {
			f.inputs[j].Blur()
		}
	}
}

// value is the text of field i (checkboxes: "yes" or "").
func (f *form) value(i int) string {
	if f.specs[i].checkbox {
		if f.checked[i] {
			return "yes"
		}
		return ""
	}
	return f.inputs[i].Value()
}

// clear empties the secret fields (after a failed attempt) or all fields.
func (f *form) clear(onlySecrets bool) {
	for i := range f.inputs {
		if !onlySecrets || f.specs[i].secret {
			f.inputs[i].SetValue("")
		}
	}
}

func (f *form) setWidth(w int) {
	f.width = w
	for i := range f.inputs {
		f.inputs[i].Width = max(10, w-14)
	}
}

// update handles a key; submit is true when enter was pressed on the last
// field (or on any field when every field is filled).
func (f *form) update(msg tea.KeyMsg) (submit bool, cmd tea.Cmd) {
	k := f.c.Keys
	switch {
	case msg.String() == "enter":
		if f.focus == len(f.inputs)-1 || f.allFilled() {
			return true, nil
		}
		f.setFocus(f.focus + 1)
		return false, nil
	case key.Matches(msg, k.NextIn):
		f.setFocus(f.focus + 1)
		return false, nil
	case key.Matches(msg, k.PrevIn):
		f.setFocus(f.focus - 1)
		return false, nil
	case f.specs[f.focus].checkbox:
		if msg.String() == " " || msg.String() == "x" {
			f.checked[f.focus] = !f.checked[f.focus]
		}
		return false, nil
	}
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	return false, cmd
}

func (f *form) allFilled() bool {
	for i := range f.inputs {
		if !f.specs[i].checkbox && strings.TrimSpace(f.inputs[i].Value()) == "" {
			return false
		}
	}
	return true
}

func (f *form) view() string {
	st := f.c.Styles
	rows := make([]string, 0, len(f.inputs))
	for i, s := range f.specs {
		marker := "  "
		label := st.Label
		if i == f.focus {
			marker = st.FocusedIn.Render("▸ ")
			label = label.Foreground(st.FocusedIn.GetForeground())
		}
		if s.checkbox {
			box := "[ ]"
			if f.checked[i] {
				box = "[x]"
			}
			rows = append(rows, marker+st.Text.Render(box+" "+s.label))
			continue
		}
		rows = append(rows, marker+label.Render(s.label)+f.inputs[i].View())
	}
	return lipgloss.JoinVertical(lipgloss.Left, rows...)
}

// passwordFieldLimit lets a too-long password be typed in full so the
// person is told the rule rather than having it cut silently.
const passwordFieldLimit = 4 * store.MaxPasswordLen
