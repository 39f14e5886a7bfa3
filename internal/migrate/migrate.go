// Package migrate applies a store's schema steps: files named
// NNNN_what.sql, applied in the order of NNNN, each once. A step, once
// released, is never edited: a change is a new step. Each store keeps its
// own steps, its schema_migrations table and its transaction (and locking);
// this package decides which steps to run.
package migrate

import (
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Step is one schema step.
type Step struct {
	Version int
	Name    string // the file's name, as recorded in schema_migrations
	SQL     string
}

// Load returns the steps in fsys (the files matching *.sql at its root),
// in order of version.
func Load(fsys fs.FS) ([]Step, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var steps []Step
	seen := map[int]string{}
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a positive number and '_'", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %q and %q share version %d", other, name, v)
		}
		seen[v] = name
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		steps = append(steps, Step{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].Version < steps[j].Version })
	return steps, nil
}

// Apply runs, in order, the steps of fsys whose versions are not among
// applied (the versions the database has recorded), calling apply for each
// inside the caller's transaction; apply runs the step's SQL and records
// its version. A database with a version fsys does not have was written by
// a newer program, and Apply refuses it before running anything.
func Apply(fsys fs.FS, applied []int, apply func(Step) error) error {
	steps, err := Load(fsys)
	if err != nil {
		return err
	}
	known := map[int]bool{}
	for _, s := range steps {
		known[s.Version] = true
	}
	done := map[int]bool{}
	for _, v := range applied {
		if !known[v] {
			return fmt.Errorf("database has schema version %d, which this program does not know: it was written by a newer version", v)
		}
		done[v] = true
	}
	for _, s := range steps {
		if done[s.Version] {
			continue
		}
		if err := apply(s); err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	return nil
}
