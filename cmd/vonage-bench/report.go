package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// printTable writes the report for people: the set-up, then one block per
// scenario with each side's medians and the server/baseline ratios (median,
// min and max over the rounds).
func printTable(w io.Writer, rep *report) {
	c, m := rep.Config, rep.Machine
	fmt.Fprintf(w, "vonage-bench: %s, %d accounts (load spread over %d), %d connections, %gs legs, median of %d rounds\n",
		c.Store, c.Accounts, c.Hot, c.Connections, c.Duration, c.Rounds)
	model := ""
	if m.CPUModel != "" {
		model = ", " + m.CPUModel
	}
	fmt.Fprintf(w, "machine: %d CPUs (GOMAXPROCS %d)%s, %s, %s; load generator in its own process\n",
		m.CPUs, m.GOMAXPROCS, model, m.GoVersion, m.OS)
	p := rep.Provisioning
	if p.Rate > 0 {
		fmt.Fprintf(w, "provisioning: %d accounts in %.1fs (%.0f/s) by %s; %d pool secrets hashed (%s) in %.1fs\n",
			p.Accounts, p.Seconds, p.Rate, p.Method, c.SecretPool, c.HashParams, p.HashSeconds)
	} else {
		fmt.Fprintf(w, "provisioning: %s (%d accounts)\n", p.Method, p.Accounts)
	}
	fmt.Fprintf(w, "warm-up: %d authenticated calls in %.1fs\n\n", rep.Warmup.Calls, rep.Warmup.Seconds)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tside\treq/s\tp50\tp99\tp99.9\terrors\tpeak RSS\tserver/baseline (median [min-max])\t")
	for _, sc := range rep.Scenarios {
		for _, side := range []*sideSummary{sc.Baseline, sc.Server} {
			if side == nil {
				continue
			}
			name, ratio := "", ""
			if side == sc.Baseline {
				name = sc.Name
			} else {
				ratio = fmt.Sprintf("%.2fx [%.2f-%.2f] req/s, p99 %.1fx [%.1f-%.1f]",
					sc.Ratio.Median, sc.Ratio.Min, sc.Ratio.Max, sc.P99Ratio.Median, sc.P99Ratio.Min, sc.P99Ratio.Max)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%.0f MB\t%s\t\n",
				name, side.Side, side.RPS, fmtDur(side.P50), fmtDur(side.P99), fmtDur(side.P999),
				errorText(side.Errors, side.Statuses), side.PeakRSSMB, ratio)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, sc := range rep.Scenarios {
		fmt.Fprintf(w, "  %s: %s", sc.Name, sc.Description)
		if sc.Server != nil && sc.Server.Cycles > 0 {
			fmt.Fprintf(w, " (%.1f cycles/s on the server)", float64(sc.Server.Cycles)/sc.Server.Seconds)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "  req/s counts successful requests, latencies are those of successful requests, each side's figures its medians")
	fmt.Fprintln(w, "  over the rounds; errors are other statuses over all rounds (429: shed by the server; the client then waits")
	fmt.Fprintln(w, "  Retry-After) and transport failures. RSS is the process holding both the server and the idle baseline")
	fmt.Fprintln(w, "  (not the load process), the highest peak over the side's legs.")
	for _, prof := range rep.Profiles {
		fmt.Fprintf(w, "  CPU profile: %s (go tool pprof -top %s)\n", prof, prof)
	}
	fmt.Fprintf(w, "total %.0fs\n", rep.Elapsed)
}

func errorText(errors int, statuses map[string]int) string {
	if errors == 0 {
		return "0"
	}
	var parts []string
	for k, v := range statuses {
		parts = append(parts, fmt.Sprintf("%s:%d", k, v))
	}
	slices.Sort(parts)
	return fmt.Sprintf("%d (%s)", errors, strings.Join(parts, " "))
}
