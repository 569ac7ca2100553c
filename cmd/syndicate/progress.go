package main

import (
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"syndicate"
)

// waitView shows the progress of a --wait: a progress bar on a terminal,
// else a plain line each time the counts change (what scripts and logs
// read).
type waitView interface {
	// show draws the deliveries' counts.
	show(ds []syndicate.Delivery)
	// say prints a message (a stall) on its own line.
	say(line string)
	// done ends the view, leaving the last counts on screen.
	done()
}

// newWaitView picks the view for w.
func newWaitView(w io.Writer) waitView {
	if isTerminal(w) {
		return newBarView(w)
	}
	return &lineView{w: w}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// lineView prints progress lines, one each time they change.
type lineView struct {
	w    io.Writer
	last string
}

func (v *lineView) show(ds []syndicate.Delivery) {
	if line, _, _ := progress(ds); line != v.last {
		fmt.Fprintln(v.w, line)
		v.last = line
	}
}

func (v *lineView) say(line string) { fmt.Fprintln(v.w, line) }
func (v *lineView) done()           {}

// barView draws one bar for all the deliveries of the item: how many are
// final of how many planned, the rate, and the time elapsed and left.
type barView struct {
	w    io.Writer
	bar  *progressbar.ProgressBar
	max  int64
	last string // the counts line, printed under the bar at the end
}

func newBarView(w io.Writer) *barView { return &barView{w: w} }

func (v *barView) show(ds []syndicate.Delivery) {
	line, _, _ := progress(ds)
	v.last = line
	if len(ds) == 0 {
		return // nothing planned yet: no total to draw a bar against
	}
	final := int64(0)
	for _, d := range ds {
		if d.Status.Final() {
			final++
		}
	}
	total := int64(len(ds))
	if v.bar == nil {
		v.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(v.w),
			progressbar.OptionSetDescription("delivering"),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("deliveries"),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetRenderBlankState(true),
		)
		v.max = total
	}
	if total != v.max {
		v.bar.ChangeMax64(total) // the fan-out planned more
		v.max = total
	}
	// A draw that fails (the terminal went away) is not worth stopping
	// the wait for: the deliveries go on either way.
	if err := v.bar.Set64(final); err != nil {
		v.say(line)
	}
}

func (v *barView) say(line string) {
	if v.bar != nil {
		if err := v.bar.Clear(); err != nil {
			fmt.Fprintln(v.w)
		}
	}
	fmt.Fprintln(v.w, line)
	if v.bar != nil {
		v.redraw()
	}
}

// redraw draws the bar again where say's line left the cursor.
func (v *barView) redraw() {
	if err := v.bar.RenderBlank(); err != nil {
		fmt.Fprintln(v.w)
	}
}

func (v *barView) done() {
	if v.bar != nil {
		v.redraw() // the last counts, whatever the bar drew last
		if err := v.bar.Exit(); err != nil {
			fmt.Fprintln(v.w)
		}
		fmt.Fprintln(v.w)
	}
	if v.last != "" {
		fmt.Fprintln(v.w, v.last)
	}
}
