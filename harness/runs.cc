#include "harness/runs.h"

#include <csv.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "primitives/error.h"
#include "primitives/fs.h"

namespace isocost {
namespace fs = std::filesystem;
namespace {

struct CsvState {
  std::vector<std::vector<std::string>> records{{}};
};

void OnField(void* data, size_t len, void* state) {
  auto* s = static_cast<CsvState*>(state);
  s->records.back().emplace_back(static_cast<const char*>(data), len);
}

void OnRecord(int, void* state) {
  static_cast<CsvState*>(state)->records.emplace_back();
}

Error BadInput(const std::string& message) {
  return Error(ErrorKind::kUsage, message);
}

inline constexpr uintmax_t kMaxRunFileBytes = uintmax_t{64} << 20;

// A run's file, if it is a regular file of sane size (never a FIFO or a
// device that would never end).
std::string ReadBounded(const std::string& file, const std::string& given) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw BadInput(
        fmt::format("cannot read {}: not a regular file; is {} an isocost run?", file, given));
  }
  if (fs::file_size(file, ec) > kMaxRunFileBytes) {
    throw BadInput(fmt::format("{}: larger than {} bytes", file, kMaxRunFileBytes));
  }
  return ReadFile(file);
}

}  // namespace

// Every repetition value is a finite number.
static void CheckValues(const RunData& run, const std::string& file) {
  for (size_t i = 0; i < run.rows.size(); ++i) {
    try {
      RepetitionValues(run.rows[i]);
    } catch (const std::exception& e) {
      throw BadInput(fmt::format("{}: record {}: repetition_values: {}", file, i + 2, e.what()));
    }
  }
}

const std::vector<std::string>& ResultColumns() {
  static const std::vector<std::string> kColumns = {
      "experiment",  "config", "point",  "metric", "unit", "better", "status", "value",
      "median",      "mean",   "stddev", "cv",     "min",  "max",    "n",      "repetition_values",
      "trustworthy", "note"};
  return kColumns;
}

std::vector<CsvRow> ParseCsv(const std::string& text, const std::string& file,
                             std::vector<std::string>* header) {
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
    throw Error(ErrorKind::kFailure, "initializing the CSV parser");
  }
  CsvState state;
  size_t done = csv_parse(&parser, text.data(), text.size(), OnField, OnRecord, &state);
  int fini = csv_fini(&parser, OnField, OnRecord, &state);
  std::string why = csv_strerror(csv_error(&parser));
  csv_free(&parser);
  if (done != text.size() || fini != 0) throw BadInput(file + ": malformed CSV: " + why);

  std::vector<std::vector<std::string>>& recs = state.records;
  recs.erase(std::remove_if(recs.begin(), recs.end(), [](auto& r) { return r.empty(); }),
             recs.end());
  if (recs.empty()) throw BadInput(file + ": empty CSV file");
  *header = recs.front();
  std::vector<CsvRow> rows;
  for (size_t i = 1; i < recs.size(); ++i) {
    if (recs[i].size() != header->size()) {
      throw BadInput(fmt::format("{}: record {} has {} fields, the header {}", file, i + 1,
                                 recs[i].size(), header->size()));
    }
    CsvRow row;
    for (size_t c = 0; c < header->size(); ++c)
      row[(*header)[c]] = recs[i][c];
    rows.push_back(std::move(row));
  }
  return rows;
}

RunData LoadRun(const std::string& path) {
  RunData run;
  fs::path p(path);
  std::error_code ec;
  if (!fs::exists(p, ec)) throw BadInput("no such run: " + path);
  fs::path dir = fs::is_directory(p, ec) ? p : p.parent_path();
  run.dir = (dir.empty() ? fs::path(".") : dir).string();
  // A .csv named on the command line is read as it is; otherwise the run's.
  std::string csv_path =
      p.extension() == ".csv" ? p.string() : fmt::format("{}/results.csv", run.dir);

  std::vector<std::string> header;
  run.rows = ParseCsv(ReadBounded(csv_path, path), csv_path, &header);
  for (const std::string& column : ResultColumns()) {
    if (column == "better") continue;  // absent from early runs
    if (std::find(header.begin(), header.end(), column) == header.end()) {
      throw BadInput(
          fmt::format("{}: no '{}' column; not an isocost results file", csv_path, column));
    }
  }
  for (const std::string& column : header) {
    const auto& fixed = ResultColumns();
    if (std::find(fixed.begin(), fixed.end(), column) == fixed.end()) {
      run.param_columns.push_back(column);
    }
  }

  CheckValues(run, csv_path);

  run.info = nlohmann::json::object();
  std::string json_path = run.dir + "/run.json";
  if (fs::exists(json_path, ec)) {
    run.info = nlohmann::json::parse(ReadBounded(json_path, path), nullptr, false);
    if (!run.info.is_object()) throw BadInput(json_path + ": malformed JSON");
  }
  return run;
}

std::vector<std::string> FindRuns(const std::string& path) {
  std::error_code ec;
  if (fs::exists(fs::path(path) / "results.csv", ec) || !fs::is_directory(path, ec)) {
    return {path};
  }
  std::vector<std::string> runs;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    if (fs::exists(e.path() / "results.csv", ec)) runs.push_back(e.path().string());
  }
  std::sort(runs.begin(), runs.end());
  return runs;
}

std::string ParamKey(const RunData& run, const CsvRow& row,
                     const std::vector<std::string>& ignore) {
  std::string key;
  for (const std::string& p : run.param_columns) {
    if (std::find(ignore.begin(), ignore.end(), p) != ignore.end()) continue;
    auto it = row.find(p);
    if (it == row.end() || it->second.empty()) continue;
    key += fmt::format("{}{}={}", key.empty() ? "" : " ", p, it->second);
  }
  return key;
}

std::vector<double> RepetitionValues(const CsvRow& row) {
  std::vector<double> values;
  auto it = row.find("repetition_values");
  if (it == row.end()) return values;
  std::stringstream in(it->second);
  for (std::string item; std::getline(in, item, ';');) {
    double v = 0;
    auto [end, err] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (err != std::errc() || end != item.data() + item.size() || !std::isfinite(v)) {
      throw std::invalid_argument("'" + item + "' is not a finite number");
    }
    values.push_back(v);
  }
  return values;
}

}  // namespace isocost
