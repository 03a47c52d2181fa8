// The op-code name functions (unaryName, binaryName, reduceName) are
// generated into codes.gen.h; this header stays for the files that include it.
#pragma once
#include "codes.gen.h"
