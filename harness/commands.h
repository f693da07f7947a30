// The isocost commands, one function per verb, called by main.cc.
#pragma once

#include <string>
#include <vector>

namespace isocost {

struct RunOptions;

int RunCommand(const std::vector<std::string>& configs, RunOptions options);
int ValidateCommand(const std::vector<std::string>& configs);
int ListCommand(bool json);
int DoctorCommand(bool json);
int CleanupCommand(bool dry_run);

}  // namespace isocost
