// Reading finished runs back: results.csv (with libcsv) and run.json, for
// `isocost compare` and `isocost trend`.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace isocost {

using CsvRow = std::map<std::string, std::string>;

struct RunData {
  std::string dir;                         // the run directory
  nlohmann::json info;                     // run.json; an empty object when there is none
  std::vector<std::string> param_columns;  // in file order
  std::vector<CsvRow> rows;
};

// Reads a run from its directory, its results.csv or its run.json. Throws a
// usage error naming the file when it is missing or malformed.
RunData LoadRun(const std::string& path);
// Parses CSV text (RFC 4180) into rows keyed by the header; throws on
// malformed input or rows whose field count differs from the header's.
std::vector<CsvRow> ParseCsv(const std::string& text, const std::string& file,
                             std::vector<std::string>* header);

// Runs under a directory: the directory itself if it is a run, else each
// subdirectory that holds a results.csv.
std::vector<std::string> FindRuns(const std::string& path);

// Columns of results.csv that are not parameters.
const std::vector<std::string>& ResultColumns();

// The value of each parameter column of a row, "name=value,..." in column
// order, leaving out those in `ignore`.
std::string ParamKey(const RunData& run, const CsvRow& row, const std::vector<std::string>& ignore);

// Per-repetition values of a row ("1.5;2;3"); throws std::invalid_argument
// for anything but finite decimal numbers (LoadRun has checked every row).
std::vector<double> RepetitionValues(const CsvRow& row);

}  // namespace isocost
