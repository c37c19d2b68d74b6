package metrics

import (
	"strings"
	"sync"
	"testing"
)

func TestWriteThenParse(t *testing.T) {
	fams := []Family{
		{Name: "app_requests_total", Help: "Requests, by outcome.\nSecond line \\ here.", Type: Counter,
			Samples: []Sample{{L("outcome", "ok"), 12}, {L("outcome", `bad "quote" \ and`+"\nnewline"), 3}}},
		{Name: "app_open", Help: "Open things.", Type: Gauge, Samples: []Sample{{nil, 7}}},
		{Name: "app_empty", Help: "No samples yet.", Type: Counter},
	}
	var b strings.Builder
	if err := Write(&b, fams); err != nil {
		t.Fatal(err)
	}
	want := `# HELP app_requests_total Requests, by outcome.\nSecond line \\ here.
# TYPE app_requests_total counter
app_requests_total{outcome="ok"} 12
app_requests_total{outcome="bad \"quote\" \\ and\nnewline"} 3
# HELP app_open Open things.
# TYPE app_open gauge
app_open 7
# HELP app_empty No samples yet.
# TYPE app_empty counter
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	got, err := Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got["app_requests_total"].Value("outcome", `bad "quote" \ and`+"\nnewline"); !ok || v != 3 {
		t.Fatalf("escaped label read back: %d %v", v, ok)
	}
	if v, ok := got["app_open"].Value(); !ok || v != 7 || got["app_open"].Type != Gauge {
		t.Fatalf("gauge: %+v", got["app_open"])
	}
	if _, ok := got["app_empty"]; !ok {
		t.Fatal("empty family lost")
	}
}

func TestWriteRefusesBadNames(t *testing.T) {
	for _, f := range []Family{
		{Name: "9lives", Type: Counter},
		{Name: "app-x", Type: Counter},
		{Name: "app_x", Type: "histogram"},
		{Name: "app_x", Type: Gauge, Samples: []Sample{{L("bad-label", "v"), 1}}},
		{Name: "app_x", Type: Gauge, Samples: []Sample{{L("__reserved", "v"), 1}}},
	} {
		if err := Write(&strings.Builder{}, []Family{f}); err == nil {
			t.Errorf("%+v written", f)
		}
	}
}

func TestParseIsStrict(t *testing.T) {
	for _, bad := range []string{
		"undeclared 1\n",
		"# TYPE x counter\nx{a=\"1\" 2\n",
		"# TYPE x counter\nx one\n",
		"# TYPE x summary\n",
		"# TYPE x counter\nx{=\"1\"} 2\n",
	} {
		if _, err := Parse(strings.NewReader(bad)); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestTallyConcurrent(t *testing.T) {
	var tl Tally
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				tl.Inc("ok")
			}
			tl.Inc("error")
		}()
	}
	wg.Wait()
	if s := tl.Snapshot(); s["ok"] != 800 || s["error"] != 8 || len(s) != 2 {
		t.Fatalf("%+v", s)
	}
}
