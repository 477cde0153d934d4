// SPDX-License-Identifier: MIT OR Apache-2.0
#include "svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace rtalloc::replay {
namespace {

constexpr double width = 800, height = 480;
constexpr double left = 80, right = 190, top = 40, bottom = 60;  // margins around the plot area
constexpr const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

// Maps data values on one axis to pixels, linear or logarithmic.
class Scale {
 public:
  Scale(const Axis& axis, double low, double high, double pixel_low, double pixel_high)
      : log_(axis.log), pixel_low_(pixel_low), pixel_high_(pixel_high) {
    if (log_) {
      low = std::pow(10.0, std::floor(std::log10(low)));
      high = std::pow(10.0, std::ceil(std::log10(high)));
    }
    if (!(high > low)) high = low + 1;
    low_ = low;
    high_ = high;
  }
  double operator()(double v) const {
    const double t =
        log_ ? (std::log10(v) - std::log10(low_)) / (std::log10(high_) - std::log10(low_))
             : (v - low_) / (high_ - low_);
    return pixel_low_ + t * (pixel_high_ - pixel_low_);
  }
  // Tick values: powers of ten on a log axis, about six round steps on a linear one.
  std::vector<double> ticks() const {
    std::vector<double> result;
    if (log_) {
      for (double v = low_; v <= high_ * 1.0001; v *= 10) result.push_back(v);
      return result;
    }
    const double raw = (high_ - low_) / 6;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = magnitude;
    for (const double m : {2.0, 5.0, 10.0}) {
      if (step < raw) step = m * magnitude;
    }
    for (double v = std::ceil(low_ / step) * step; v <= high_ + step * 1e-9; v += step) {
      result.push_back(v);
    }
    return result;
  }

 private:
  bool log_;
  double low_ = 0, high_ = 1;
  double pixel_low_, pixel_high_;
};

std::string tick_label(double v) {
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

}  // namespace

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
  const Scale sx(chart.x, x_low, x_high, left, width - right);
  const Scale sy(chart.y, y_low, y_high, height - bottom, top);

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
        sx(t), top, height - bottom, height - bottom + 16, tick_label(t));
  }
  for (const double t : sy.ticks()) {
    svg += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        left, sy(t), width - right, left - 6, sy(t) + 4, tick_label(t));
  }
  svg += fmt::format(
      "<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" fill=\"none\" stroke=\"black\"/>\n"
      "<text x=\"{4}\" y=\"{5}\" text-anchor=\"middle\">{6}</text>\n"
      "<text transform=\"translate(18 {7}) rotate(-90)\" text-anchor=\"middle\">{8}</text>\n",
      left, top, width - right - left, height - bottom - top, (left + width - right) / 2,
      height - 18, escape(chart.x.label), (top + height - bottom) / 2, escape(chart.y.label));

  std::size_t index = 0;
  for (const Series& s : chart.series) {
    const char* colour = colours[index % std::size(colours)];
    svg +=
        fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"", colour);
    for (const auto& [x, y] : s.points) {
      if (usable(chart.x, x) && usable(chart.y, y))
        svg += fmt::format("{:.1f},{:.1f} ", sx(x), sy(y));
    }
    svg += "\"/>\n";
    const double legend_y = top + 10 + 20 * static_cast<double>(index);
    svg += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"3\"/>"
        "<text x=\"{4}\" y=\"{5}\">{6}</text>\n",
        width - right + 12, legend_y, width - right + 36, colour, width - right + 42, legend_y + 4,
        escape(s.name));
    ++index;
  }
  svg += "</svg>\n";

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << svg;
  if (!out) throw std::runtime_error(path + ": cannot write the plot");
}

}  // namespace rtalloc::replay
