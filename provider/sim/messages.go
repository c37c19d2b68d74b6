package sim

import (
	"math/rand/v2"
	"strings"
)

// smsStyle is how a service writes its verification SMS: who it comes
// from, how long the code is, how it is shown, and the text around it
// ({code} is replaced by the code as shown).
type smsStyle struct {
	sender string
	digits int
	split  string // "" or the separator of a 3+3 split code
	text   string
}

// styles imitate each service's real wording; the codes are random.
var styles = map[string]smsStyle{
	"telegram":  {"Telegram", 5, "", "Telegram code: {code}\n\nDo not give this code to anyone, even if they say they are from Telegram!\n\nThis code can be used to log in to your Telegram account. We never ask it for anything else.\n\nIf you didn't request this code by trying to log in on another device, simply ignore this message."},
	"whatsapp":  {"WhatsApp", 6, "-", "Your WhatsApp code: {code}\n\nDon't share this code with others"},
	"google":    {"Google", 6, "", "G-{code} is your Google verification code."},
	"facebook":  {"Facebook", 5, "", "FB-{code} is your Facebook confirmation code"},
	"instagram": {"Instagram", 6, " ", "Use {code} to verify your Instagram account."},
	"tiktok":    {"TikTok", 6, "", "[TikTok] {code} is your verification code, valid for 5 minutes. To keep your account safe, never forward this code."},
	"discord":   {"Discord", 6, "", "Your Discord verification code is: {code}"},
	"uber":      {"Uber", 4, "", "Your Uber code: {code}. Never share this code. Reply STOP ALL to 89203 to unsubscribe."},
	"amazon":    {"Amazon", 6, "", "{code} is your Amazon OTP. Do not share it with anyone."},
	"microsoft": {"Microsoft", 7, "", "Use {code} as Microsoft account security code"},
	"twitter":   {"X", 6, "", "{code} is your X verification code."},
	"viber":     {"Viber", 6, "", "Your Viber code is: {code}. Don't share it with anyone."},
	"wechat":    {"WeChat", 6, "", "[WeChat] Verification code: {code}. This code is used for WeChat account verification. Do not share it."},
	"line":      {"LINE", 4, "", "Your LINE verification code is {code}. Don't share it."},
	"snapchat":  {"Snapchat", 6, "", "Snapchat code: {code}. Happy Snapping!"},
	"signal":    {"Signal", 6, "-", "SIGNAL: Your code is: {code} Do not share this code"},
	"apple":     {"Apple", 6, "", "Your Apple Account code is: {code}. Don't share it with anyone."},
	"paypal":    {"PayPal", 6, "", "PayPal: {code} is your security code. Don't share your code."},
	"netflix":   {"Netflix", 4, "", "Your Netflix verification code is {code}."},
	"tinder":    {"Tinder", 6, "", "Your Tinder code is {code} Don't share"},
	"yahoo":     {"Yahoo", 5, "", "Your Yahoo verification code is {code}"},
	"openai":    {"OpenAI", 6, "", "Your OpenAI verification code is: {code}"},
}

// countryLang is the language most SMS to numbers of a country use.
var countryLang = map[string]string{
	"ru": "ru", "kz": "ru", "ua": "ru", "es": "es", "mx": "es", "br": "pt",
	"de": "de", "fr": "fr", "it": "it", "pl": "pl", "tr": "tr", "id": "id",
}

// localTexts are generic wordings per language ({service}, {code}); about
// half the SMS to a country with one use it, the rest the English style.
var localTexts = map[string]string{
	"ru": "Код подтверждения {service}: {code}. Никому не сообщайте этот код.",
	"es": "Tu código de {service} es {code}. No lo compartas con nadie.",
	"pt": "Seu código do {service} é {code}. Não compartilhe.",
	"de": "Dein {service}-Bestätigungscode lautet {code}. Gib ihn nicht weiter.",
	"fr": "Votre code {service} est : {code}. Ne le partagez pas.",
	"it": "Il tuo codice {service} è {code}. Non condividerlo.",
	"pl": "Twój kod {service}: {code}. Nie udostępniaj go nikomu.",
	"tr": "{service} doğrulama kodunuz: {code}. Bu kodu kimseyle paylaşmayın.",
	"id": "Kode verifikasi {service} Anda adalah {code}. Jangan berikan kode ini kepada siapa pun.",
}

// composeSMS writes the SMS a service would send to a number in country,
// with a fresh code; it returns the sender, the text and the code as a
// user pastes it.
func composeSMS(rng *rand.Rand, service, serviceName, country string) (sender, text, code string) {
	st := styles[service]
	var b strings.Builder
	for range st.digits {
		b.WriteByte(byte('0' + rng.IntN(10)))
	}
	code = b.String()
	shown := code
	if st.split != "" && len(code) == 6 {
		shown = code[:3] + st.split + code[3:]
	}
	tmpl := st.text
	if local, ok := localTexts[countryLang[country]]; ok && rng.IntN(2) == 0 {
		tmpl, shown = local, code
	}
	text = strings.NewReplacer("{code}", shown, "{service}", serviceName).Replace(tmpl)
	return st.sender, text, code
}
