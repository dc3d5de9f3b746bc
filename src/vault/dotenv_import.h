// The .env import use case: parse a project's .env text, recognise its credentials, and store them
// through Vault::ImportCredentials, all or nothing. REST (POST /v0/vault/import) and, through it,
// `coffer import` share this one implementation.
//
// Each variable keeps its name as the credential's name (after an optional prefix), and every
// stored credential remembers which .env variable each data field came from in
// metadata.envKeys ({"apiKey": "STRIPE_SECRET_KEY"}), so `coffer run` and `coffer export` can give
// an application back exactly the environment it was written for.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/principal.h"
#include "core/result.h"
#include "vault/vault.h"

namespace coffer::vault {

struct DotenvImportOptions {
  std::string prefix;        // prepended to every credential name ("myapp:")
  bool dry_run = false;      // report what would happen, store nothing
  bool overwrite = false;    // store names that already exist as new versions instead of refusing
  bool skip_config = false;  // leave out what is recognised as non-secret configuration
};

// What the import does (or, in a dry run, would do) with one entry.
enum class DotenvImportAction {
  kStore,      // a new credential
  kOverwrite,  // a new version of an existing credential (only with `overwrite`)
  kSkip,       // configuration left out on request
  kConflict,   // the name exists and `overwrite` is off: the import is refused
  kInvalid,    // the values do not fit the detected type: the import is refused
};

std::string_view DotenvImportActionName(DotenvImportAction action);  // "store", "overwrite", ...

struct DotenvImportItem {
  // EnvImportPreview(): name, type, preset, confidence, reason, lines, data field names, envKeys and
  // warnings. Never a value.
  nlohmann::json preview;
  std::vector<std::string> keys;  // the .env variables of the entry, in line order
  DotenvImportAction action = DotenvImportAction::kStore;
  std::string problem;  // for kInvalid: what is wrong, naming the field; never a value
};

struct DotenvImportReport {
  std::vector<DotenvImportItem> items;  // in .env line order
  bool dry_run = false;
  bool written = false;  // true when the credentials were stored
  int stored = 0;        // how many credentials were written (0 in a dry run or a refusal)
};

// Fails (kInvalidArgument) when the text does not parse, naming the line, or holds no variables;
// kPermissionDenied without vault:write. A conflict or an invalid entry is not a failure: the
// report says which entries, `written` is false and nothing is stored (see ImportRefusal).
Result<DotenvImportReport> ImportDotenv(Vault& vault, const Principal& principal, std::string_view text,
                                        const DotenvImportOptions& options);

// Why a non-dry-run import stored nothing: kValidation naming the invalid entries, else kConflict
// naming the existing ones. Ok when the import was written (or was a dry run).
Status ImportRefusal(const DotenvImportReport& report);

}  // namespace coffer::vault
