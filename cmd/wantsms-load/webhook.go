package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// webhookClient pushes SMS to the server's provider webhook, signed as an
// upstream signs them.
type webhookClient struct {
	base   string // "http://host:port"
	secret []byte
	client *http.Client
}

// webhookIdleConns keeps enough connections open for 1,000 SMS a second
// with answers taking up to a second; pushes beyond it wait for one
// (each session is a socket already: the open-files limit is near).
const webhookIdleConns = 1024

func newWebhookClient(httpAddr, secret string) *webhookClient {
	tr := &http.Transport{MaxIdleConns: webhookIdleConns, MaxIdleConnsPerHost: webhookIdleConns,
		MaxConnsPerHost: webhookIdleConns, IdleConnTimeout: time.Minute}
	return &webhookClient{base: "http://" + httpAddr, secret: []byte(secret),
		client: &http.Client{Transport: tr, Timeout: defaultTimeout}}
}

func (w *webhookClient) close() { w.client.CloseIdleConnections() }

// webhookSMS is the body of a pushed SMS, shaped like SMS-Activate's
// activation webhook (what provider.ParseWebhook reads).
type webhookSMS struct {
	ActivationID string `json:"activationId"`
	Service      string `json:"service"`
	Text         string `json:"text"`
	Code         string `json:"code"`
	Country      int    `json:"country"`
	ReceivedAt   string `json:"receivedAt"`
}

// push posts one SMS with code for activation ref of providerName.
func (w *webhookClient) push(ctx context.Context, providerName, ref, service, code string, at time.Time) error {
	body, err := json.Marshal(webhookSMS{ActivationID: ref, Service: service, Code: code,
		Text: "Your verification code is " + code + ". Do not share it.", ReceivedAt: at.UTC().Format(time.RFC3339)})
	if err != nil {
		return fmt.Errorf("webhook body: %w", err)
	}
	url := w.base + "/webhooks/provider/" + providerName
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(provider.WebhookSignatureHeader, provider.SignWebhook(w.secret, body))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", url, err)
	}
	defer discardClose(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook %s: %s", url, resp.Status)
	}
	return nil
}
