// SIGINT, SIGTERM and SIGHUP ask a run to stop: the handlers only set a flag that
// the measuring loops poll, so the run unwinds and the host-state guard
// undoes its changes. A second signal exits at once and leaves the journal
// for `isocost cleanup`.
#pragma once

namespace isocost {

void InstallInterruptHandlers();
bool Interrupted();
// The signal that interrupted the run, or 0.
int InterruptSignal();

}  // namespace isocost
