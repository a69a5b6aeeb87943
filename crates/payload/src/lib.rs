//! The versioned payload document: assembly, JSON Schema and atomic writing.
