package sanitize

import (
	"strings"
	"testing"
)

// A typical verification SMS, clean, and a hostile one of similar length.
var (
	benchCleanASCII   = "Your WhatsApp code: 482-913. You can also tap on this link to verify your phone: v.whatsapp.com/482913 Don't share this code with others"
	benchCleanUnicode = "Ваш код подтверждения: 4821. Никому не сообщайте его. 您的验证码是 739201 \U0001F468\u200D\U0001F469\u200D\U0001F467"
	benchDirty        = "\x1b]0;pwned\x07Your code\x1b[2J\x1b[H: \x1b[31m482913\x1b[0m\r\n\u202Egnp.exe\x1b]52;c;cm0gLXJmIH4=\x07 pay\u200Bpal\x9b2J\xff end"
	benchLong         = strings.Repeat(benchCleanASCII+"\n", 30)
)

func benchText(b *testing.B, s string) {
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		Text(s)
	}
}

func BenchmarkTextCleanASCII(b *testing.B)   { benchText(b, benchCleanASCII) }
func BenchmarkTextCleanUnicode(b *testing.B) { benchText(b, benchCleanUnicode) }
func BenchmarkTextCleanLong(b *testing.B)    { benchText(b, benchLong) }
func BenchmarkTextDirty(b *testing.B)        { benchText(b, benchDirty) }

func BenchmarkLineClean(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Line("Bank of America")
	}
}

func BenchmarkLineDirty(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Line("  \x1b[31mBank\x1b[0m\tof\r\nAmerica\u202E  ")
	}
}

func BenchmarkTruncateFits(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Truncate("Telegram", 20)
	}
}

func BenchmarkTruncateCut(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Truncate(benchCleanUnicode, 24)
	}
}
