package dashboard

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// TestChartLabelFits: the top axis label, right-aligned at the plot's left
// edge, has room for every character of the largest balance, so a large
// balance is not clipped at the SVG's left edge.
func TestChartLabelFits(t *testing.T) {
	label := regexp.MustCompile(`<text x="(\d+)" y="\d+" text-anchor="end" font-size="12" fill="#333">([^<]*)</text>`)
	at := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for _, hi := range []account.Money{1 * account.Scale, 987666_82123456, 12345678901_00000000} {
		rows := []account.Transaction{{BalanceAfter: hi, CreatedAt: at}, {BalanceAfter: 0, CreatedAt: at}}
		m := label.FindStringSubmatch(string(balanceChart(rows)))
		if m == nil {
			t.Fatalf("no axis label in the chart of %s", hi)
		}
		x, _ := strconv.Atoi(m[1])
		if m[2] != hi.String() || x < labelCharW*len(m[2]) {
			t.Errorf("top label %q ends at x=%d: %d units for %d characters, want at least %d", m[2], x, x, len(m[2]), labelCharW*len(m[2]))
		}
	}
}
