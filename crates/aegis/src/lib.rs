//! The `aegis` application: configuration and the commands that drive the pipeline
//! (sources → store → features → models → engines → payload → dashboard).
