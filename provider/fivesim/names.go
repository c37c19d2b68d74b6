package fivesim

// products maps canonical services to 5sim product names. Source:
// BrowserAutomationStudio's provider tables
// (nguyendkn/BrowserAutomationStudio, Solution/Modules/SMS/js/sites.js,
// key "5sim.net"). Apple and OpenAI have no confirmed 5sim name and are
// left out.
var products = map[string]string{
	"telegram": "telegram", "whatsapp": "whatsapp", "google": "google", "facebook": "facebook",
	"instagram": "instagram", "tiktok": "tiktok", "discord": "discord", "uber": "uber",
	"amazon": "amazon", "microsoft": "microsoft", "twitter": "twitter", "viber": "viber",
	"wechat": "wechat", "line": "line", "snapchat": "snapchat", "signal": "signal",
	"paypal": "paypal", "netflix": "netflix", "tinder": "tinder", "yahoo": "yahoo",
	"linkedin": "linkedin", "airbnb": "airbnb", "steam": "steam", "vk": "vkontakte",
	"yandex": "yandex", "ebay": "ebay", "shopee": "shopee", "grab": "grabtaxi",
}

// countryNames maps canonical countries to 5sim country names. Source:
// BrowserAutomationStudio
// (Solution/Modules/SMS/js/internal/SmsActivate/countries.js, key
// "5sim.net"); "russia" also in the protocol doc. Hong Kong has no
// confirmed name and is left out.
var countryNames = map[string]string{
	"us": "usa", "gb": "england", "de": "germany", "fr": "france", "nl": "netherlands",
	"pl": "poland", "es": "spain", "it": "italy", "pt": "portugal", "se": "sweden",
	"ee": "estonia", "lt": "lithuania", "ro": "romania", "ru": "russia", "ua": "ukraine",
	"kz": "kazakhstan", "tr": "turkey", "in": "india", "id": "indonesia", "ph": "philippines",
	"vn": "vietnam", "th": "thailand", "my": "malaysia", "cn": "china", "br": "brazil",
	"mx": "mexico", "ar": "argentina", "co": "colombia", "ca": "canada", "ng": "nigeria",
	"za": "southafrica", "eg": "egypt",
}

var (
	serviceByProduct = invert(products)
	countryByName    = invert(countryNames)
)

func invert(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}
