package kit

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
)

// Field describes one text field of a form.
type Field struct {
	Label    string
	Secret   bool
	Limit    int
	Hint     string // placeholder
	Checkbox bool   // a yes/no box toggled with space instead of text
}

// Form is a column of labelled fields: tab and arrows move between them,
// enter on the last one submits. Every form of the dashboard is one.
type Form struct {
	c       *Common
	specs   []Field
	inputs  []textinput.Model
	checked []bool
	focus   int
	width   int
}

// NewForm makes a form of these fields, the first one focused.
func NewForm(c *Common, specs ...Field) *Form {
	f := &Form{c: c, specs: specs, inputs: make([]textinput.Model, len(specs)), checked: make([]bool, len(specs))}
	for i, s := range specs {
		in := textinput.New()
		in.Prompt = ""
		in.Placeholder = s.Hint
		in.CharLimit = s.Limit
		// A static cursor needs no blink timer: idle sessions cost nothing.
		in.Cursor.SetMode(cursor.CursorStatic)
		in.Cursor.Style = c.Styles.FocusedIn
		in.PlaceholderStyle = c.Styles.Muted
		if s.Secret {
			in.EchoMode = textinput.EchoPassword
			in.EchoCharacter = '•'
		}
		f.inputs[i] = in
	}
	f.Focus(0)
	return f
}

// Focus moves the focus to field i (wrapping around).
func (f *Form) Focus(i int) {
	f.focus = (i + len(f.inputs)) % len(f.inputs)
	for j := range f.inputs {
		if j == f.focus && !f.specs[j].Checkbox {
			f.inputs[j].Focus()
		} else {
			f.inputs[j].Blur()
		}
	}
}

// Value is the text of field i (checkboxes: "yes" or "").
func (f *Form) Value(i int) string {
	if f.specs[i].Checkbox {
		if f.checked[i] {
			return "yes"
		}
		return ""
	}
	return f.inputs[i].Value()
}

// SetValue fills text field i.
func (f *Form) SetValue(i int, s string) { f.inputs[i].SetValue(s) }

// Clear empties the secret fields (after a failed attempt) or all fields.
func (f *Form) Clear(onlySecrets bool) {
	for i := range f.inputs {
		if !onlySecrets || f.specs[i].Secret {
			f.inputs[i].SetValue("")
		}
	}
}

// SetWidth lays the form out for w columns.
func (f *Form) SetWidth(w int) {
	f.width = w
	for i := range f.inputs {
		f.inputs[i].Width = max(10, w-14)
	}
}

// Update handles a key; submit is true when enter was pressed on the last
// field (or on any field when every field is filled).
func (f *Form) Update(msg tea.KeyMsg) (submit bool, cmd tea.Cmd) {
	k := f.c.Keys
	switch {
	case msg.String() == "enter":
		if f.focus == len(f.inputs)-1 || f.allFilled() {
			return true, nil
		}
		f.Focus(f.focus + 1)
		return false, nil
	case key.Matches(msg, k.NextIn):
		f.Focus(f.focus + 1)
		return false, nil
	case key.Matches(msg, k.PrevIn):
		f.Focus(f.focus - 1)
		return false, nil
	case f.specs[f.focus].Checkbox:
		if msg.String() == " " || msg.String() == "x" {
			f.checked[f.focus] = !f.checked[f.focus]
		}
		return false, nil
	}
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	return false, cmd
}

func (f *Form) allFilled() bool {
	for i := range f.inputs {
		if !f.specs[i].Checkbox && strings.TrimSpace(f.inputs[i].Value()) == "" {
			return false
		}
	}
	return true
}

// View draws the fields, the focused one marked.
func (f *Form) View() string {
	st := f.c.Styles
	rows := make([]string, 0, len(f.inputs))
	for i, s := range f.specs {
		marker := "  "
		label := st.Label
		if i == f.focus {
			marker = st.FocusedIn.Render("▸ ")
			label = label.Foreground(st.FocusedIn.GetForeground())
		}
		if s.Checkbox {
			box := "[ ]"
			if f.checked[i] {
				box = "[x]"
			}
			rows = append(rows, marker+st.Text.Render(box+" "+s.Label))
			continue
		}
		rows = append(rows, marker+label.Render(s.Label)+f.inputs[i].View())
	}
	return lipgloss.JoinVertical(lipgloss.Left, rows...)
}

// PasswordFieldLimit lets a too-long password be typed in full so the
// person is told the rule rather than having it cut silently.
const PasswordFieldLimit = 4 * store.MaxPasswordLen
