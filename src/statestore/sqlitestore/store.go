// Package sqlitestore is the CLI's embedded state store: one SQLite file
// (pure Go driver, no cgo) with one row per destination object.
package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/s3migrate/s3migrate/src/transfer"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// DefaultPath is where the CLI keeps its state unless told otherwise.
const DefaultPath = ".s3migrate/state.db"

// Store keeps transfer.ObjectState records in SQLite.
type Store struct {
	db *sql.DB
}

var _ transfer.StateStore = (*Store)(nil)

// Open opens (creating if needed) the state file at path.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("state store: create directory for %s: %w", path, err)
		}
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("state store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises anyway
	const schema = `CREATE TABLE IF NOT EXISTS objects (
		id      TEXT PRIMARY KEY,
		status  TEXT NOT NULL,
		updated INTEGER NOT NULL,
		record  TEXT NOT NULL
	);
	CREATE INDEX IF NOT EXISTS objects_status ON objects(status);`
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("state store: %s is not a usable state file (delete it to start over): %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Load returns the record for id.
func (s *Store) Load(ctx context.Context, id string) (transfer.ObjectState, bool, error) {
	var rec string
	err := s.db.QueryRowContext(ctx, `SELECT record FROM objects WHERE id = ?`, id).Scan(&rec)
	if errors.Is(err, sql.ErrNoRows) {
		return transfer.ObjectState{}, false, nil
	}
	if err != nil {
		return transfer.ObjectState{}, false, fmt.Errorf("state store: load %q: %w", id, err)
	}
	var st transfer.ObjectState
	if err := json.Unmarshal([]byte(rec), &st); err != nil {
		return transfer.ObjectState{}, false, fmt.Errorf("state store: record %q is corrupt: %w", id, err)
	}
	return st, true, nil
}

// Save inserts or replaces the record.
func (s *Store) Save(ctx context.Context, st transfer.ObjectState) error {
	rec, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("state store: encode %q: %w", st.ID, err)
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO objects(id, status, updated, record) VALUES(?, ?, ?, ?)
		 ON CONFLICT(id) DO UPDATE SET status = excluded.status, updated = excluded.updated, record = excluded.record`,
		st.ID, string(st.Status), time.Now().UnixMilli(), string(rec))
	if err != nil {
		return fmt.Errorf("state store: save %q: %w", st.ID, err)
	}
	return nil
}

// List calls fn for every record, ordered by id.
func (s *Store) List(ctx context.Context, fn func(transfer.ObjectState) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT record FROM objects ORDER BY id`)
	if err != nil {
		return fmt.Errorf("state store: list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rec string
		if err := rows.Scan(&rec); err != nil {
			return fmt.Errorf("state store: list: %w", err)
		}
		var st transfer.ObjectState
		if err := json.Unmarshal([]byte(rec), &st); err != nil {
			return fmt.Errorf("state store: corrupt record: %w", err)
		}
		if err := fn(st); err != nil {
			return err
		}
	}
	return rows.Err()
}
