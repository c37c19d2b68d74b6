package commands

import (
	"time"

	"github.com/wantsms/wantsms/store"
)

// exampleExport is the export of a small account: one of everything. It
// documents the document's shape in help and in the README.
func exampleExport() exportDoc {
	at := func(minutes int) Timestamp {
		return Timestamp(time.Time(exampleTime).Add(time.Duration(minutes) * time.Minute))
	}
	return exportDoc{Format: exportFormat, Version: exportVersion, ExportedAt: at(90),
		Account: exportAccount{ID: 7, Email: "alice@example.com", Role: "user", BalanceCents: 325, Currency: currency,
			CreatedAt: exampleTime, PrivacyPolicy: store.PrivacyPolicyVersion, EmailVerifiedAt: at(2)},
		Keys: []exportKey{{Name: "laptop", Fingerprint: "SHA256:2Rq0yJ0tG2mK4x0Yb6o1b8rXk9m1c7jQx3e5s0aZ1Lw",
			PublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx8YnVpbGQtZXhhbXBsZS1rZXktbm90LXJlYWw",
			AddedAt:   at(1), LastUsedAt: at(60)}},
		SecurityEvents: []exportEvent{
			{Kind: "signup", At: exampleTime, Address: "203.0.113.5:50022", Client: "SSH-2.0-OpenSSH_9.6",
				Detail: "accepted the privacy policy; confirmed 13 or older"},
			{Kind: "key_linked", At: at(1), Address: "203.0.113.5:50022", Client: "SSH-2.0-OpenSSH_9.6",
				Detail: "SHA256:2Rq0yJ0tG2mK4x0Yb6o1b8rXk9m1c7jQx3e5s0aZ1Lw"},
		},
		Reservations: []exportNumber{{ID: 42, Service: "telegram", Country: "gb", Phone: "+447700900123",
			State: "finished", PriceCents: 75, Provider: "smsactivate", Reference: "53533933",
			CreatedAt: at(10), ExpiresAt: at(30), EndedAt: at(12),
			Messages: []exportSMS{{Sender: "Telegram", Body: "Telegram code: 73519", Code: "73519", ReceivedAt: at(11)}}}},
		Rentals: []exportRental{{ID: 7, Service: "whatsapp", Country: "de", Phone: "+4915112345678", State: "active",
			Days: 7, PriceCents: 600, Provider: "smsactivate", Reference: "26251422", CreatedAt: at(50),
			EndsAt: Timestamp(time.Time(exampleTime).Add(50*time.Minute + 7*24*time.Hour)), Extensions: []exportExtension{},
			Messages: []exportSMS{{Sender: "WhatsApp", Body: "Your WhatsApp code: 482-913", Code: "482913",
				ReceivedAt: at(55)}}}},
		Orders: []exportOrder{
			{Number: "k7mp3xq9rt2vw8ya", Processor: "stripe", Status: "paid", AmountCents: 1000, Currency: "usd",
				Credits: 1000, Credited: 1000, CreatedAt: at(5), PaidAt: at(6),
				Card: &exportCard{SessionID: "cs_test_a1b2c3", PaymentIntent: "pi_3Nx", ChargedCents: 1000,
					ChargedCurrency: "usd"}},
			{Number: "h4ns8dqe2cuw5fzb", Processor: "blockonomics", Status: "expired", AmountCents: 500,
				Currency: "usd", Credits: 500, CreatedAt: at(40),
				Bitcoin: &exportBitcoin{Address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", PriceCents: 5_000_000,
					ExpectedSats: 10_000, Transactions: []exportTx{}}},
		},
		Ledger: []exportMove{
			{AmountCents: 1000, Kind: "topup", Reference: "k7mp3xq9rt2vw8ya", At: at(6)},
			{AmountCents: -75, Kind: "reserve", Reference: "res:42", Note: "telegram gb", At: at(10)},
			{AmountCents: -600, Kind: "rent", Reference: "rent:7", Note: "whatsapp de 7d", At: at(50)},
		},
		Support: []exportThread{{Open: true, CreatedAt: at(20), Messages: []exportSupportMsg{
			{From: "you", Body: "Hello, my code came late.", At: at(20)},
			{From: "staff", Body: "Sorry about that: fixed now.", At: at(25)}}}},
		Mails: []exportMail{
			{Kind: "verify", To: "alice@example.com", Subject: "Verify your email address for WantSMS", Status: "sent",
				QueuedAt: exampleTime, DoneAt: exampleTime},
			{Kind: "topup_receipt", To: "alice@example.com", Subject: "Receipt for your WantSMS top-up k7mp3xq9rt2vw8ya",
				Status: "sent", QueuedAt: at(6), DoneAt: at(6)},
		},
		NoticesOff: []string{"support_reply"},
		Favourites: []exportFav{},
		APIKeys:    []exportAPIKey{{Name: "bot", CreatedAt: at(70), LastUsedAt: at(85)}},
		Webhooks: []webhookJSON{{ID: 3, URL: "https://hooks.example.com/wantsms", Format: "wantsms", CreatedAt: at(8),
			Deliveries: []deliveryJSON{{EventID: "evt_3b8f0d2c4e6a8b1d3f5a7c9e", Event: "sms.received",
				Status: "delivered", Attempts: 2, HTTPStatus: 200, Answer: "ok", CreatedAt: at(11), DoneAt: at(12)}}}},
		Retention: retention(),
	}
}
