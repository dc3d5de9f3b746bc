#include "api/http/authentication.h"

namespace coffer::api {

RequestContext ContextOf(const ApiRequest& request) {
  return RequestContext{request.request_id, request.remote_ip, request.Header("user-agent"), request.reply_barrier};
}

Result<Principal> Authenticate(vault::Vault& vault, const ApiRequest& request) {
  std::string header = request.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), header.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "missing bearer token: send `Authorization: Bearer <token>` (the first start "
                     "printed an owner token and wrote it to <data-dir>/owner.token)");
  }
  auto principal = vault.Authenticate(std::string_view(header).substr(kBearer.size()), ContextOf(request));
  SecureWipe(header);
  return principal;
}

}  // namespace coffer::api
