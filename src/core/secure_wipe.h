// Zeroing that the optimiser may not remove. It lives in core, not crypto, because value types
// (Credential) wipe themselves when they die; glibc's explicit_bzero does the work.
#pragma once

#include <cstddef>
#include <string>

namespace coffer {

void SecureWipe(void* data, size_t size);

inline void SecureWipe(std::string& s) {
  SecureWipe(s.data(), s.size());
  s.clear();
}

}  // namespace coffer
