package sanitize_test

import (
	"fmt"

	"github.com/wantsms/wantsms/tui/sanitize"
)

func ExampleText() {
	body := "Your code: \x1b[31m4821\x1b[0m\x1b]52;c;cm0gLXJmIH4=\x07\r\nfile: invoice\u202Egnp.exe"
	fmt.Printf("%q\n", sanitize.Text(body))
	// Output: "Your code: 4821\nfile: invoicegnp.exe"
}

func ExampleLine() {
	fmt.Printf("%q\n", sanitize.Line("  \x1b]0;pwned\x07Bank\tof\nAmerica "))
	// Output: "Bank of America"
}

func ExampleTruncate() {
	fmt.Println(sanitize.Truncate("WhatsApp Business", 10))
	// Output: WhatsApp …
}
