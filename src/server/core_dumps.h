// Keys and decrypted secrets live in the memory of `coffer serve`, `keys rotate-root` and
// `migrate`: none of them may ever leave a core file that holds them.
#pragma once

namespace coffer::server {

// No core file (RLIMIT_CORE 0), and not dumpable (PR_SET_DUMPABLE 0, which also keeps other
// processes of the same user from attaching with ptrace). Call first thing.
void ForbidCoreDumps();

}  // namespace coffer::server
