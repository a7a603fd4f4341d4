//! The network report drawn (plotters, SVG): emission against burn per period, the D/E
//! ratio against the 0.60 line, the tier mix, and how many nodes share an H3 cell. SVG
//! needs no font library: text stays text, and the browser or viewer renders it.

use anyhow::Context;
use io_metrics::{NetworkReport, Tier, SELF_SUSTAINING_DE};
use plotters::prelude::*;
use std::path::{Path, PathBuf};

const SIZE: (u32, u32) = (900, 480);
const MINTED: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
const BURNED: RGBColor = RGBColor(0xd6, 0x27, 0x28);
const DE: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
const BARS: RGBColor = RGBColor(0x94, 0x67, 0xbd);

type Fallible = Result<(), Box<dyn std::error::Error>>;
/// One plot: draws the report into the file at the path.
type Draw = fn(&NetworkReport, &Path) -> Fallible;

/// Writes the four plots into `dir` (created if missing); returns their paths.
pub fn write_all(report: &NetworkReport, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let plots: [(&str, Draw); 4] = [
        ("emission-vs-burn.svg", emission_vs_burn),
        ("de-ratio.svg", de_ratio),
        ("tier-mix.svg", tier_mix),
        ("nodes-per-cell.svg", nodes_per_cell),
    ];
    let mut written = vec![];
    for (name, draw) in plots {
        let path = dir.join(name);
        draw(report, &path).map_err(|e| anyhow::anyhow!("drawing {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// A value-axis label: "2.1M", "950k", "0.6".
fn short(value: &f64) -> String {
    let v = value.abs();
    let text = if v >= 1e6 {
        format!("{:.1}M", value / 1e6)
    } else if v >= 1e3 {
        format!("{:.0}k", value / 1e3)
    } else {
        format!("{value:.2}")
    };
    text.replace(".0M", "M")
}

/// A period-axis label: whole periods only.
fn whole(value: &f64) -> String {
    format!("{value:.0}")
}

/// The top of a value axis: the largest value plus a tenth, never zero.
fn top(values: impl Iterator<Item = f64>) -> f64 {
    let max = values.filter(|v| v.is_finite()).fold(0.0f64, f64::max);
    if max > 0.0 {
        max * 1.1
    } else {
        1.0
    }
}

fn emission_vs_burn(report: &NetworkReport, path: &Path) -> Fallible {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let periods = &report.periods;
    let y_max = top(periods.iter().flat_map(|p| [p.minted_io, p.burned_io]));
    let x_max = periods.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption("IO minted and burned per period", ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..x_max, 0f64..y_max)?;
    chart.configure_mesh().x_desc("period (30 days)").y_desc("IO").x_label_formatter(&whole).y_label_formatter(&short).draw()?;
    let series = |value: fn(&io_metrics::PeriodEconomics) -> f64| {
        periods.iter().enumerate().map(move |(i, p)| (i as f64 + 0.5, value(p))).collect::<Vec<_>>()
    };
    chart
        .draw_series(LineSeries::new(series(|p| p.minted_io), MINTED.stroke_width(2)))?
        .label("minted")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], MINTED.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(series(|p| p.burned_io), BURNED.stroke_width(2)))?
        .label("burned")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BURNED.stroke_width(2)));
    chart.configure_series_labels().position(SeriesLabelPosition::UpperLeft).background_style(WHITE).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

fn de_ratio(report: &NetworkReport, path: &Path) -> Fallible {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let points: Vec<(f64, f64)> = report.periods.iter().enumerate().filter_map(|(i, p)| p.de_ratio.map(|d| (i as f64 + 0.5, d))).collect();
    let y_max = top(points.iter().map(|(_, d)| *d).chain([SELF_SUSTAINING_DE]));
    let x_max = report.periods.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption("Demand-to-emission ratio per period", ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..x_max, 0f64..y_max)?;
    chart.configure_mesh().x_desc("period (30 days)").y_desc("D/E").x_label_formatter(&whole).y_label_formatter(&short).draw()?;
    chart
        .draw_series(LineSeries::new(points.clone(), DE.stroke_width(2)))?
        .label("D/E")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], DE.stroke_width(2)));
    chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, DE.filled())))?;
    chart
        .draw_series(LineSeries::new([(0.0, SELF_SUSTAINING_DE), (x_max, SELF_SUSTAINING_DE)], BLACK.stroke_width(1)))?
        .label("0.60: self-sustaining")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
    chart.configure_series_labels().position(SeriesLabelPosition::UpperLeft).background_style(WHITE).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

/// Bars with a text label each.
fn labelled_bars(path: &Path, caption: &str, y_desc: &str, bars: &[(String, f64)]) -> Fallible {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let y_max = top(bars.iter().map(|(_, v)| *v));
    // A segmented range covers both ends: 0..n-1 is n bars.
    let last = bars.len().saturating_sub(1) as u32;
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((0u32..last).into_segmented(), 0f64..y_max)?;
    let labels: Vec<String> = bars.iter().map(|(l, _)| l.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc(y_desc)
        .y_label_formatter(&short)
        .x_labels(labels.len())
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .draw()?;
    chart.draw_series(
        Histogram::vertical(&chart).style(BARS.filled()).margin(24).data(bars.iter().enumerate().map(|(i, (_, v))| (i as u32, *v))),
    )?;
    root.present()?;
    Ok(())
}

fn tier_mix(report: &NetworkReport, path: &Path) -> Fallible {
    let bars: Vec<(String, f64)> = Tier::ALL.iter().map(|t| (t.to_string(), report.tier_mix[t.index()].active_gpus as f64)).collect();
    labelled_bars(path, "Verified GPUs by tier", "GPUs", &bars)
}

fn nodes_per_cell(report: &NetworkReport, path: &Path) -> Fallible {
    let bars: Vec<(String, f64)> = report
        .decentralization
        .occupancy
        .iter()
        .map(|o| (format!("{} node{}", o.nodes, if o.nodes == 1 { "" } else { "s" }), o.cells as f64))
        .collect();
    let caption = format!("H3 cells (resolution {}) by verified nodes in them", report.decentralization.resolution);
    labelled_bars(path, &caption, "cells", &bars)
}
