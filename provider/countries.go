package provider

// Country is a canonical country: ISO 3166-1 alpha-2 code (lower case),
// English name and E.164 calling code.
type Country struct {
	Code        string // "gb"
	Name        string // "United Kingdom"
	CallingCode string // digits without '+': "44"
}

// Flag is the country's flag emoji, made of the two regional-indicator
// symbols for its code.
func (c Country) Flag() string {
	if len(c.Code) != 2 {
		return ""
	}
	const base = 0x1F1E6 // REGIONAL INDICATOR SYMBOL LETTER A
	r := []rune{base + rune(c.Code[0]-'a'), base + rune(c.Code[1]-'a')}
	return string(r)
}

// countries is the canonical country table (calling codes from ITU-T
// E.164 assignments). Adapters map these codes to their upstream's own; an
// upstream country not listed here is skipped.
var countries = []Country{
	{"us", "United States", "1"},
	{"gb", "United Kingdom", "44"},
	{"de", "Germany", "49"},
	{"fr", "France", "33"},
	{"nl", "Netherlands", "31"},
	{"pl", "Poland", "48"},
	{"es", "Spain", "34"},
	{"it", "Italy", "39"},
	{"pt", "Portugal", "351"},
	{"se", "Sweden", "46"},
	{"ee", "Estonia", "372"},
	{"lt", "Lithuania", "370"},
	{"ro", "Romania", "40"},
	{"ru", "Russia", "7"},
	{"ua", "Ukraine", "380"},
	{"kz", "Kazakhstan", "7"},
	{"tr", "Turkey", "90"},
	{"in", "India", "91"},
	{"id", "Indonesia", "62"},
	{"ph", "Philippines", "63"},
	{"vn", "Vietnam", "84"},
	{"th", "Thailand", "66"},
	{"my", "Malaysia", "60"},
	{"cn", "China", "86"},
	{"hk", "Hong Kong", "852"},
	{"br", "Brazil", "55"},
	{"mx", "Mexico", "52"},
	{"ar", "Argentina", "54"},
	{"co", "Colombia", "57"},
	{"ca", "Canada", "1"},
	{"ng", "Nigeria", "234"},
	{"za", "South Africa", "27"},
	{"eg", "Egypt", "20"},
}

var countryIndex = func() map[string]Country {
	m := make(map[string]Country, len(countries))
	for _, c := range countries {
		m[c.Code] = c
	}
	return m
}()

// Countries lists the canonical countries in display order.
func Countries() []Country { return append([]Country(nil), countries...) }

// LookupCountry finds a canonical country by code.
func LookupCountry(code string) (Country, bool) {
	c, ok := countryIndex[code]
	return c, ok
}
