//! The emission schedule as a self-contained SVG: yearly emission bars, the cumulative
//! supply line and the supply cap, on one axis in IO. Written by hand so the CLI needs no
//! plotting dependency; every element carries a class so tests (and stylesheets) find it.

use crate::emissions_cmd::group_io;
use io_sdk::emissions::YearProjection;
use std::fmt::Write as _;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 520.0;
const LEFT: f64 = 100.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 60.0;
const BOTTOM: f64 = 70.0;

/// Whole IO per base unit.
const UNIT: f64 = 1_000_000.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A round step for about `target` ticks up to `max` (1, 2 or 5 times a power of ten).
fn tick_step(max: f64, target: f64) -> f64 {
    let raw = (max / target).max(1.0);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|step| *step >= raw).unwrap_or(10.0 * power)
}

/// "800M", "1.5M", "250k": short labels for the value axis.
fn short_io(io: f64) -> String {
    if io >= 1e6 {
        format!("{}M", trim(io / 1e6))
    } else if io >= 1e3 {
        format!("{}k", trim(io / 1e3))
    } else {
        trim(io)
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// The chart of `years` (from `io_sdk::emissions::project`), starting from the genesis
/// supply, with the cap as a dashed line. Amounts are base units.
pub fn schedule_svg(years: &[YearProjection], genesis_supply: u64, cap: u64) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let top_value = years.iter().map(|y| y.cumulative_supply).chain([cap, genesis_supply]).max().unwrap_or(1).max(1) as f64 / UNIT;
    let step = tick_step(top_value, 8.0);
    // One step of headroom above the highest value, so the cap's label clears the frame.
    let axis_max = (top_value / step).floor() * step + step;
    let y_of = |io: f64| TOP + plot_h * (1.0 - io / axis_max);
    let n = years.len().max(1) as f64;
    let slot = plot_w / n;
    let x_mid = |i: usize| LEFT + slot * (i as f64 + 0.5);

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect class="background" x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text class="title" x="{}" y="28" text-anchor="middle" font-size="16">{}</text>"#,
        WIDTH / 2.0,
        escape(&format!("$IO emission schedule: {} years from a genesis supply of {} IO", years.len(), group_io(genesis_supply)))
    );

    // Value axis: gridlines and labels.
    let mut tick = 0.0;
    while tick <= axis_max + step / 2.0 {
        let y = y_of(tick);
        let _ = writeln!(svg, r##"<line class="grid" x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e0e0e0"/>"##, LEFT + plot_w);
        let _ = writeln!(svg, r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#, LEFT - 8.0, y + 4.0, short_io(tick));
        tick += step;
    }

    // Yearly emission bars, labelled by year (every k-th label when there are many).
    let label_every = years.len().div_ceil(20).max(1);
    for (i, y) in years.iter().enumerate() {
        let io = y.emission as f64 / UNIT;
        let top = y_of(io);
        let _ = writeln!(
            svg,
            r##"<rect class="bar" x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="#4f81bd"><title>year {}: {} IO</title></rect>"##,
            x_mid(i) - slot * 0.35,
            slot * 0.7,
            (TOP + plot_h - top).max(0.0),
            y.year,
            group_io(y.emission)
        );
        if i % label_every == 0 || i + 1 == years.len() {
            let _ = writeln!(
                svg,
                r#"<text class="year" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x_mid(i),
                TOP + plot_h + 18.0,
                y.year
            );
        }
    }

    // Cumulative supply: from genesis (left edge) through the end of each year.
    let mut points = format!("{LEFT:.1},{:.1}", y_of(genesis_supply as f64 / UNIT));
    for (i, y) in years.iter().enumerate() {
        let _ = write!(points, " {:.1},{:.1}", LEFT + slot * (i as f64 + 1.0), y_of(y.cumulative_supply as f64 / UNIT));
    }
    let _ = writeln!(svg, r##"<polyline class="supply" points="{points}" fill="none" stroke="#c0504d" stroke-width="2.5"/>"##);

    // The cap.
    let cap_y = y_of(cap as f64 / UNIT);
    let _ = writeln!(
        svg,
        r##"<line class="cap" x1="{LEFT}" y1="{cap_y:.1}" x2="{:.1}" y2="{cap_y:.1}" stroke="#333333" stroke-width="1.5" stroke-dasharray="6 4"/>"##,
        LEFT + plot_w
    );
    let _ = writeln!(
        svg,
        r#"<text class="cap-label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
        LEFT + plot_w - 4.0,
        cap_y - 6.0,
        escape(&format!("cap {} IO", group_io(cap)))
    );

    // Axes, axis titles and the legend.
    let _ =
        writeln!(svg, r#"<path class="axes" d="M{LEFT},{TOP} V{:.1} H{:.1}" fill="none" stroke="black"/>"#, TOP + plot_h, LEFT + plot_w);
    let _ = writeln!(
        svg,
        r#"<text class="axis-title" x="{:.1}" y="{:.1}" text-anchor="middle">year</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 20.0
    );
    let _ = writeln!(
        svg,
        r#"<text class="axis-title" x="24" y="{:.1}" text-anchor="middle" transform="rotate(-90 24 {:.1})">IO</text>"#,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0
    );
    let legend_y = TOP - 18.0;
    let _ = writeln!(svg, r##"<rect class="legend" x="{LEFT}" y="{:.1}" width="12" height="12" fill="#4f81bd"/>"##, legend_y - 10.0);
    let _ = writeln!(svg, r#"<text class="legend" x="{:.1}" y="{legend_y:.1}">yearly emission</text>"#, LEFT + 18.0);
    let _ = writeln!(
        svg,
        r##"<line class="legend" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#c0504d" stroke-width="2.5"/>"##,
        LEFT + 140.0,
        legend_y - 4.0,
        LEFT + 164.0,
        legend_y - 4.0
    );
    let _ = writeln!(svg, r#"<text class="legend" x="{:.1}" y="{legend_y:.1}">cumulative supply</text>"#, LEFT + 170.0);
    let _ = writeln!(
        svg,
        r##"<line class="legend" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333333" stroke-dasharray="6 4"/>"##,
        LEFT + 300.0,
        legend_y - 4.0,
        LEFT + 324.0,
        legend_y - 4.0
    );
    let _ = writeln!(svg, r#"<text class="legend" x="{:.1}" y="{legend_y:.1}">supply cap</text>"#, LEFT + 330.0);
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use io_math::EmissionSchedule;
    use io_sdk::emissions::project;

    const CAP: u64 = 800_000_000 * 1_000_000;
    const GENESIS: u64 = 100_000_000 * 1_000_000;

    fn years(n: u32) -> Vec<YearProjection> {
        project(GENESIS, CAP - GENESIS, &EmissionSchedule::HALVING_HOURLY, n)
    }

    /// Numbers of an attribute across the elements of one class.
    fn attr(svg: &str, class: &str, name: &str) -> Vec<f64> {
        svg.lines()
            .filter(|l| l.contains(&format!("class=\"{class}\"")))
            .filter_map(|l| l.split(&format!(" {name}=\"")).nth(1)?.split('"').next()?.parse().ok())
            .collect()
    }

    #[test]
    fn the_chart_has_a_bar_per_year_the_supply_line_and_the_cap() {
        let svg = schedule_svg(&years(10), GENESIS, CAP);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("class=\"bar\"").count(), 10);
        assert_eq!(svg.matches("class=\"cap\"").count(), 1);
        assert_eq!(svg.matches("class=\"supply\"").count(), 1);
        assert!(svg.contains("cap 800,000,000 IO") && svg.contains("yearly emission") && svg.contains(">year<"));
        // Every opened text element is closed.
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());

        // The bars halve (taller bar = smaller y), and the supply line climbs towards the cap.
        let heights = attr(&svg, "bar", "height");
        assert_eq!(heights.len(), 10);
        assert!((heights[0] / heights[1] - 2.0).abs() < 0.01, "{heights:?}");
        assert!(heights.windows(2).all(|w| w[0] > w[1]));
        let cap_y = attr(&svg, "cap", "y1")[0];
        let points = svg.lines().find(|l| l.contains("class=\"supply\"")).unwrap();
        let ys: Vec<f64> = points
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .split(' ')
            .map(|p| p.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(ys.len(), 11, "genesis plus one point per year");
        assert!(ys.windows(2).all(|w| w[1] < w[0]), "the supply only grows: {ys:?}");
        assert!(ys.iter().all(|y| *y >= cap_y), "the supply never crosses the cap");
    }

    #[test]
    fn long_schedules_keep_the_labels_readable() {
        let all = years(1_000);
        let svg = schedule_svg(&all, GENESIS, CAP);
        assert_eq!(svg.matches("class=\"bar\"").count(), all.len());
        assert!(svg.matches("class=\"year\"").count() <= 22);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(800_000_000.0, 8.0), 100_000_000.0);
        assert_eq!(tick_step(1_500.0, 8.0), 200.0);
        assert_eq!(short_io(800_000_000.0), "800M");
        assert_eq!(short_io(2_500.0), "2.5k");
    }
}
