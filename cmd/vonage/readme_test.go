package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// TestREADMEWalkthrough keeps the README's walkthrough and its transcript
// (testdata/script/walkthrough.txtar, run by TestScript) the same: the
// console blocks of the section must show exactly the transcript's
// commands, in order, and every output line they show must match one of
// the transcript's assertions on that command. A README that drifts from
// what the CLI does fails here.
func TestREADMEWalkthrough(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	ar, err := txtar.ParseFile(filepath.Join("testdata", "script", "walkthrough.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	want := transcriptSteps(t, ar)
	got := readmeSteps(t, string(readme), "## Five minutes with the server and the CLI")
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			t.Fatalf("the README lacks step %d: $ %s", i+1, want[i].command)
		case i >= len(want):
			t.Fatalf("the README has a step the transcript lacks: $ %s", got[i].command)
		case got[i].command != want[i].command:
			t.Fatalf("step %d: the README shows\n\t$ %s\nthe transcript runs\n\t$ %s", i+1, got[i].command, want[i].command)
		}
		for _, line := range got[i].output {
			if !slices.ContainsFunc(want[i].asserts, func(re *regexp.Regexp) bool { return re.MatchString(line) }) {
				t.Errorf("step %d ($ %s): the README shows %q, which no assertion of the transcript matches", i+1, got[i].command, line)
			}
		}
	}
}

// step is one command of the walkthrough and its output (README) or the
// assertions on its output (transcript).
type step struct {
	command string
	output  []string
	asserts []*regexp.Regexp
}

// The transcript's values that the README shows as a reader sees them.
var readmeValues = strings.NewReplacer("$ADDR", "127.0.0.1:8080", "$SECRET", "<the API secret above>")

// transcriptSteps reads the script: env lines are "export" (or "unset"),
// exec lines the commands (a stdin file before one becomes a printf
// piped into it), stdout and stderr assertions belong to the command
// above, or after "wait" to the commands run in the background.
func transcriptSteps(t *testing.T, ar *txtar.Archive) []step {
	files := map[string]string{}
	for _, f := range ar.Files {
		files[f.Name] = string(f.Data)
	}
	var steps []step
	var background []int
	cur, stdin := -1, ""
	for line := range strings.SplitSeq(string(ar.Comment), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") { // a condition: [exec:curl]
			line = strings.TrimSpace(line[strings.IndexByte(line, ']')+1:])
		}
		line, negated := strings.CutPrefix(line, "! ")
		word, rest, _ := strings.Cut(line, " ")
		if negated && word != "exec" { // "! stdout X": nothing the README may show
			continue
		}
		switch word {
		case "env":
			vars := strings.Fields(rest)
			if strings.HasSuffix(vars[0], "=") {
				for i := range vars {
					vars[i] = strings.TrimSuffix(vars[i], "=")
				}
				steps = append(steps, step{command: "unset " + strings.Join(vars, " ")})
			} else {
				steps = append(steps, step{command: readmeValues.Replace("export " + rest)})
			}
			cur = -1
		case "stdin":
			stdin = files[rest]
		case "exec":
			if bg := regexp.MustCompile(` &(\w+&)?$`); bg.MatchString(rest) {
				rest = bg.ReplaceAllString(rest, " &")
				background = append(background, len(steps))
			}
			if stdin != "" {
				rest = "printf '" + strings.ReplaceAll(stdin, "\n", `\n`) + "' | " + rest
				stdin = ""
			}
			steps = append(steps, step{command: readmeValues.Replace(rest)})
			cur = len(steps) - 1
		case "stdout", "stderr":
			re := regexp.MustCompile(strings.ReplaceAll(strings.Trim(rest, "'"), "''", "'"))
			targets := []int{cur}
			if cur == -1 {
				targets = background
			}
			for _, i := range targets {
				steps[i].asserts = append(steps[i].asserts, re)
			}
		case "wait":
			cur = -1
		}
	}
	if len(steps) == 0 {
		t.Fatal("the transcript has no commands")
	}
	return steps
}

// readmeSteps reads the console blocks of a README section: "$ " lines
// are commands (a trailing "  # comment" is not part of them), the lines
// below one its output.
func readmeSteps(t *testing.T, readme, heading string) []step {
	_, section, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("the README has no %q section", heading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var steps []step
	inBlock := false
	for line := range strings.SplitSeq(section, "\n") {
		switch {
		case line == "```console":
			inBlock = true
		case line == "```":
			inBlock = false
		case !inBlock:
		case strings.HasPrefix(line, "$ "):
			command, _, _ := strings.Cut(line[2:], "  # ")
			steps = append(steps, step{command: strings.TrimSpace(command)})
		case len(steps) > 0 && line != "":
			steps[len(steps)-1].output = append(steps[len(steps)-1].output, line)
		}
	}
	return steps
}
