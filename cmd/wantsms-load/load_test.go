package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

func TestRecorderCountsAndSeries(t *testing.T) {
	rec := newRecorder()
	for i := range 4 {
		rec.start([]string{"a", "b"}[i%2])
	}
	rec.succeed("a", 10*time.Millisecond)
	rec.succeed("b", 30*time.Millisecond)
	rec.observe("sms_to_screen", 5*time.Millisecond)
	rec.fail("a", errNotReady{marker: "x"}, false)
	rec.fail("b", nil, true) // one of the ready sessions dropped
	started, ready, failed := rec.counts()
	if started != 4 || ready != 2 || failed != 1 || rec.open() != 1 {
		t.Errorf("started %d ready %d failed %d open %d; want 4, 2, 1, 1", started, ready, failed, rec.open())
	}
	rep := &Report{Target: "t", Held: rec.open(), Latencies: map[string]Latency{}}
	finish(rep, rec, io.Discard)
	if rep.Latencies[latencyConnect].Count != 2 || rep.Latencies["sms_to_screen"].Count != 1 {
		t.Errorf("latencies %+v", rep.Latencies)
	}
	if rep.Errors[kindNotReady] != 1 || rep.Errors[kindDropped] != 1 {
		t.Errorf("errors %v", rep.Errors)
	}
	in := instances([]string{"a", "b"}, rec)
	if len(in) != 2 || in[0].Sessions != 2 || in[0].Ready != 1 || in[0].Failed != 1 || in[0].Connect.P50 != 10*time.Millisecond ||
		in[1].Sessions != 2 || in[1].Ready != 1 || in[1].Dropped != 1 || in[1].Connect.P50 != 30*time.Millisecond {
		t.Errorf("instances %+v", in)
	}
}

func TestPauseStopsWithTheContext(t *testing.T) {
	if !pause(context.Background(), 0) {
		t.Error("pause(0) reported an ended context")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if pause(ctx, time.Hour) {
		t.Error("pause outlived a cancelled context")
	}
	if _, err := runLoad(ctx, loadConfig{Sessions: 2, Client: clientStream}, target{}, nil, io.Discard); err == nil {
		t.Error("runLoad without enough accounts succeeded")
	}
	if _, err := connector("telnet"); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("unknown client: %v", err)
	}
}
