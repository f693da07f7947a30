// The isocost commands, one function per verb, called by main.cc.
#pragma once

#include <string>
#include <vector>

namespace isocost {

struct RunOptions;
struct CompareOptions;
struct TrendOptions;
struct PlanOptions;

int RunCommand(const std::vector<std::string>& configs, RunOptions options);
int ValidateCommand(const std::vector<std::string>& configs);
int ListCommand(bool json);
int DoctorCommand(bool json);
int CleanupCommand(bool dry_run);
// format: text, json or markdown.
int CompareCommand(const std::string& base, const std::string& next, const CompareOptions& options,
                   const std::string& format);
// format: text, json or markdown.
int PlanCommand(const std::vector<std::string>& runs, const PlanOptions& options,
                const std::string& format);
int TrendCommand(const std::vector<std::string>& runs, const TrendOptions& options, bool json);

}  // namespace isocost
