//! Reliability diagrams as small, dependency-free SVG documents.
//!
//! One panel: predicted probability (x) against observed frequency (y) on `[0, 1]²`, the
//! diagonal of perfect calibration (dashed), one dot per non-empty bin at
//! (mean predicted, observed frequency), and below the panel a bar per bin whose height is
//! proportional to its count, labelled with the count.

use std::fmt::Write as _;

use crate::metrics::ReliabilityBin;

const WIDTH: f64 = 420.0;
const HEIGHT: f64 = 490.0;
const LEFT: f64 = 50.0;
const TOP: f64 = 40.0;
const SIDE: f64 = 340.0;
const COUNTS_TOP: f64 = TOP + SIDE + 25.0;
const COUNTS_HEIGHT: f64 = 40.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn x(p: f64) -> f64 {
    LEFT + p * SIDE
}

fn y(p: f64) -> f64 {
    TOP + (1.0 - p) * SIDE
}

/// The reliability diagram of `bins` (e.g. [`crate::Metrics::reliability`]) titled `title`.
pub fn reliability_svg(title: &str, bins: &[ReliabilityBin]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        s,
        r##"<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="22" font-size="13" text-anchor="middle">{}</text>"#,
        WIDTH / 2.0,
        escape(title)
    );
    let _ = writeln!(
        s,
        r##"<rect class="panel" x="{LEFT}" y="{TOP}" width="{SIDE}" height="{SIDE}" fill="none" stroke="#6b7280"/>"##
    );
    for i in 0..=10 {
        let p = f64::from(i) / 10.0;
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#6b7280">{p:.1}</text>"##,
            x(p),
            TOP + SIDE + 12.0
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#6b7280">{p:.1}</text>"##,
            LEFT - 4.0,
            y(p) + 4.0
        );
    }
    let _ = writeln!(
        s,
        r##"<line class="diagonal" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#9ba3b5" stroke-dasharray="4 3"/>"##,
        x(0.0),
        y(0.0),
        x(1.0),
        y(1.0)
    );
    let points: Vec<(f64, f64)> = bins
        .iter()
        .filter_map(|b| Some((b.mean_predicted?, b.observed_frequency?)))
        .collect();
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .map(|(p, o)| format!("{:.1},{:.1}", x(*p), y(*o)))
            .collect();
        let _ = writeln!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#0894c9" stroke-width="1.5"/>"##,
            path.join(" ")
        );
    }
    for (p, o) in &points {
        let _ = writeln!(
            s,
            r##"<circle class="bin" cx="{:.1}" cy="{:.1}" r="4" fill="#0894c9"/>"##,
            x(*p),
            y(*o)
        );
    }
    let max = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    for b in bins {
        let h = COUNTS_HEIGHT * b.count as f64 / max;
        let (x0, w) = (x(b.lower), (b.upper - b.lower) * SIDE);
        let _ = writeln!(
            s,
            r##"<rect class="count" x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="#c7d2e0" stroke="#6b7280"/>"##,
            x0 + 1.0,
            COUNTS_TOP + COUNTS_HEIGHT - h,
            (w - 2.0).max(0.0)
        );
        let _ = writeln!(
            s,
            r#"<text class="n" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x0 + w / 2.0,
            COUNTS_TOP + COUNTS_HEIGHT + 12.0,
            b.count
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">predicted probability (bars: rows per bin)</text>"#,
        WIDTH / 2.0,
        HEIGHT - 4.0
    );
    let _ = writeln!(
        s,
        r#"<text x="14" y="{}" text-anchor="middle" transform="rotate(-90 14 {})">observed frequency</text>"#,
        TOP + SIDE / 2.0,
        TOP + SIDE / 2.0
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bins() -> Vec<ReliabilityBin> {
        (0..10)
            .map(|i| {
                let lower = f64::from(i) / 10.0;
                let count = if i == 3 { 0 } else { (i + 1) as usize * 7 };
                ReliabilityBin {
                    lower,
                    upper: lower + 0.1,
                    count,
                    mean_predicted: (count > 0).then_some(lower + 0.05),
                    observed_frequency: (count > 0).then_some(lower + 0.02),
                }
            })
            .collect()
    }

    #[test]
    fn has_the_diagonal_dots_for_non_empty_bins_and_every_count() {
        let svg = reliability_svg("direction_h1 <served>", &bins());
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("class=\"diagonal\"").count(), 1);
        assert_eq!(svg.matches("class=\"bin\"").count(), 9);
        assert_eq!(svg.matches("class=\"count\"").count(), 10);
        assert_eq!(svg.matches("class=\"n\"").count(), 10);
        assert!(svg.contains(">70</text>"));
        assert!(svg.contains("direction_h1 &lt;served&gt;"));
        // The dot of bin 9 (mean 0.95, observed 0.92) sits where the axes put it.
        assert!(svg.contains(&format!("cx=\"{:.1}\" cy=\"{:.1}\"", x(0.95), y(0.92))));
        // Balanced: every opened element is closed.
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }
}
