package support

// HasBox reports whether the pane holds its writing box.
func HasBox(s *Pane) bool { return s.box != nil }

// BoxValue is the text in the writing box.
func BoxValue(s *Pane) string { return s.box.Value() }

// HasViewport reports whether the pane holds its conversation's viewport.
func HasViewport(s *Pane) bool { return s.vp != nil }
