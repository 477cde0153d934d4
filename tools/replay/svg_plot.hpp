// SPDX-License-Identifier: MIT OR Apache-2.0
// A line chart written as a standalone SVG file: enough for rtalloc-replay's plots (latency
// distribution per allocator, live bytes against resident memory over time), viewable in any
// browser.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace rtalloc::replay {

// How a series is drawn. Series that lie on top of each other stay apart by their dashes, their
// markers (placed at different points for each series) and the widths of their lines.
struct SeriesStyle {
  std::string colour;
  std::string dashes;  // an SVG stroke-dasharray; empty: a solid line
  double width = 1.5;
  char marker = 0;  // 'o' circle, 's' square, '^' triangle, 'v' triangle down, 'd' diamond; 0 none
};

// The style of the `index`-th of a fixed list of series (rtalloc-replay: the allocators, in the
// order of their table), so that one allocator looks the same in every plot. No two of the first
// ten share a colour, and none is black, which reference_style() keeps for itself.
SeriesStyle series_style(std::size_t index);

// The style of a reference the other series are measured against (the trace's live bytes): a
// thicker black line, no marker.
SeriesStyle reference_style();

struct Series {
  std::string name;
  SeriesStyle style;
  std::vector<std::pair<double, double>> points;  // (x, y), in drawing order
};

struct Axis {
  // nanoseconds: ticks read "10 ns", "1 µs", "100 ms"; count: "500", "250k", "1.5M".
  enum class Unit { plain, nanoseconds, count };
  std::string label;
  bool log = false;  // logarithmic scale (values <= 0 are left out)
  Unit unit = Unit::plain;
};

struct LineChart {
  std::string title;
  std::vector<std::string> notes;  // lines under the plot: which run produced it, and the like
  Axis x;
  Axis y;
  std::vector<Series> series;
};

// Writes `chart` to `path`, overwriting it. Throws std::runtime_error if the file cannot be
// written. Axis ranges come from the data, with some room on every side so that no line runs
// along the frame; each series gets a legend entry.
void write_svg(const LineChart& chart, const std::string& path);

}  // namespace rtalloc::replay
