//! Market-data sources: CSV import, Yahoo Finance chart API, NSE option chains.
