#include "core/secure_wipe.h"

#include <string.h>

namespace coffer {

void SecureWipe(void* data, size_t size) {
  if (data != nullptr && size > 0) explicit_bzero(data, size);
}

}  // namespace coffer
