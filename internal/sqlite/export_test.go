package sqlite

// Batches returns how many ledger batches the store has run.
func (s *Store) Batches() int64 { return s.batches.Load() }
