//! Draws the W2 scaling results of `peers.rs` as an SVG: for each `max_size`,
//! total ops/s against threads, and p99 acquire wait against threads, both on
//! log scales (the rows differ by orders of magnitude).
//!
//! Used by `examples/scaling.rs` and, when asked, by `benches/peers.rs`.

use std::path::Path;

use plotters::prelude::*;

use crate::peers::{Family, Point, PEERS};

/// A row's points: (log2 of threads, ops/s, p99 wait in µs).
type Line = (&'static str, Family, Vec<(f64, f64, f64)>);

/// Colors for the rows, in `PEERS` order: zeropool strong, the other crates
/// distinct, the floors grey.
const COLORS: [RGBColor; 11] = [
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(60, 60, 60),
    RGBColor(120, 120, 120),
    RGBColor(170, 170, 170),
];

/// How a row is drawn.
fn style_of(index: usize, family: Family) -> ShapeStyle {
    ShapeStyle {
        color: COLORS[index % COLORS.len()].to_rgba(),
        filled: true,
        stroke_width: if family == Family::Zeropool { 3 } else { 2 },
    }
}

/// Writes the plot of `points` to `path`; `subtitle` says when and where the
/// run was made.
pub fn write_svg(
    points: &[Point],
    path: &Path,
    subtitle: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut max_sizes: Vec<usize> = points.iter().map(|point| point.max_size).collect();
    max_sizes.sort_unstable();
    max_sizes.dedup();
    // Threads are drawn at log2(threads): 1, 2, 4, 8, 16 evenly spaced.
    let max_threads = points.iter().map(|point| point.threads).max().unwrap_or(1);
    let top_doubling = (max_threads as f64).log2().ceil().max(1.0);

    let height = 60 + 400 * max_sizes.len() as u32;
    let root = SVGBackend::new(path, (1280, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (header, body) = root.split_vertically(60);
    header.draw(&Text::new(
        "zeropool and its peers: T threads share a pool of max_size resources, ≈100 ns of work per get".to_string(),
        (12, 10),
        ("sans-serif", 20).into_font(),
    ))?;
    header.draw(&Text::new(
        format!("{subtitle}; cargo bench --bench peers (W2)"),
        (12, 36),
        ("sans-serif", 15).into_font().color(&RGBColor(90, 90, 90)),
    ))?;
    let (plots, legend) = body.split_horizontally(1060);
    let panels_area = plots.split_evenly((max_sizes.len(), 2));

    let rows: Vec<(usize, &'static str, Family)> = PEERS
        .iter()
        .enumerate()
        .filter(|(_, peer)| points.iter().any(|point| point.peer.name == peer.name))
        .map(|(index, peer)| (index, peer.name, peer.family))
        .collect();

    for (row, &max_size) in max_sizes.iter().enumerate() {
        let series: Vec<(usize, Line)> = rows
            .iter()
            .map(|&(index, name, family)| {
                let mut line: Vec<(f64, f64, f64)> = points
                    .iter()
                    .filter(|point| point.peer.name == name && point.max_size == max_size)
                    .map(|point| {
                        (
                            (point.threads as f64).log2(),
                            point.ops_per_sec(),
                            point.waits.quantile(0.99).as_nanos() as f64 / 1e3,
                        )
                    })
                    .collect();
                line.sort_by(|a, b| a.0.total_cmp(&b.0));
                (index, (name, family, line))
            })
            .collect();

        let rate_range = range(
            series
                .iter()
                .flat_map(|(_, (_, _, line))| line.iter().map(|p| p.1)),
        );
        let wait_range = range(
            series
                .iter()
                .flat_map(|(_, (_, _, line))| line.iter().map(|p| p.2)),
        );
        let panels = [
            (
                format!("max_size {max_size}: total ops/s (higher is better)"),
                "ops/s",
                rate_range,
            ),
            (
                format!("max_size {max_size}: p99 acquire wait (lower is better)"),
                "p99 wait (µs)",
                wait_range,
            ),
        ];
        for (column, (title, y_label, (low, high))) in panels.into_iter().enumerate() {
            let area = &panels_area[row * 2 + column];
            let mut chart = ChartBuilder::on(area)
                .caption(title, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(36)
                .y_label_area_size(64)
                .build_cartesian_2d(-0.2f64..top_doubling + 0.2, (low..high).log_scale())?;
            chart
                .configure_mesh()
                .x_desc("threads")
                .y_desc(y_label)
                .x_labels(top_doubling as usize + 1)
                .x_label_formatter(&|doublings| format!("{:.0}", doublings.exp2()))
                .y_label_formatter(&|value| engineering(*value))
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            for (index, (_, family, line)) in &series {
                let style = style_of(*index, *family);
                let values: Vec<(f64, f64)> = line
                    .iter()
                    .map(|p| (p.0, if column == 0 { p.1 } else { p.2 }))
                    .collect();
                if *family == Family::Floor {
                    chart.draw_series(DashedLineSeries::new(values.clone(), 6, 4, style))?;
                } else {
                    chart.draw_series(LineSeries::new(values.clone(), style))?;
                }
                chart.draw_series(
                    values
                        .into_iter()
                        .map(|value| Circle::new(value, 3, style.filled())),
                )?;
            }
        }
    }

    // The legend, once, beside the panels.
    for (slot, &(index, name, family)) in rows.iter().enumerate() {
        let y = 40 + slot as i32 * 26;
        let style = style_of(index, family);
        legend.draw(&PathElement::new(vec![(10, y), (40, y)], style))?;
        legend.draw(&Circle::new((25, y), 3, style.filled()))?;
        legend.draw(&Text::new(
            name.to_string(),
            (48, y - 7),
            ("sans-serif", 13).into_font(),
        ))?;
    }
    root.present()?;
    Ok(())
}

/// A log axis range that holds every value, with some room around it.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values
        .filter(|value| *value > 0.0)
        .fold((f64::MAX, f64::MIN), |(low, high), value| {
            (low.min(value), high.max(value))
        });
    if low > high {
        return (0.1, 10.0);
    }
    (low / 1.3, high * 1.3)
}

/// 1.5k, 2M, 0.3: short axis labels.
fn engineering(value: f64) -> String {
    let (scaled, suffix) = if value >= 1e6 {
        (value / 1e6, "M")
    } else if value >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let digits = format!("{scaled:.2}");
    let digits = digits.trim_end_matches('0').trim_end_matches('.');
    format!("{digits}{suffix}")
}

/// When and where this run is made: the UTC date, the CPU and core count.
pub fn run_label() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() / 86_400) as i64;
    let (year, month, day) = civil_date(days);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|model| model.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!(
        "{year:04}-{month:02}-{day:02}, {cores} cores, {cpu}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
