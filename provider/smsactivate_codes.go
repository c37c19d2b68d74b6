package provider

// The SMS-Activate protocol names services by two-letter codes and
// countries by numeric ids. One table, both ways, for everything that
// speaks it: the upstream adapter (provider/smsactivate) and WantSMS's own
// SMS-Activate-compatible endpoint, so a code means the same service in
// both directions.

// serviceCodes maps canonical services to SMS-Activate's two-letter codes.
// Source: BrowserAutomationStudio's provider tables
// (nguyendkn/BrowserAutomationStudio, Solution/Modules/SMS/js/sites.js,
// key "sms-activate.ru"), which agree with the protocol doc's list
// (tg, wa, vi, go, fb, tw, ig, ds, vk). "bw" (Signal) and "dr" (OpenAI) are
// from SMS-Activate's own service list as copied into public clients'
// service-name maps. Services without a confirmed code are absent.
var serviceCodes = map[string]string{
	"telegram": "tg", "whatsapp": "wa", "google": "go", "facebook": "fb",
	"instagram": "ig", "tiktok": "lf", "discord": "ds", "uber": "ub",
	"amazon": "am", "microsoft": "mm", "twitter": "tw", "viber": "vi",
	"wechat": "wb", "line": "me", "snapchat": "fu", "signal": "bw",
	"apple": "wx", "paypal": "ts", "netflix": "nf", "tinder": "oi",
	"yahoo": "mb", "openai": "dr", "linkedin": "tn", "airbnb": "uk",
	"steam": "mt", "vk": "vk", "yandex": "ya", "ebay": "dh",
	"shopee": "ka", "grab": "jg",
}

// countryIDs maps canonical countries to SMS-Activate's numeric ids.
// Source: BrowserAutomationStudio
// (Solution/Modules/SMS/js/internal/SmsActivate/countries.js and
// internal/countries.json, key "sms-activate.ru"); 0, 1, 2 and 22 also in
// the protocol doc. "us" is 187, the physical-SIM USA; 12 is "USA
// (virtual)", which we do not sell.
var countryIDs = map[string]string{
	"ru": "0", "ua": "1", "kz": "2", "cn": "3", "ph": "4", "id": "6", "my": "7",
	"vn": "10", "hk": "14", "pl": "15", "gb": "16", "ng": "19", "eg": "21",
	"in": "22", "za": "31", "ro": "32", "co": "33", "ee": "34", "ca": "36",
	"ar": "39", "de": "43", "lt": "44", "se": "46", "nl": "48", "th": "52",
	"mx": "54", "es": "56", "tr": "62", "br": "73", "fr": "78", "it": "86",
	"pt": "117", "us": "187",
}

var (
	serviceBySACode = invert(serviceCodes)
	countryBySAID   = invert(countryIDs)
)

// SMSActivateService is the protocol's code of a canonical service
// ("telegram" → "tg"); false when it has none.
func SMSActivateService(service string) (string, bool) {
	c, ok := serviceCodes[service]
	return c, ok
}

// ServiceOfSMSActivate is the canonical service of a protocol code
// ("tg" → "telegram"); false for a code we do not sell.
func ServiceOfSMSActivate(code string) (string, bool) {
	s, ok := serviceBySACode[code]
	return s, ok
}

// SMSActivateCountry is the protocol's id of a canonical country
// ("ru" → "0"); false when it has none.
func SMSActivateCountry(country string) (string, bool) {
	id, ok := countryIDs[country]
	return id, ok
}

// CountryOfSMSActivate is the canonical country of a protocol id
// ("0" → "ru"); false for an id we do not sell.
func CountryOfSMSActivate(id string) (string, bool) {
	c, ok := countryBySAID[id]
	return c, ok
}

func invert(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

// ServiceCode is SMS-Activate's two-letter code of one of our services
// ("telegram" → "tg"), from the one table the adapter uses upstream:
// what speaks the protocol to our own customers (their webhooks in its
// format) uses it too.
func ServiceCode(service string) (string, bool) {
	code, ok := serviceCodes[service]
	return code, ok
}

// CountryID is SMS-Activate's numeric id of one of our countries
// ("gb" → "16"), from the same table.
func CountryID(country string) (string, bool) {
	id, ok := countryIDs[country]
	return id, ok
}
