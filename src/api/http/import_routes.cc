#include "api/http/import_routes.h"

#include "api/http/authentication.h"
#include "api/http/json_io.h"
#include "api/http/query_params.h"
#include "vault/dotenv_import.h"

namespace coffer::api {
namespace {

// One entry of the report. Built from the preview, which never holds a value.
nlohmann::json EntryJson(const vault::DotenvImportItem& item) {
  const nlohmann::json& p = item.preview;
  const nlohmann::json& lines = p.at("lines");
  nlohmann::json out = {
      {"key", item.keys.empty() ? nlohmann::json(nullptr) : nlohmann::json(item.keys.front())},
      {"keys", item.keys},
      {"line", lines.empty() ? nlohmann::json(nullptr) : lines.front()},
      {"lines", lines},
      {"name", p.at("name")},
      {"type", p.at("type")},
      {"preset", p.value("preset", nlohmann::json(nullptr))},
      {"presetField", p.value("presetField", nlohmann::json(nullptr))},
      {"confidence", p.at("confidence")},
      {"secret", p.at("secret")},
      {"reason", p.at("reason")},
      {"fields", p.at("fields")},
      {"envKeys", p.at("envKeys")},
      {"warnings", p.at("warnings")},
      {"action", vault::DotenvImportActionName(item.action)},
  };
  if (!item.problem.empty()) out["problem"] = item.problem;
  return out;
}

nlohmann::json ReportJson(const vault::DotenvImportReport& report) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& item : report.items) entries.push_back(EntryJson(item));
  return {{"dryRun", report.dry_run},
          {"written", report.written},
          {"stored", report.stored},
          {"entries", std::move(entries)}};
}

ApiResponse PostImport(vault::Vault& vault, const ApiRequest& request) {
  return WithPrincipal(vault, request, [&](const Principal& principal) {
    if (Status s = CheckQuery(request, {"dryRun", "prefix", "overwrite", "skipConfig"}); !s.ok()) {
      return ErrorResponse(s.error());
    }
    vault::DotenvImportOptions options;
    options.prefix = StringParam(request, "prefix");
    for (auto [key, flag] : {std::pair{"dryRun", &options.dry_run}, std::pair{"overwrite", &options.overwrite},
                             std::pair{"skipConfig", &options.skip_config}}) {
      auto value = ParseFlagParam(request, key, false);
      if (!value.ok()) return ErrorResponse(value.error());
      *flag = *value;
    }
    if (request.Header("content-type").starts_with("application/json")) {
      return ErrorResponse(400, "invalid_request",
                           "send the .env file's text itself as the body (Content-Type: text/plain), not JSON");
    }
    if (request.body.empty()) {
      return ErrorResponse(400, "invalid_request",
                           "the request body is empty: send the .env file's text (curl --data-binary @.env)");
    }
    auto report = vault::ImportDotenv(vault, principal, request.body, options);
    if (!report.ok()) return ErrorResponse(report.error());
    nlohmann::json body = ReportJson(*report);
    if (Status refused = vault::ImportRefusal(*report); !refused.ok()) {
      // The error envelope, plus the report: it says which entries to fix.
      const Error& e = refused.error();
      body["error"] = {{"code", ErrorCodeName(e.code)}, {"message", e.message}};
      ApiResponse response = JsonResponse(HttpStatusFor(e.code), body);
      response.error_envelope = true;
      return response;
    }
    return JsonResponse(report->stored > 0 ? 201 : 200, body);
  });
}

}  // namespace

void AddImportRoutes(Router& router, vault::Vault& vault) {
  router.Add("POST", "/v0/vault/import",
             [&vault](const ApiRequest& r, const PathParams&) { return PostImport(vault, r); });
}

}  // namespace coffer::api
