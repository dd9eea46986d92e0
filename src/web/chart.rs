//! Charts as inline SVG, drawn on the server: nothing is loaded from elsewhere and no
//! script runs. An unknown value is a gap (never drawn as 0); a provisional day is drawn
//! lighter and says so in its tooltip.

use crate::report::html::esc;

const W: f64 = 640.0;
const H: f64 = 200.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

/// One bar.
pub struct Bar {
    pub label: String,
    pub value: Option<i64>,
    pub provisional: bool,
}

/// A line of a line chart.
pub struct Line {
    pub name: String,
    /// `s1`…`s4`: the stylesheet's series colours.
    pub class: &'static str,
    pub values: Vec<Option<f64>>,
}

fn axis_label(v: f64) -> String {
    let a = v.abs();
    if a >= 1_000_000.0 {
        format!("{:.1}M", v / 1_000_000.0)
    } else if a >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if a >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else {
        format!("{v:.0}")
    }
}

fn frame(title: &str, lo: f64, hi: f64, labels: &[String], inverted: bool) -> String {
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    for i in 0..=2 {
        let f = i as f64 / 2.0;
        let y = TOP + (H - TOP - BOTTOM) * f;
        let v = if inverted {
            lo + (hi - lo) * f
        } else {
            hi - (hi - lo) * f
        };
        s.push_str(&format!(
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{W}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 4.0,
            y + 4.0,
            axis_label(v)
        ));
    }
    let n = labels.len().max(1);
    let step = (n / 6).max(1);
    for (i, l) in labels.iter().enumerate() {
        if i % step == 0 || i + 1 == n {
            let x = LEFT + (W - LEFT) * (i as f64 + 0.5) / n as f64;
            s.push_str(&format!(
                "<text class=\"axis\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                H - 6.0,
                esc(l)
            ));
        }
    }
    s
}

/// A bar chart; `provisional_word` names a provisional bar in its tooltip.
pub fn bars(title: &str, bars: &[Bar], provisional_word: &str, unknown_word: &str) -> String {
    let hi = bars
        .iter()
        .filter_map(|b| b.value)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    let mut s = frame(title, 0.0, hi, &labels, false);
    let n = bars.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let plot = H - TOP - BOTTOM;
    for (i, b) in bars.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.15;
        match b.value {
            Some(v) => {
                let h = plot * (v.max(0) as f64 / hi);
                let class = if b.provisional { "bar provisional" } else { "bar" };
                let note = if b.provisional {
                    format!(" ({provisional_word})")
                } else {
                    String::new()
                };
                s.push_str(&format!(
                    "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{}: {v}{}</title></rect>",
                    TOP + plot - h,
                    slot * 0.7,
                    esc(&b.label),
                    esc(&note)
                ));
            }
            None => s.push_str(&format!(
                "<text class=\"unknown\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">?<title>{}: {}</title></text>",
                x + slot * 0.35,
                TOP + plot - 4.0,
                esc(&b.label),
                esc(unknown_word)
            )),
        }
    }
    s.push_str("</svg>");
    s
}

/// A line chart over `labels`; `inverted` puts the smallest value on top (ranks).
pub fn lines(title: &str, labels: &[String], lines: &[Line], inverted: bool) -> String {
    let known = lines
        .iter()
        .flat_map(|l| l.values.iter().flatten().copied());
    let (mut lo, mut hi) = known.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        (lo, hi) = (0.0, 1.0);
    }
    if (hi - lo).abs() < f64::EPSILON {
        lo -= 1.0;
        hi += 1.0;
    }
    let mut s = frame(title, lo, hi, labels, inverted);
    let n = labels.len().max(1) as f64;
    let plot = H - TOP - BOTTOM;
    let y_of = |v: f64| {
        let f = (v - lo) / (hi - lo);
        TOP + plot * if inverted { f } else { 1.0 - f }
    };
    for l in lines {
        // A gap splits the line: unknown is not drawn through.
        let mut path = String::new();
        let mut pen = false;
        for (i, v) in l.values.iter().enumerate() {
            let x = LEFT + (W - LEFT) * (i as f64 + 0.5) / n;
            match v {
                Some(v) => {
                    path.push_str(&format!(
                        "{}{x:.1},{:.1} ",
                        if pen { "L" } else { "M" },
                        y_of(*v)
                    ));
                    pen = true;
                }
                None => pen = false,
            }
        }
        if !path.is_empty() {
            s.push_str(&format!(
                "<path class=\"line {}\" d=\"{}\"><title>{}</title></path>",
                l.class,
                path.trim_end(),
                esc(&l.name)
            ));
        }
        // A lone point (no neighbour to draw a line to) is a dot.
        for (i, v) in l.values.iter().enumerate() {
            let alone = v.is_some()
                && (i == 0 || l.values[i - 1].is_none())
                && l.values.get(i + 1).is_none_or(|n| n.is_none());
            if let (true, Some(v)) = (alone, v) {
                let x = LEFT + (W - LEFT) * (i as f64 + 0.5) / n;
                s.push_str(&format!(
                    "<circle class=\"dot {}\" cx=\"{x:.1}\" cy=\"{:.1}\" r=\"3\"/>",
                    l.class,
                    y_of(*v)
                ));
            }
        }
    }
    s.push_str("</svg>");
    if lines.len() > 1 {
        s.push_str("<p class=\"legend\">");
        for l in lines {
            s.push_str(&format!(
                "<span class=\"key {}\"></span>{} ",
                l.class,
                esc(&l.name)
            ));
        }
        s.push_str("</p>");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_bars_are_marked_not_drawn_as_zero() {
        let svg = bars(
            "t",
            &[
                Bar {
                    label: "1".into(),
                    value: Some(10),
                    provisional: false,
                },
                Bar {
                    label: "2".into(),
                    value: None,
                    provisional: false,
                },
                Bar {
                    label: "3".into(),
                    value: Some(5),
                    provisional: true,
                },
            ],
            "sementara",
            "tidak diketahui",
        );
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("bar provisional"));
        assert!(svg.contains("2: tidak diketahui"));
    }

    #[test]
    fn a_gap_splits_a_line() {
        let svg = lines(
            "t",
            &["a".into(), "b".into(), "c".into(), "d".into()],
            &[Line {
                name: "x".into(),
                class: "s1",
                values: vec![Some(1.0), Some(2.0), None, Some(3.0)],
            }],
            false,
        );
        assert_eq!(svg.matches('M').count(), 2, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 1);
    }
}
