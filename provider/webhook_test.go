package provider

import (
	"errors"
	"testing"
	"time"
)

var hookSecret = []byte("s3cret")

func TestParseWebhook(t *testing.T) {
	body := []byte(`{"activationId":123456,"service":"go","text":"G-482910 is your Google verification code.","code":"482910","country":0,"receivedAt":"2025-01-01 12:00:00"}`)
	p, err := ParseWebhook(hookSecret, SignWebhook(hookSecret, body), body)
	if err != nil {
		t.Fatal(err)
	}
	want := Push{Ref: "123456", ID: MessageID("482910", ""), Text: "G-482910 is your Google verification code.",
		Code: "482910", ReceivedAt: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)}
	if p != want {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
}

func TestParseWebhookStringIDAndExtraction(t *testing.T) {
	body := []byte(`{"activationId":"987","text":"Telegram code: 52718","code":""}`)
	p, err := ParseWebhook(hookSecret, "sha256="+SignWebhook(hookSecret, body), body)
	if err != nil {
		t.Fatal(err)
	}
	if p.Ref != "987" || p.Code != "52718" || !p.ReceivedAt.IsZero() {
		t.Errorf("got %+v", p)
	}
}

func TestParseWebhookRejects(t *testing.T) {
	good := []byte(`{"activationId":1,"text":"x","code":"1234"}`)
	sig := SignWebhook(hookSecret, good)
	badSig := []struct {
		name         string
		secret       []byte
		header, body string
	}{
		{"missing", hookSecret, "", string(good)},
		{"wrong secret", []byte("other"), sig, string(good)},
		{"tampered body", hookSecret, sig, `{"activationId":2,"text":"x","code":"1234"}`},
		{"not hex", hookSecret, "zz" + sig[2:], string(good)},
		{"short", hookSecret, sig[:10], string(good)},
		{"no secret", nil, SignWebhook(nil, good), string(good)},
	}
	for _, c := range badSig {
		if _, err := ParseWebhook(c.secret, c.header, []byte(c.body)); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: err = %v, want ErrBadSignature", c.name, err)
		}
	}
	malformed := []string{`{`, `[]`, `{"activationId":true}`, `{"activationId":-5}`, `{"activationId":"1.5"}`,
		`{"activationId":0}`, `{"text":"no id"}`, `{"activationId":1,"receivedAt":"yesterday"}`}
	for _, b := range malformed {
		_, err := ParseWebhook(hookSecret, SignWebhook(hookSecret, []byte(b)), []byte(b))
		if err == nil || errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: err = %v, want a parse error", b, err)
		}
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"activationId":123456,"service":"go","text":"Sms text","code":"12345","country":0,"receivedAt":"2025-01-01 12:00:00"}`), true)
	f.Add([]byte(`{"activationId":"77","text":"код: 1234"}`), true)
	f.Add([]byte(`{"activationId":1e3}`), false)
	f.Add([]byte(`null`), true)
	f.Fuzz(func(t *testing.T, body []byte, sign bool) {
		sig := "00"
		if sign {
			sig = SignWebhook(hookSecret, body)
		}
		p, err := ParseWebhook(hookSecret, sig, body)
		if !sign && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("unsigned body accepted: %v", err)
		}
		if err == nil {
			if p.Ref == "" || p.ID == "" {
				t.Fatalf("accepted without ref or id: %+v", p)
			}
			if p.Code != "" && p.Code == ExtractCode(p.Text) {
				checkCodeShape(t, p.Text, p.Code)
			}
		}
	})
}
