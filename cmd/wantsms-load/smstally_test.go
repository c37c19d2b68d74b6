package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestSMSCountIsOnePerSessionOrRateTimesDuration(t *testing.T) {
	for _, c := range []struct {
		rate     float64
		d        time.Duration
		sessions int
		want     int
	}{
		{100, 0, 250, 250},                     // one each
		{1000, time.Minute, 10_000, 60_000},    // sustained: six each
		{300, 10 * time.Second, 7, 3000},       // more SMS than sessions
		{0.5, time.Second, 3, 1},               // rounds to at least one
		{1000, time.Minute, 0, 0},              // nobody armed
		{333.4, 3 * time.Second, 1_000, 1_000}, // 1,000.2 rounds down
	} {
		if got := smsCount(c.rate, c.d, c.sessions); got != c.want {
			t.Errorf("smsCount(%g, %v, %d) = %d, want %d", c.rate, c.d, c.sessions, got, c.want)
		}
	}
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	if got := sendAt(start, 500, 1000).Sub(start); got != 500*time.Millisecond {
		t.Errorf("SMS 500 at 1,000/s due after %v, want 500ms", got)
	}
}

func TestTallySumsOutcomesAndRate(t *testing.T) {
	var tally smsTally
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for i := range 11 {
		// Pushes start out of order, as goroutines do.
		tally.pushing(start.Add(time.Duration((i*7)%11) * 100 * time.Millisecond))
	}
	for _, o := range []smsOutcome{smsShown, smsShown, smsShown, smsShown, smsShown, smsShown, smsShown, smsShown,
		smsLost, smsRefused, smsRefused} {
		tally.add(o)
	}
	if shown, failed := tally.progress(); shown != 8 || failed != 3 {
		t.Errorf("progress %d shown, %d failed; want 8, 3", shown, failed)
	}
	got := tally.summary(4)
	want := SMSSummary{Sessions: 4, Sent: 11, Taken: 9, Refused: 2, Shown: 8, Lost: 1, Rate: 10}
	if got != want {
		t.Errorf("summary %+v, want %+v", got, want)
	}
	if r := achievedRate(1, time.Second); r != 0 {
		t.Errorf("one push has a rate: %g", r)
	}
	if r := achievedRate(5, 0); r != 0 {
		t.Errorf("pushes at one instant have a rate: %g", r)
	}
}

func TestReportShowsTheSMSPhase(t *testing.T) {
	out := sampleOutput()
	out.Runs[0].SMS = 1000
	out.Runs[0].SMSPhase = &SMSSummary{Sessions: 1000, Sent: 60_000, Taken: 59_990, Refused: 10, Shown: 59_988,
		Lost: 2, Rate: 998.7, InDB: 59_989}
	var buf bytes.Buffer
	if err := writeTable(&buf, out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"60000 / 59990 / 59988", "2 / 10", "999/s", "59989, but 59990 taken of 60000 sent"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
	out.Runs[0].SMSPhase.InDB = 59_995 // five refused pushes were stored all the same
	buf.Reset()
	if err := writeTable(&buf, out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "59995 (59990 taken, the rest refused but stored)") {
		t.Errorf("refused but stored not said:\n%s", buf.String())
	}
	out.Runs[0].SMSPhase.InDB = 59_990
	buf.Reset()
	if err := writeTable(&buf, out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "59990 (as taken)") {
		t.Errorf("stored count as taken not said:\n%s", buf.String())
	}
	buf.Reset()
	if err := writeJSON(&buf, out); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Runs []struct {
			SMSPhase map[string]float64 `json:"sms_phase"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	p := got.Runs[0].SMSPhase
	if p["sent"] != 60_000 || p["lost"] != 2 || p["in_db"] != 59_990 || p["achieved_rate_per_s"] != 998.7 {
		t.Errorf("JSON sms_phase %v", p)
	}
	if got.Runs[1].SMSPhase != nil {
		t.Errorf("a run without SMS has an sms_phase: %v", got.Runs[1].SMSPhase)
	}
}

func TestStoredAsTakenAllowsRefusedPushesStored(t *testing.T) {
	for _, c := range []struct {
		inDB int
		want bool
	}{{-1, true}, {90, true}, {95, true}, {100, true}, {89, false}, {101, false}} {
		s := SMSSummary{Sent: 100, Taken: 90, Refused: 10, InDB: c.inDB}
		if got := s.storedAsTaken(); got != c.want {
			t.Errorf("%d in the database of 90 taken, 100 sent: %v, want %v", c.inDB, got, c.want)
		}
	}
}

func TestCheckSMSRefusesABadDuration(t *testing.T) {
	ok := loadConfig{Client: clientStream, SMS: smsConfig{Rate: 1000, Duration: time.Minute, DataDir: "d", Secret: "s",
		Service: "telegram"}}
	if err := checkSMS(&ok); err != nil {
		t.Fatalf("a good sustained phase refused: %v", err)
	}
	for name, change := range map[string]func(c *smsConfig){
		"negative":     func(c *smsConfig) { c.Duration = -time.Second },
		"without rate": func(c *smsConfig) { c.Rate = 0 },
		"no SMS":       func(c *smsConfig) { c.Rate, c.Duration = 0.5, time.Second },
	} {
		bad := ok
		change(&bad.SMS)
		if err := checkSMS(&bad); err == nil {
			t.Errorf("%s: %+v accepted", name, bad.SMS)
		} else if !strings.Contains(err.Error(), "--sms-duration") {
			t.Errorf("%s: %v does not name --sms-duration", name, err)
		}
	}
}
