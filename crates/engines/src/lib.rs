//! Engines: Direction, Option Sellers and Option Buyers, each metric with its provenance.
//!
//! [`blocks`] holds the types of the payload blocks the engines fill in; the dashboard reads
//! them as JSON.

pub mod blocks;
