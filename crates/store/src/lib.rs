//! Embedded SQLite store: bars, option-chain snapshots, payload history, model metadata.
