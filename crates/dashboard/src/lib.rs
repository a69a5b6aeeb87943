//! The dashboard: HTTP server, embedded assets and static export.
