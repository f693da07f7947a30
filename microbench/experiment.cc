#include "microbench/experiment.h"

#include <fmt/format.h>

#include <stdexcept>

namespace isocost {

std::string_view TypeName(ParamType type) {
  switch (type) {
    case ParamType::kInt:
      return "integer";
    case ParamType::kDouble:
      return "number";
    case ParamType::kBool:
      return "boolean";
    case ParamType::kString:
      return "string";
    case ParamType::kStringList:
      return "list of strings";
  }
  return "?";
}

std::string FormatValue(const ParamValue& value) {
  struct Formatter {
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return fmt::format("{:g}", v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(const std::vector<std::string>& v) const {
      return v.empty() ? "none" : fmt::format("{}", fmt::join(v, "+"));
    }
  };
  return std::visit(Formatter{}, value);
}

std::string ParamSpec::Allowed() const {
  switch (type) {
    case ParamType::kInt:
      return fmt::format("an integer from {} to {}", static_cast<int64_t>(min),
                         static_cast<int64_t>(max));
    case ParamType::kDouble:
      return fmt::format("a number from {:g} to {:g}", min, max);
    case ParamType::kBool:
      return "true or false";
    case ParamType::kString:
      return choices.empty() ? "a string" : fmt::format("one of {}", fmt::join(choices, ", "));
    case ParamType::kStringList:
      return choices.empty()
                 ? "a list of strings"
                 : fmt::format("a list of distinct items from {}", fmt::join(choices, ", "));
  }
  return "?";
}

void Point::Set(const std::string& name, ParamValue value) {
  for (auto& [n, v] : values_) {
    if (n == name) {
      v = std::move(value);
      return;
    }
  }
  values_.emplace_back(name, std::move(value));
}

const ParamValue& Point::Get(const std::string& name) const {
  for (const auto& [n, v] : values_) {
    if (n == name) return v;
  }
  throw std::out_of_range("point has no parameter '" + name + "'");
}

std::string Point::Describe() const {
  std::string out;
  for (const auto& [n, v] : values_) {
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", n, FormatValue(v));
  }
  return out;
}

const ParamSpec* ExperimentSpec::FindParam(std::string_view param) const {
  for (const ParamSpec& p : params) {
    if (p.name == param) return &p;
  }
  return nullptr;
}

Point ExperimentSpec::Defaults() const {
  Point point;
  for (const ParamSpec& p : params)
    point.Set(p.name, p.default_value);
  return point;
}

std::string BenchmarkName(const ExperimentSpec& experiment, const Point& point) {
  std::string name = experiment.name;
  for (const auto& [param, value] : point.values()) {
    if (param != "threads") name += "/" + param + ":" + FormatValue(value);
  }
  return name;
}

const ExperimentSpec* FindExperiment(std::string_view name) {
  for (const ExperimentSpec& e : Experiments()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::vector<Point> ExpandSweep(
    const Point& base, const std::vector<std::pair<std::string, std::vector<ParamValue>>>& sweep) {
  std::vector<Point> points{base};

  for (const auto& [name, values] : sweep) {
    std::vector<Point> next;
    next.reserve(points.size() * values.size());
    for (const Point& p : points) {
      for (const ParamValue& v : values) {
        Point q = p;
        q.Set(name, v);
        next.push_back(std::move(q));
      }
    }
    points = std::move(next);
  }
  return points;
}

}  // namespace isocost
