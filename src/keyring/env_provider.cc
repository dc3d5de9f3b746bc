#include <cstdlib>
#include <string>

#include "keyring/root_key_provider.h"

namespace coffer::keyring {

Result<std::unique_ptr<RootKeyProvider>> OpenEnvProvider(const char* variable_name) {
  const char* value = std::getenv(variable_name);
  if (value == nullptr || *value == '\0') {
    return MakeError(ErrorCode::kNotFound, std::string(variable_name) + " is not set");
  }
  std::string text(value);
  // Children (hooks, `coffer run`) must not inherit the root key.
  ::unsetenv(variable_name);
  auto key = DecodeBase64RootKey(text, variable_name);
  if (!key.ok()) return key.error();
  return std::unique_ptr<RootKeyProvider>(
      std::make_unique<LocalRootKeyProvider>("env", std::move(key).value()));
}

}  // namespace coffer::keyring
