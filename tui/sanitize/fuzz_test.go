package sanitize

import "testing"

// FuzzText checks the same promises as TestRandomInputsStayClean on
// inputs the fuzzer invents. Seeds: every attack and ordinary string here,
// plus the files in testdata/fuzz/FuzzText.
func FuzzText(f *testing.F) {
	for _, tc := range attacks {
		f.Add(tc.in)
	}
	for _, s := range ordinary {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkAll(t, s)
	})
}
