package provider

// Service is a canonical service: our own code and the name people know.
type Service struct {
	Code string // lower-case word, e.g. "telegram"
	Name string // display name, e.g. "Telegram"
}

// services is the canonical service table. Adapters map these codes to
// their upstream's own; an upstream service not listed here is skipped.
var services = []Service{
	{"telegram", "Telegram"},
	{"whatsapp", "WhatsApp"},
	{"google", "Google"},
	{"facebook", "Facebook"},
	{"instagram", "Instagram"},
	{"tiktok", "TikTok"},
	{"discord", "Discord"},
	{"uber", "Uber"},
	{"amazon", "Amazon"},
	{"microsoft", "Microsoft"},
	{"twitter", "X (Twitter)"},
	{"viber", "Viber"},
	{"wechat", "WeChat"},
	{"line", "LINE"},
	{"snapchat", "Snapchat"},
	{"signal", "Signal"},
	{"apple", "Apple"},
	{"paypal", "PayPal"},
	{"netflix", "Netflix"},
	{"tinder", "Tinder"},
	{"yahoo", "Yahoo"},
	{"openai", "OpenAI"},
	{"linkedin", "LinkedIn"},
	{"airbnb", "Airbnb"},
	{"steam", "Steam"},
	{"vk", "VK"},
	{"yandex", "Yandex"},
	{"ebay", "eBay"},
	{"shopee", "Shopee"},
	{"grab", "Grab"},
}

// serviceAliases are the two-letter codes the SMS-Activate protocol uses
// for the best known services (its `service` parameter: tg, wa, vi, go,
// fb, tw, ig, ds); people and scripts used to them type them here too.
// They mean what the protocol's table says (smsactivate_codes.go).
var serviceAliases = func() map[string]string {
	m := map[string]string{}
	for _, code := range []string{"tg", "wa", "vi", "go", "fb", "tw", "ig", "ds"} {
		m[code] = serviceBySACode[code]
	}
	return m
}()

var serviceIndex = func() map[string]Service {
	m := make(map[string]Service, len(services)+len(serviceAliases))
	for _, s := range services {
		m[s.Code] = s
	}
	for alias, code := range serviceAliases {
		m[alias] = m[code]
	}
	return m
}()

// Services lists the canonical services in display order.
func Services() []Service { return append([]Service(nil), services...) }

// LookupService finds a canonical service by its code or a market alias
// ("tg" is Telegram); the Service returned has the canonical code.
func LookupService(code string) (Service, bool) {
	s, ok := serviceIndex[code]
	return s, ok
}
