package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// printTable writes the report for people: the set-up, then one block per
// scenario with the best leg of each side and the server/baseline ratios.
func printTable(w io.Writer, rep *report) {
	c, m := rep.Config, rep.Machine
	fmt.Fprintf(w, "vonage-bench: %s, %d accounts (load spread over %d), %d connections, %gs legs, best of %d rounds per side\n",
		c.Store, c.Accounts, c.Hot, c.Connections, c.Duration, c.Rounds)
	model := ""
	if m.CPUModel != "" {
		model = ", " + m.CPUModel
	}
	fmt.Fprintf(w, "machine: %d CPUs (GOMAXPROCS %d)%s, %s, %s; load generator in the same process\n",
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
	fmt.Fprintln(tw, "scenario\tside\treq/s\tp50\tp99\tp99.9\terrors\tpeak RSS\tserver/baseline\t")
	for _, sc := range rep.Scenarios {
		for _, leg := range []*legResult{sc.Baseline, sc.Server} {
			if leg == nil {
				continue
			}
			name, ratio := "", ""
			if leg == sc.Baseline {
				name = sc.Name
			} else {
				ratio = fmt.Sprintf("%.2fx req/s, p99 %.1fx", sc.Ratio, sc.P99Ratio)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%.0f MB\t%s\t\n",
				name, leg.Side, leg.RPS, fmtDur(leg.P50), fmtDur(leg.P99), fmtDur(leg.P999), errorText(leg), leg.PeakRSSMB, ratio)
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
	fmt.Fprintln(w, "  req/s counts successful requests; latencies are those of successful requests; errors are other")
	fmt.Fprintln(w, "  statuses (429: shed by the server; the client then waits Retry-After) and transport failures. RSS is the whole process's")
	fmt.Fprintln(w, "  (server, load generator and the idle other side), peak over the leg.")
	for _, prof := range rep.Profiles {
		fmt.Fprintf(w, "  CPU profile: %s (go tool pprof -top %s)\n", prof, prof)
	}
	fmt.Fprintf(w, "total %.0fs\n", rep.Elapsed)
}

func errorText(leg *legResult) string {
	if leg.Errors == 0 {
		return "0"
	}
	var parts []string
	for k, v := range leg.Statuses {
		parts = append(parts, fmt.Sprintf("%s:%d", k, v))
	}
	return fmt.Sprintf("%d (%s)", leg.Errors, strings.Join(parts, " "))
}
