// Keeps this addon mapped until the process exits.
#pragma once

namespace nt {
namespace addon {

// Why: Node unloads an addon (dlclose) when the last environment that
// loaded it goes away, e.g. when every worker_thread that required nodetorch
// has exited and the main thread never did. The CPU pool's threads are
// process-wide and outlive any one environment (cpu/parallel.cpp), so their
// code must stay mapped. Idempotent; a failure leaves the default behaviour.
void pinAddonInMemory();

}  // namespace addon
}  // namespace nt
