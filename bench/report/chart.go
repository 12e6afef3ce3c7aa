package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
)

// The chart: throughput (left) and p50/p99 latency (right) against the
// number of connections, kefu next to the echo baseline, from the closed-
// loop sweep. Plain SVG written by hand.

const (
	chartW, chartH = 1000, 490
	panelW, panelH = 400, 310 // plot areas
	panelTop       = 110
	leftX, rightX  = 90, 570
)

var (
	colour = map[string]string{"echo": "#6c757d", "kefu": "#d9480f"}
	label  = map[string]string{"echo": "bare gorilla echo", "kefu": "kefu (full turn)"}
)

func chartSVG(rep report) []byte {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`+"\n", chartW, chartH, chartW, chartH)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	p(`<text x="%d" y="28" font-size="17" font-weight="600">kefu web chat vs a bare gorilla/websocket echo server, end to end</text>`+"\n", leftX-60)
	p(`<text x="%d" y="48" fill="#555">%s</text>`+"\n", leftX-60, html.EscapeString(
		"Closed loop: each connection sends its next message when the last is answered. Server and load generator in separate processes."))
	p(`<text x="%d" y="66" fill="#555">%s</text>`+"\n", leftX-60, html.EscapeString(fmt.Sprintf(
		"%s, GOMAXPROCS %d, %s, %s, commit %s", rep.CPU, rep.Procs, rep.Go, rep.Generated[:min(10, len(rep.Generated))], rep.Commit)))
	if len(rep.OpenLoop) == 2 {
		e, k := find(rep.OpenLoop, "echo", headline(rep.OpenLoop)), find(rep.OpenLoop, "kefu", headline(rep.OpenLoop))
		p(`<text x="%d" y="84" fill="#555">%s</text>`+"\n", leftX-60, html.EscapeString(fmt.Sprintf(
			"Open loop, %.0f/s offered on %d connections (half the echo's rate there): echo p99 %s ms; kefu answered %.0f/s, p99 %s ms.",
			k.Offered, k.Conns, num(e.P99), k.Rate, num(k.P99))))
	}
	if len(rep.Sweep) == 0 {
		p(`<text x="%d" y="%d">no sweep in this run</text></svg>`+"\n", leftX, panelTop+40)
		return b.Bytes()
	}
	conns := connsOf(rep.Sweep)
	xmin, xmax := math.Log10(float64(conns[0])), math.Log10(float64(conns[len(conns)-1]))
	if xmax == xmin {
		xmax = xmin + 1
	}
	xAt := func(x0 int, n int) float64 {
		return float64(x0) + (math.Log10(float64(n))-xmin)/(xmax-xmin)*panelW
	}

	// Throughput, linear.
	var top float64
	for _, pt := range rep.Sweep {
		top = math.Max(top, pt.Rate)
	}
	top = niceCeil(top)
	yRate := func(v float64) float64 { return panelTop + panelH - v/top*panelH }
	frame(&b, leftX, "round trips per second", "connections", conns, xAt)
	for i := 0; i <= 5; i++ {
		v := top * float64(i) / 5
		y := yRate(v)
		p(`<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e9ecef"/>`+"\n", leftX, leftX+panelW, y, y)
		p(`<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", leftX-6, y, num(v))
	}
	for _, server := range []string{"echo", "kefu"} {
		var pts [][2]float64
		for _, n := range conns {
			pt := find(rep.Sweep, server, n)
			pts = append(pts, [2]float64{xAt(leftX, n), yRate(pt.Rate)})
		}
		line(&b, pts, colour[server], "")
		for i, n := range conns {
			pt := find(rep.Sweep, server, n)
			p(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s" font-size="10">%s</text>`+"\n", pts[i][0], pts[i][1]-8, colour[server], num(pt.Rate))
		}
	}

	// Latency, logarithmic.
	lo, hi := math.Inf(1), 0.0
	for _, pt := range rep.Sweep {
		for _, v := range []float64{pt.P50, pt.P99} {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0.01, 1
	}
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dhi == dlo {
		dhi++
	}
	yLat := func(v float64) float64 {
		return panelTop + panelH - (math.Log10(math.Max(v, math.Pow(10, dlo)))-dlo)/(dhi-dlo)*panelH
	}
	frame(&b, rightX, "latency, ms (log scale)", "connections", conns, xAt)
	for d := dlo; d <= dhi; d++ {
		y := yLat(math.Pow(10, d))
		p(`<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e9ecef"/>`+"\n", rightX, rightX+panelW, y, y)
		p(`<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", rightX-6, y, strconv.FormatFloat(math.Pow(10, d), 'g', -1, 64))
	}
	for _, server := range []string{"echo", "kefu"} {
		for _, q := range []string{"p50", "p99"} {
			var pts [][2]float64
			for _, n := range conns {
				pt := find(rep.Sweep, server, n)
				v := pt.P99
				if q == "p50" {
					v = pt.P50
				}
				pts = append(pts, [2]float64{xAt(rightX, n), yLat(v)})
			}
			dash := ""
			if q == "p50" {
				dash = "5 4"
			}
			line(&b, pts, colour[server], dash)
		}
	}
	// 5 ms: the latency goal's floor.
	y5 := yLat(5)
	p(`<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#2b8a3e" stroke-dasharray="2 3"/>`+"\n", rightX, rightX+panelW, y5, y5)
	p(`<text x="%d" y="%.1f" fill="#2b8a3e" font-size="10" text-anchor="end">5 ms</text>`+"\n", rightX+panelW-4, y5-4)

	// Legend.
	ly := panelTop + panelH + 52
	x := leftX
	for _, server := range []string{"echo", "kefu"} {
		p(`<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2.5"/>`+"\n", x, x+24, ly, ly, colour[server])
		p(`<text x="%d" y="%d" dominant-baseline="middle">%s</text>`+"\n", x+30, ly, label[server])
		x += 200
	}
	p(`<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333" stroke-width="2"/>`+"\n", x, x+24, ly, ly)
	p(`<text x="%d" y="%d" dominant-baseline="middle">p99</text>`+"\n", x+30, ly)
	x += 90
	p(`<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333" stroke-width="2" stroke-dasharray="5 4"/>`+"\n", x, x+24, ly, ly)
	p(`<text x="%d" y="%d" dominant-baseline="middle">p50</text>`+"\n", x+30, ly)
	p("</svg>\n")
	return b.Bytes()
}

// frame draws a panel's axes, x ticks and titles.
func frame(b *bytes.Buffer, x0 int, ytitle, xtitle string, conns []int, xAt func(int, int) float64) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	p(`<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#adb5bd"/>`+"\n", x0, panelTop, panelW, panelH)
	for _, n := range conns {
		x := xAt(x0, n)
		p(`<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#e9ecef"/>`+"\n", x, x, panelTop, panelTop+panelH)
		p(`<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", x, panelTop+panelH+16, n)
	}
	p(`<text x="%d" y="%d" text-anchor="middle" fill="#333">%s (log scale)</text>`+"\n", x0+panelW/2, panelTop+panelH+34, xtitle)
	p(`<text x="%d" y="%d" font-weight="600" fill="#333">%s</text>`+"\n", x0, panelTop-8, ytitle)
}

func line(b *bytes.Buffer, pts [][2]float64, stroke, dash string) {
	fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2.5"`, stroke)
	if dash != "" {
		fmt.Fprintf(b, ` stroke-dasharray="%s"`, dash)
	}
	b.WriteString(` points="`)
	for i, pt := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(b, "%.1f,%.1f", pt[0], pt[1])
	}
	b.WriteString(`"/>` + "\n")
	for _, pt := range pts {
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", pt[0], pt[1], stroke)
	}
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*e {
			return m * e
		}
	}
	return 10 * e
}

func headline(ps []point) int {
	if len(ps) == 0 {
		return 0
	}
	return ps[0].Conns
}
