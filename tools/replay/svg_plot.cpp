// SPDX-License-Identifier: MIT OR Apache-2.0
#include "svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>

namespace rtalloc::replay {
namespace {

constexpr double width = 800, plot_height = 480;
constexpr double left = 80, right = 200, top = 40, bottom = 60;  // margins around the plot area
constexpr double note_height = 15;                               // one line of notes
constexpr double room = 0.04;  // space left on each side of the data, as a share of its span

// Ten colours told apart on screen and in print; black and grey are left for references and grids.
constexpr const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79"};
constexpr const char* dash_patterns[] = {"", "7 3", "3 2", "9 3 2 3", "1.5 2.5"};
constexpr char markers[] = {'o', 's', '^', 'd', 'v'};

// Maps data values on one axis to pixels, linear or logarithmic, with `room` on each side.
class Scale {
 public:
  Scale(const Axis& axis, double low, double high, double pixel_low, double pixel_high)
      : log_(axis.log), pixel_low_(pixel_low), pixel_high_(pixel_high) {
    if (log_) {
      low = std::log10(low);
      high = std::log10(high);
    }
    if (!(high > low)) high = low + 1;
    const double pad = room * (high - low);
    low_ = low - pad;
    high_ = high + pad;
  }
  double operator()(double v) const {
    const double t = ((log_ ? std::log10(v) : v) - low_) / (high_ - low_);
    return pixel_low_ + t * (pixel_high_ - pixel_low_);
  }
  // Tick values inside the range: powers of ten on a log axis (with 2 and 5 times them when the
  // range spans fewer than three), about six round steps on a linear one.
  std::vector<double> ticks() const {
    std::vector<double> result;
    if (log_) {
      const bool fine = high_ - low_ < 3;
      for (double decade = std::floor(low_); decade <= high_; ++decade) {
        for (const double m : {1.0, 2.0, 5.0}) {
          const double v = m * std::pow(10.0, decade);
          if ((m == 1.0 || fine) && std::log10(v) >= low_ && std::log10(v) <= high_) {
            result.push_back(v);
          }
        }
      }
      return result;
    }
    const double raw = (high_ - low_) / 6;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = magnitude;
    for (const double m : {2.0, 5.0, 10.0}) {
      if (step < raw) step = m * magnitude;
    }
    for (double v = std::ceil(low_ / step) * step; v <= high_; v += step) {
      result.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
    }
    return result;
  }

 private:
  bool log_;
  double low_ = 0, high_ = 1;  // in log10 units on a log axis
  double pixel_low_, pixel_high_;
};

std::string tick_label(const Axis& axis, double v) {
  if (axis.unit == Axis::Unit::nanoseconds) {
    constexpr std::pair<double, const char*> units[] = {
        {1e9, "s"}, {1e6, "ms"}, {1e3, "\u00b5s"}, {1, "ns"}};
    for (const auto& [scale, name] : units) {
      if (v >= scale || scale == 1) return fmt::format("{:g} {}", v / scale, name);
    }
  }
  if (axis.unit == Axis::Unit::count && std::fabs(v) >= 1e3) {
    constexpr std::pair<double, const char*> units[] = {{1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
    for (const auto& [scale, name] : units) {
      if (std::fabs(v) >= scale) return fmt::format("{:g}{}", v / scale, name);
    }
  }
  if (v != 0 && (std::fabs(v) >= 1e6 || std::fabs(v) < 1e-2)) return fmt::format("{:.0e}", v);
  return fmt::format("{:g}", v);
}

std::string escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      out += "&amp;";
    } else {
      out += c;
    }
  }
  return out;
}

bool usable(const Axis& axis, double v) { return std::isfinite(v) && (!axis.log || v > 0); }

// One marker centred on (x, y), outlined in the series' colour and filled white.
std::string marker_at(const SeriesStyle& style, double x, double y) {
  constexpr double r = 3.5;
  const std::string paint =
      fmt::format("fill=\"white\" stroke=\"{}\" stroke-width=\"1.2\"", style.colour);
  switch (style.marker) {
    case 'o':
      return fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" {}/>", x, y, r, paint);
    case 's':
      return fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{}\" height=\"{}\" {}/>", x - r,
                         y - r, 2 * r, 2 * r, paint);
    case '^':
      return fmt::format("<polygon points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" {}/>", x,
                         y - r, x + r, y + r, x - r, y + r, paint);
    case 'v':
      return fmt::format("<polygon points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" {}/>", x,
                         y + r, x + r, y - r, x - r, y - r, paint);
    case 'd':
      return fmt::format(
          "<polygon points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" {}/>", x,
          y - r, x + r, y, x, y + r, x - r, y, paint);
    default:
      return {};
  }
}

