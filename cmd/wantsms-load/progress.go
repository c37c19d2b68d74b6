package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progressWidth is the bar's length in cells.
const progressWidth = 30

// progress draws a bar while sessions ramp up: on a terminal it redraws
// one line a few times a second, elsewhere (a log file) it prints a line
// per tenth of the way.
type progress struct {
	w        io.Writer
	tty      bool
	total    int
	counts   func() (started, ready, failed int)
	start    time.Time
	stop     chan struct{}
	done     sync.WaitGroup
	lastTick int
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// startProgress draws until Stop; w nil draws nothing.
func startProgress(w io.Writer, label string, total int, counts func() (started, ready, failed int)) *progress {
	p := &progress{w: w, tty: isTerminal(w), total: total, counts: counts, start: time.Now(), stop: make(chan struct{})}
	if w == nil {
		return p
	}
	fmt.Fprintf(w, "%s: %d sessions\n", label, total)
	p.done.Add(1)
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer p.done.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			p.draw(true)
			return
		case <-t.C:
			p.draw(false)
		}
	}
}

// Stop draws the final state and ends the line.
func (p *progress) Stop() {
	if p.w == nil {
		return
	}
	close(p.stop)
	p.done.Wait()
}

func (p *progress) draw(final bool) {
	started, ready, failed := p.counts()
	line := progressLine(started, ready, failed, p.total, time.Since(p.start))
	switch {
	case p.tty:
		end := ""
		if final {
			end = "\n"
		}
		fmt.Fprintf(p.w, "\r%s\x1b[K%s", line, end)
	default:
		tick := 0
		if p.total > 0 {
			tick = 10 * (ready + failed) / p.total
		}
		if tick > p.lastTick || final {
			p.lastTick = tick
			fmt.Fprintln(p.w, line)
		}
	}
}

// progressLine renders "[#####.....] 512/1000 ready, 2 failed, 12.3 s".
func progressLine(started, ready, failed, total int, elapsed time.Duration) string {
	filled := 0
	if total > 0 {
		filled = min(progressWidth, progressWidth*(ready+failed)/total)
	}
	bar := strings.Repeat("#", filled) + strings.Repeat(".", progressWidth-filled)
	return fmt.Sprintf("[%s] %d/%d ready, %d failed, %d in flight, %.1f s",
		bar, ready, total, failed, started-ready-failed, elapsed.Seconds())
}
