#include "vault/dotenv_import.h"

#include <algorithm>
#include <map>

#include "formats/dotenv_parser.h"
#include "schema/env_detection.h"

namespace coffer::vault {
namespace {

// Refusal messages list this many entries, then a count: the report has them all.
constexpr size_t kMaxListedEntries = 8;

// Plaintext, shown in listings: where the credential came from and how to recreate its variables.
nlohmann::json MetadataFor(const EnvImportEntry& entry) {
  nlohmann::json metadata = {{"source", "dotenv"}, {"envKeys", entry.env_keys}};
  if (!entry.preset.empty()) metadata["preset"] = entry.preset;
  if (!entry.preset_field.empty()) metadata["presetField"] = entry.preset_field;
  if (!entry.secret) metadata["config"] = true;
  return metadata;
}

// The entry's variables in the order of their lines in the file.
std::vector<std::string> KeysOf(const EnvImportEntry& entry, const std::map<std::string, int>& line_of) {
  std::vector<std::string> keys;
  for (const auto& item : entry.env_keys.items()) keys.push_back(item.value().get<std::string>());
  std::sort(keys.begin(), keys.end(), [&](const std::string& a, const std::string& b) {
    return line_of.at(a) < line_of.at(b);
  });
  return keys;
}

// "STRIPE_KEY (line 3)"
std::string Describe(const DotenvImportItem& item) {
  std::string out = item.preview.value("name", std::string());
  const auto& lines = item.preview["lines"];
  if (lines.is_array() && !lines.empty()) {
    out += lines.size() == 1 ? " (line " : " (lines ";
    for (size_t i = 0; i < lines.size(); ++i) out += (i ? ", " : "") + std::to_string(lines[i].get<int>());
    out += ")";
  }
  return out;
}

// "A (line 1), B (line 2) and 3 more", with `detail` after each entry when given.
template <typename Detail>
std::string ListEntries(const DotenvImportReport& report, DotenvImportAction action, Detail detail) {
  std::string out;
  size_t listed = 0, total = 0;
  for (const auto& item : report.items) {
    if (item.action != action) continue;
    ++total;
    if (listed == kMaxListedEntries) continue;
    out += (listed++ ? "; " : "") + Describe(item) + detail(item);
  }
  if (total > listed) out += "; and " + std::to_string(total - listed) + " more (see the report)";
  return out;
}

size_t Count(const DotenvImportReport& report, DotenvImportAction action) {
  size_t n = 0;
  for (const auto& item : report.items) n += item.action == action;
  return n;
}

}  // namespace

std::string_view DotenvImportActionName(DotenvImportAction action) {
  switch (action) {
    case DotenvImportAction::kStore: return "store";
    case DotenvImportAction::kOverwrite: return "overwrite";
    case DotenvImportAction::kSkip: return "skip";
    case DotenvImportAction::kConflict: return "conflict";
    case DotenvImportAction::kInvalid: return "invalid";
  }
  return "store";
}

Result<DotenvImportReport> ImportDotenv(Vault& vault, const Principal& principal, std::string_view text,
                                        const DotenvImportOptions& options) {
  if (!options.prefix.empty()) {
    if (Status s = ValidateCredentialName(options.prefix); !s.ok()) {
      return MakeError(ErrorCode::kInvalidArgument, "prefix: " + s.error().message);
    }
  }
  auto parsed = ParseDotenv(text);
  if (!parsed.ok()) {
    return MakeError(ErrorCode::kInvalidArgument, "the .env text does not parse: " + parsed.error().message);
  }
  if (parsed->empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the .env text has no variables: send the file's contents as the request body");
  }
  std::vector<EnvImportEntry> entries = DetectEnvCredentials(*parsed);
  std::map<std::string, int> line_of;
  for (const DotenvEntry& e : *parsed) line_of[e.key] = e.line;

  DotenvImportReport report;
  report.dry_run = options.dry_run;
  std::vector<StoreCredentialRequest> requests;
  std::vector<size_t> item_of_request;
  for (const EnvImportEntry& entry : entries) {
    DotenvImportItem item;
    item.preview = EnvImportPreview(entry);
    item.preview["name"] = options.prefix + entry.name;
    std::vector<int> lines = entry.lines;
    std::sort(lines.begin(), lines.end());
    item.preview["lines"] = lines;
    item.keys = KeysOf(entry, line_of);
    if (!entry.secret && options.skip_config) {
      item.action = DotenvImportAction::kSkip;
    } else {
      StoreCredentialRequest request;
      request.name = options.prefix + entry.name;
      request.type = entry.type;
      request.data = entry.data;
      request.metadata = MetadataFor(entry);
      requests.push_back(std::move(request));
      item_of_request.push_back(report.items.size());
    }
    report.items.push_back(std::move(item));
  }
  if (requests.empty()) {
    report.written = !options.dry_run;  // nothing to store is trivially all of it
    return report;
  }

  ImportOptions import_options;
  import_options.dry_run = options.dry_run;
  import_options.overwrite = options.overwrite;
  auto outcome = vault.ImportCredentials(principal, requests, import_options);
  for (auto& request : requests) WipeJson(request.data);
  if (!outcome.ok()) return outcome.error();

  for (size_t r = 0; r < requests.size(); ++r) {
    const ImportItemOutcome& result = outcome->items[r];
    DotenvImportItem& item = report.items[item_of_request[r]];
    if (!result.problem.empty()) {
      item.action = DotenvImportAction::kInvalid;
      item.problem = result.problem;
    } else if (result.exists) {
      item.action = options.overwrite ? DotenvImportAction::kOverwrite : DotenvImportAction::kConflict;
    }
  }
  report.written = outcome->written;
  if (report.written) report.stored = static_cast<int>(requests.size());
  return report;
}

Status ImportRefusal(const DotenvImportReport& report) {
  if (report.written || report.dry_run) return Status::Ok();
  if (size_t n = Count(report, DotenvImportAction::kInvalid); n > 0) {
    return MakeError(ErrorCode::kValidation,
                     std::to_string(n) + (n == 1 ? " entry does" : " entries do") +
                         " not fit the detected type, so nothing was stored: " +
                         ListEntries(report, DotenvImportAction::kInvalid,
                                     [](const DotenvImportItem& item) { return ": " + item.problem; }) +
                         ". Fix those lines of the .env file and import again");
  }
  if (size_t n = Count(report, DotenvImportAction::kConflict); n > 0) {
    return MakeError(ErrorCode::kConflict,
                     std::to_string(n) + (n == 1 ? " credential already exists" : " credentials already exist") +
                         ", so nothing was stored: " +
                         ListEntries(report, DotenvImportAction::kConflict,
                                     [](const DotenvImportItem&) { return std::string(); }) +
                         ". Import with overwrite=true (coffer import --overwrite) to store new versions of "
                         "them, or with a prefix to keep both");
  }
  return MakeError(ErrorCode::kInternal, "the import stored nothing, for no reason it reported");
}

}  // namespace coffer::vault