std::string line_attributes(const SeriesStyle& style) {
  std::string out =
      fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"{:g}\"", style.colour, style.width);
  if (!style.dashes.empty()) out += fmt::format(" stroke-dasharray=\"{}\"", style.dashes);
  return out;
}

}  // namespace

SeriesStyle series_style(std::size_t index) {
  SeriesStyle style;
  style.colour = colours[index % std::size(colours)];
  style.dashes = dash_patterns[index % std::size(dash_patterns)];
  style.marker = markers[index % std::size(markers)];
  // Earlier series are drawn wider, so that one drawn later on top of it leaves its edges showing.
  style.width = std::max(1.0, 2.6 - 0.15 * static_cast<double>(index % std::size(colours)));
  return style;
}

SeriesStyle reference_style() { return {"#000000", "", 3.0, 0}; }

void write_svg(const LineChart& chart, const std::string& path) {
  double x_low = std::numeric_limits<double>::max(), x_high = std::numeric_limits<double>::lowest();
  double y_low = x_low, y_high = x_high;
  for (const Series& s : chart.series) {
    for (const auto& [x, y] : s.points) {
      if (!usable(chart.x, x) || !usable(chart.y, y)) continue;
      x_low = std::min(x_low, x);
      x_high = std::max(x_high, x);
      y_low = std::min(y_low, y);
      y_high = std::max(y_high, y);
    }
  }
  if (x_low > x_high) x_low = x_high = 1;
  if (y_low > y_high) y_low = y_high = 1;
  if (!chart.y.log) y_low = std::min(y_low, 0.0);
  const double height = plot_height + note_height * static_cast<double>(chart.notes.size());
  const double plot_bottom = plot_height - bottom;
  const Scale sx(chart.x, x_low, x_high, left, width - right);
  const Scale sy(chart.y, y_low, y_high, plot_bottom, top);

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">{3}</text>\n",
      width, height, (left + width - right) / 2, escape(chart.title));
  for (const double t : sx.ticks()) {
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        sx(t), top, plot_bottom, plot_bottom + 16, escape(tick_label(chart.x, t)));
  }
  for (const double t : sy.ticks()) {
    svg += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        left, sy(t), width - right, left - 6, sy(t) + 4, escape(tick_label(chart.y, t)));
  }
  svg += fmt::format(
      "<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" fill=\"none\" stroke=\"black\"/>\n"
      "<text x=\"{4}\" y=\"{5}\" text-anchor=\"middle\">{6}</text>\n"
      "<text transform=\"translate(18 {7}) rotate(-90)\" text-anchor=\"middle\">{8}</text>\n",
      left, top, width - right - left, plot_bottom - top, (left + width - right) / 2,
      plot_height - 18, escape(chart.x.label), (top + plot_bottom) / 2, escape(chart.y.label));

  constexpr int markers_per_series = 8;
  std::size_t index = 0;
  for (const Series& s : chart.series) {
    std::vector<std::pair<double, double>> pixels;
    for (const auto& [x, y] : s.points) {
      if (usable(chart.x, x) && usable(chart.y, y)) pixels.emplace_back(sx(x), sy(y));
    }
    svg += "<polyline " + line_attributes(s.style) + " points=\"";
    for (const auto& [x, y] : pixels) svg += fmt::format("{:.1f},{:.1f} ", x, y);
    svg += "\"/>\n";
    // Each series puts its markers at its own points along the line (a golden-ratio step apart
    // from the previous series'), so that series lying on top of each other still show.
    const double phase = std::fmod(0.618 * static_cast<double>(index), 1.0);
    for (int k = 0; s.style.marker != 0 && !pixels.empty() && k < markers_per_series; ++k) {
      const auto at = static_cast<std::size_t>((k + phase) / markers_per_series *
                                               static_cast<double>(pixels.size()));
      const auto& [x, y] = pixels[std::min(at, pixels.size() - 1)];
      svg += marker_at(s.style, x, y);
    }
    const double legend_y = top + 10 + 20 * static_cast<double>(index);
    svg += fmt::format(
        "\n<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" {3}/>{4}"
        "<text x=\"{5}\" y=\"{6}\">{7}</text>\n",
        width - right + 10, legend_y, width - right + 40, line_attributes(s.style),
        marker_at(s.style, width - right + 25, legend_y), width - right + 46, legend_y + 4,
        escape(s.name));
    ++index;
  }
  for (std::size_t i = 0; i < chart.notes.size(); ++i) {
    svg +=
        fmt::format("<text x=\"10\" y=\"{:.0f}\" font-size=\"11\" fill=\"#444\">{}</text>\n",
                    plot_height + note_height * static_cast<double>(i) + 6, escape(chart.notes[i]));
  }
  svg += "</svg>\n";

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << svg;
  if (!out) throw std::runtime_error(path + ": cannot write the plot");
}

}  // namespace rtalloc::replay
