//! Seeded, deterministic simulated market (index, VIX, 5-minute bars, option chains) for offline demo mode.
