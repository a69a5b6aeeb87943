//! Engines: Direction, Option Sellers and Option Buyers, each metric with its provenance.
