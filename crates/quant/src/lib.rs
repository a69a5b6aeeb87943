//! Option mathematics (Black-76, implied vol, touch probabilities), option-chain analytics, volatility models and statistics.
