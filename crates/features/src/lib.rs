//! Features without look-ahead: streaming indicators and the feature builder.
