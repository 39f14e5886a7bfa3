package dashboard

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The balance chart: an SVG drawn on the server from the ledger, so it
// needs no script. Every number in it is formatted here and the only text
// is dates and amounts, so it is safe to mark as HTML.

const (
	chartW, chartH = 640, 220
	padR           = 10
	padT, padB     = 12, 30
	// labelCharW is an upper bound of one character's width of the axis
	// labels (12px sans-serif digits are about 6.7 units); the left margin
	// grows with the top label so that a large balance is never clipped.
	labelCharW = 7
	minPadL    = 40
)

// balanceChart draws the balance after each of rows (newest first, as the
// ledger reads them) as a step line from the oldest to the newest.
func balanceChart(rows []account.Transaction) template.HTML {
	if len(rows) == 0 {
		return template.HTML(`<p class="muted">No ledger rows yet: nothing to draw.</p>`)
	}
	hi := account.Money(0)
	for _, t := range rows {
		hi = max(hi, t.BalanceAfter)
	}
	if hi == 0 {
		hi = account.Scale // a flat line at zero, on a scale of 1 EUR
	}
	padL := max(minPadL, labelCharW*len(hi.String())+12)
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	n := len(rows)
	x := func(i int) float64 {
		if n == 1 {
			return float64(padL) + plotW
		}
		return float64(padL) + plotW*float64(i)/float64(n-1)
	}
	y := func(m account.Money) float64 { return float64(padT) + plotH*(1-float64(m)/float64(hi)) }

	var pts strings.Builder
	if n == 1 { // one row: its balance, held across the chart
		fmt.Fprintf(&pts, "%d,%.1f ", padL, y(rows[0].BalanceAfter))
	}
	for i := n - 1; i >= 0; i-- { // oldest first
		j := n - 1 - i
		if j > 0 {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(j), y(rows[i+1].BalanceAfter)) // the balance held until this row
		}
		fmt.Fprintf(&pts, "%.1f,%.1f ", x(j), y(rows[i].BalanceAfter))
	}
	first, last := rows[n-1], rows[0]
	label := fmt.Sprintf("Balance over the last %d ledger rows, from %s EUR on %s to %s EUR on %s",
		n, first.BalanceAfter, first.CreatedAt.UTC().Format("2006-01-02"), last.BalanceAfter, last.CreatedAt.UTC().Format("2006-01-02"))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartW, chartH, template.HTMLEscapeString(label))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(label))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999" stroke-width="1"/>`, padL, chartH-padB, chartW-padR, chartH-padB)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999" stroke-width="1"/>`, padL, padT, padL, chartH-padB)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="#333">%s</text>`, padL-6, padT+10, hi)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="#333">0</text>`, padL-6, chartH-padB)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#333">%s</text>`, padL, chartH-8, first.CreatedAt.UTC().Format("2006-01-02 15:04"))
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="#333">%s</text>`, chartW-padR, chartH-8, last.CreatedAt.UTC().Format("2006-01-02 15:04"))
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#0b62d6" stroke-width="2"/>`, strings.TrimSpace(pts.String()))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // #nosec: built from numbers and escaped text only
}
