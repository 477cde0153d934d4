// SPDX-License-Identifier: MIT OR Apache-2.0
// A line chart written as a standalone SVG file: enough for rtalloc-replay's two plots (latency
// distribution per allocator, live bytes against resident memory over time), viewable in any
// browser.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace rtalloc::replay {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), in drawing order
};

struct Axis {
  std::string label;
  bool log = false;  // logarithmic scale (values <= 0 are left out)
};

struct LineChart {
  std::string title;
  Axis x;
  Axis y;
  std::vector<Series> series;
};

// Writes `chart` to `path`, overwriting it. Throws std::runtime_error if the file cannot be
// written. Axis ranges come from the data; each series gets its own colour and a legend entry.
void write_svg(const LineChart& chart, const std::string& path);

}  // namespace rtalloc::replay
