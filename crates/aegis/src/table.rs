//! A small plain-text table for terminal summaries.

use std::fmt::Write as _;

/// A table with a header row; columns are padded to their widest cell.
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

impl Table {
    /// A table with these column names. Columns whose name starts with `>` are right-aligned
    /// (the `>` is not shown).
    pub fn new<S: AsRef<str>>(header: &[S]) -> Self {
        let right = header.iter().map(|h| h.as_ref().starts_with('>')).collect();
        let header = header
            .iter()
            .map(|h| h.as_ref().trim_start_matches('>').to_string())
            .collect();
        Table {
            header,
            rows: Vec::new(),
            right,
        }
    }

    /// Appends a row (missing cells are blank).
    pub fn row<S: ToString>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        self.rows
            .push(cells.into_iter().map(|c| c.to_string()).collect());
        self
    }

    /// Whether no rows were added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders the table.
    pub fn render(&self) -> String {
        let n = self.header.len();
        let mut width: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        let line = |cells: &[String], out: &mut String| {
            let mut s = String::new();
            for (i, w) in width.iter().enumerate() {
                let c = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = w - c.chars().count();
                if i > 0 {
                    s.push_str("  ");
                }
                if self.right[i] {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    if i + 1 < n {
                        s.push_str(&" ".repeat(pad));
                    }
                }
            }
            let _ = writeln!(out, "{}", s.trim_end());
        };
        line(&self.header, &mut out);
        let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
        line(&rule, &mut out);
        for r in &self.rows {
            line(r, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_and_aligns() {
        let mut t = Table::new(&["name", ">n"]);
        t.row(["NIFTY50", "1236"]).row(["VIX", "7"]);
        assert_eq!(
            t.render(),
            "name        n\n-------  ----\nNIFTY50  1236\nVIX         7\n"
        );
    }
}
