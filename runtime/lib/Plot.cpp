//===- Plot.cpp - The loss and accuracy curves of a run as SVG -------------===//
//
// Each panel spans the epochs on x and [0, the largest value] on y (accuracy: at least
// [0, 1]), with round ticks (1, 2 or 5 times a power of ten, the top on a tick); a series
// leaves out the epochs where it is absent (negative).
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Plot.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace nnc::runtime {

namespace {

struct Series {
  const char *name, *color;
  double EpochPoint::*field;
};

const Series kLossSeries[] = {{"train_loss", "#1f77b4", &EpochPoint::trainLoss},
                              {"val_loss", "#ff7f0e", &EpochPoint::valLoss}};
const Series kAccSeries[] = {{"val_acc", "#2ca02c", &EpochPoint::valAcc},
                             {"test_acc", "#d62728", &EpochPoint::testAcc}};

/// The SVG text being written, with printf-style appending.
struct Svg {
  std::string text;
  template <typename... Ts> void add(const char *fmt, Ts... xs) {
    char buf[512];
    std::snprintf(buf, sizeof(buf), fmt, xs...);
    text += buf;
  }
};

bool present(const std::vector<EpochPoint> &points, const Series &se) {
  return std::any_of(points.begin(), points.end(),
                     [&](const EpochPoint &p) { return p.*se.field >= 0; });
}

/// One panel: a frame with a grid and ticks, a polyline per present series, the legend.
class Panel {
public:
  Panel(Svg &svg, const std::vector<EpochPoint> &points, double left)
      : svg(svg), points(points), left(left) {
    firstEpoch = points.empty() ? 0 : points.front().epoch;
    lastEpoch = points.empty() ? 1 : points.back().epoch;
    if (lastEpoch == firstEpoch)
      ++lastEpoch;
  }

  void draw(const char *id, const char *label, const Series (&series)[2], bool unitRange) {
    scale(series, unitRange);
    svg.add("<g class=\"panel\" id=\"%s\">\n", id);
    svg.add("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"#444\"/>\n",
            left, top, w, h);
    axes(label);
    int legend = 0;
    for (const Series &se : series)
      if (present(points, se))
        line(se, legend++);
    svg.text += "</g>\n";
  }

private:
  static constexpr double top = 40, w = 400, h = 300;

  double xOf(int64_t e) const {
    return left + w * double(e - firstEpoch) / double(lastEpoch - firstEpoch);
  }
  double yOf(double v) const { return top + h * (1 - (v - lo) / (hi - lo)); }

  /// The value range and its ticks: steps of 1, 2 or 5 times a power of ten, the top on a
  /// tick.
  void scale(const Series (&series)[2], bool unitRange) {
    hi = unitRange ? 1 : 0;
    for (const Series &se : series)
      for (const EpochPoint &p : points)
        if (p.*se.field >= 0)
          hi = std::max(hi, p.*se.field);
    if (hi <= lo)
      hi = lo + 1;
    double raw = (hi - lo) / 4, mag = std::pow(10, std::floor(std::log10(raw)));
    tick = (raw / mag <= 1 ? 1 : raw / mag <= 2 ? 2 : raw / mag <= 5 ? 5 : 10) * mag;
    ticks = int(std::ceil((hi - lo) / tick - 1e-9));
    hi = lo + ticks * tick;
  }

  void axes(const char *label) {
    for (int t = 0; t <= ticks; ++t) {
      double v = lo + tick * t, y = yOf(v);
      svg.add("<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
              "stroke=\"#ddd\"/>\n",
              left, y, left + w, y);
      svg.add("<text class=\"ytick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>\n",
              left - 6, y + 4, v);
    }
    int64_t span = lastEpoch - firstEpoch, stepE = std::max<int64_t>(1, (span + 9) / 10);
    for (int64_t e = firstEpoch; e <= lastEpoch; e += stepE)
      svg.add("<text class=\"xtick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%lld</text>\n",
              xOf(e), top + h + 16, (long long)e);
    svg.add("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">epoch</text>\n", left + w / 2,
            top + h + 34);
    svg.add("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
            "transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
            left - 46, top + h / 2, left - 46, top + h / 2, label);
  }

  /// A series' polyline and its legend entry, the `legend`-th in a row under the panel.
  void line(const Series &se, int legend) {
    svg.add("<polyline class=\"series\" data-name=\"%s\" fill=\"none\" stroke=\"%s\" "
            "stroke-width=\"2\" points=\"",
            se.name, se.color);
    bool first = true;
    for (const EpochPoint &p : points) {
      if (p.*se.field < 0)
        continue;
      svg.add(first ? "%.1f,%.1f" : " %.1f,%.1f", xOf(p.epoch), yOf(p.*se.field));
      first = false;
    }
    svg.text += "\"/>\n";
    double lx = left + 120 * legend, ly = top + h + 58;
    svg.add("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"2\"/>\n",
            lx, ly - 4, lx + 20, ly - 4, se.color);
    svg.add("<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 26, ly, se.name);
  }

  Svg &svg;
  const std::vector<EpochPoint> &points;
  double left;
  int64_t firstEpoch, lastEpoch;
  double lo = 0, hi = 0, tick = 1;
  int ticks = 1;
};

std::string escapeXml(const std::string &s) {
  std::string escaped;
  for (char c : s)
    escaped += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return escaped;
}

} // namespace

std::string plotSvg(const std::string &modelName, const std::vector<EpochPoint> &points) {
  bool accPanel = present(points, kAccSeries[0]) || present(points, kAccSeries[1]);
  const double width = accPanel ? 960 : 520, height = 420;
  Svg svg;
  svg.add("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
          "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
          width, height, width, height);
  std::string title = escapeXml(modelName + (accPanel ? ": loss and accuracy per epoch"
                                                      : ": loss per epoch"));
  svg.text += "<title>" + title + "</title>\n";
  svg.add("<rect width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n", width, height);
  svg.add("<text x=\"%.0f\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">", width / 2);
  svg.text += title + "</text>\n";
  Panel(svg, points, 70).draw("loss", "loss", kLossSeries, false);
  if (accPanel)
    Panel(svg, points, 530).draw("accuracy", "accuracy", kAccSeries, true);
  svg.text += "</svg>\n";
  return svg.text;
}

std::string writePlot(const std::string &path, const std::string &modelName,
                      const std::vector<EpochPoint> &points) {
  std::string svg = plotSvg(modelName, points);
  std::FILE *f = std::fopen(path.c_str(), "w");
  if (!f)
    return path + ": " + std::strerror(errno);
  bool ok = std::fwrite(svg.data(), 1, svg.size(), f) == svg.size();
  ok = std::fclose(f) == 0 && ok;
  return ok ? "" : path + ": cannot write: " + std::strerror(errno);
}

} // namespace nnc::runtime
