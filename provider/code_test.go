package provider

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// codeCases are realistic SMS from many services and languages, with the
// code a user should paste ("" when there is none).
var codeCases = []struct{ text, want string }{
	// English
	{"Telegram code: 52718\n\nDo not give this code to anyone, even if they say they are from Telegram!\n\nThis code can be used to log in to your Telegram account. We never ask it for anything else.", "52718"},
	{"Your WhatsApp code: 483-921\n\nDon't share this code with others\n4sgLq1p5sV6", "483921"},
	{"G-794102 is your Google verification code.", "794102"},
	{"FB-37810 is your Facebook confirmation code", "37810"},
	{"Use 512 847 to verify your Instagram account.", "512847"},
	{"[TikTok] 604127 is your verification code, valid for 5 minutes. To keep your account safe, never forward this code.", "604127"},
	{"Your Discord verification code is: 739204", "739204"},
	{"Your Uber code: 4821. Never share this code. Reply STOP ALL to 89203 to unsubscribe.", "4821"},
	{"123456 is your Amazon OTP. Do not share it with anyone.", "123456"},
	{"Use 8390215 as Microsoft account security code", "8390215"},
	{"902115 is your X verification code.", "902115"},
	{"Your Viber code is: 281940. Don't share it with anyone.", "281940"},
	{"[WeChat] Verification code: 640218. This code is used for WeChat account verification. Do not share it.", "640218"},
	{"Snapchat code: 570193. Happy Snapping!", "570193"},
	{"SIGNAL: Your code is: 381-774 Do not share this code", "381774"},
	{"Your Apple Account code is: 920417. Don't share it with anyone.", "920417"},
	{"PayPal: 371024 is your security code. Don't share your code.", "371024"},
	{"Your Netflix verification code is 4082.", "4082"},
	{"Your Tinder code is 602913 Don't share", "602913"},
	{"Your Yahoo verification code is 59301", "59301"},
	{"Your OpenAI verification code is: 815203", "815203"},
	{"Your LINE verification code is 5827. Don't share it.", "5827"},
	{"Airbnb security code: 193847. Use this to finish verification.", "193847"},
	{"Your Steam Guard code: F7K2M", "F7K2M"},
	{"Your login code: AB12CD. It expires in 10 minutes.", "AB12CD"},
	{"Your verification code is 123456. Call +44 20 7946 0958 if this wasn't you.", "123456"},
	{"Your Lyft code is 8264", "8264"},
	{"Your one-time PIN is 7741 for your bank login", "7741"},
	// Russian
	{"Код подтверждения Telegram: 40719. Никому не давайте код, даже если его требуют от имени Telegram!", "40719"},
	{"VK: 582013 — код подтверждения. Никому его не сообщайте.", "582013"},
	{"Ваш код: 1234. Не сообщайте его никому.", "1234"},
	{"Пароль: 8362. Никому не говорите пароль, даже сотруднику банка.", "8362"},
	{"Яндекс ID: код 720419 для входа. Никому его не говорите.", "720419"},
	{"Списание 1500 руб. Баланс 24300 р.", ""},
	// Spanish
	{"Tu código de verificación es 391204. No lo compartas con nadie.", "391204"},
	{"Código de WhatsApp: 715-302", "715302"},
	{"Pago de $12.50 aprobado el 2025-01-01 a las 12:30.", ""},
	// German
	{"Ihr Bestätigungscode lautet 482019. Geben Sie ihn nicht weiter.", "482019"},
	{"Dein Code ist AB7K92. Er ist 10 Minuten gültig.", "AB7K92"},
	{"Ihre Bestellung über 49,99 € wurde versandt.", ""},
	// French
	{"Votre code de vérification est : 502813", "502813"},
	{"Votre code Google est G-604913.", "604913"},
	// Portuguese
	{"Seu código do Uber é 4830. Não compartilhe.", "4830"},
	{"Seu código é 827104. Valor da compra: R$ 1000", "827104"},
	{"Sua fatura de R$ 2350 vence em 10/02/2025.", ""},
	// Italian
	{"Il tuo codice di verifica è 631029", "631029"},
	// Turkish
	{"Doğrulama kodunuz: 305918. Bu kodu kimseyle paylaşmayın.", "305918"},
	{"Trendyol şifreniz 7392. B001", "7392"},
	// Indonesian
	{"Kode verifikasi Anda adalah 493021. Jangan berikan kode ini kepada siapa pun.", "493021"},
	{"<#> Kode OTP Shopee: 827361. JANGAN BERIKAN KODE ini ke siapa pun.", "827361"},
	{"Transfer Rp 50000 berhasil.", ""},
	// Polish
	{"Twój kod weryfikacyjny: 938201", "938201"},
	// Chinese, Japanese, Korean, Thai
	{"【微信】验证码：640218，用于微信身份验证，5分钟内有效，请勿泄露。", "640218"},
	{"您的验证码是123456，请在10分钟内完成验证。", "123456"},
	{"[LINE] 認証番号：8271", "8271"},
	{"[카카오톡] 인증번호 [482910]를 입력해주세요.", "482910"},
	{"รหัส OTP ของคุณคือ 572913", "572913"},
	// no code at all
	{"Your appointment is on 2025-01-01 at 12:30.", ""},
	{"Call us on +447911123456 for help.", ""},
	{"Order #12345 has shipped.", ""},
	{"Happy New Year 2025 from all of us!", ""},
	{"Your card 4111 1111 1111 1111 was charged.", ""},
	{"Tracking: 123456789012 out for delivery", ""},
	{"Visit https://example.com/verify/839201 to confirm", ""},
	{"Discount 2000% off today only", ""},
	{"Hi! See you at 7.", ""},
	// code beside noise
	{"Your code is 5930. Ref 20250101123456", "5930"},
	{"Deposit of €5 received. Code 7721", "7721"},
	{"Amazon: Your OTP is 904412. Don't share. Not you? Call 0800 279 7234", "904412"},
}

func TestExtractCode(t *testing.T) {
	if len(codeCases) < 50 {
		t.Fatalf("only %d cases", len(codeCases))
	}
	for _, c := range codeCases {
		if got := ExtractCode(c.text); got != c.want {
			t.Errorf("ExtractCode(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func FuzzExtractCode(f *testing.F) {
	for _, c := range codeCases {
		f.Add(c.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := ExtractCode(text)
		checkCodeShape(t, text, got)
	})
}

// checkCodeShape: a result is empty, or 4–8 ASCII letters and digits that
// appear in the input in that order.
func checkCodeShape(t *testing.T, text, got string) {
	t.Helper()
	if got == "" {
		return
	}
	if n := utf8.RuneCountInString(got); n < minCode || n > 12 {
		t.Fatalf("ExtractCode(%q) = %q: length %d", text, got, n)
	}
	rest := text
	for _, r := range got {
		if !isASCIIAlnum(r) {
			t.Fatalf("ExtractCode(%q) = %q: not alphanumeric", text, got)
		}
		i := strings.IndexRune(rest, r)
		if i < 0 {
			t.Fatalf("ExtractCode(%q) = %q: not taken from the input", text, got)
		}
		rest = rest[i+1:]
	}
}

func BenchmarkExtractCode(b *testing.B) {
	const sms = "Telegram code: 52718\n\nDo not give this code to anyone, even if they say they are from Telegram!"
	b.ReportAllocs()
	for b.Loop() {
		if ExtractCode(sms) != "52718" {
			b.Fatal("wrong code")
		}
	}
}
