// `isocost doctor`: what this host offers and lacks for isocost's
// experiments, one check per fact, grouped in sections (privilege, kernel,
// cgroups, tracing, file systems, namespaces, machine).
//
// The report is JSON:
//   {"schema_version": 1, "tool": {...},
//    "status_counts": {"ok": n, "missing": n, "warn": n, "info": n},
//    "sections": [{"name", "title", "checks": [{"name", "status", "detail",
//                  "affects"?, "remedy"?, "data"?}]}]}
// status is "ok" (present), "missing" (absent, and an experiment needs it),
// "warn" (degrades results) or "info" (a plain fact). "affects" names what
// a missing or degraded item costs; "data" holds numeric facts, with the
// unit in every key.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

namespace isocost {

// What this host supports and lacks for isocost's experiments. It changes
// nothing on the host: no writes, no tracing instances, and the one mount it
// makes (tracefs, when the host has not mounted it, to see which tracers
// and events it offers) is in a private mount namespace of a child process.
nlohmann::json CollectDoctorReport();

// Human-readable rendering of the report: sections, one line per check with
// status ok / missing / warn / info, the detail, and for anything missing what it
// affects and the remedy where there is one.
void PrintDoctorReport(const nlohmann::json& report, std::ostream& out);

}  // namespace isocost
