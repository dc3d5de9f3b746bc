#include "cli/import_command.h"

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/cli_support.h"
#include "cli/exit_codes.h"
#include "core/secure_wipe.h"

namespace coffer::cli {
namespace {

// The report as a table, with each entry's warnings and problems under it. Never holds a value:
// the server's report has none.
void PrintReport(const nlohmann::json& report) {
  std::printf("%-8s %-30s %-12s %-11s %-10s %-10s %s\n", "line", "credential", "type", "preset", "confidence",
              "action", "from");
  for (const auto& e : report.value("entries", nlohmann::json::array())) {
    const std::string preset = e.contains("preset") && e["preset"].is_string() ? e["preset"].get<std::string>() : "-";
    std::printf("%-8s %-30s %-12s %-11s %-10s %-10s %s%s\n", Join(e.value("lines", nlohmann::json())).c_str(),
                Str(e, "name").c_str(), Str(e, "type").c_str(), preset.c_str(), Str(e, "confidence").c_str(),
                Str(e, "action").c_str(), Join(e.value("keys", nlohmann::json())).c_str(),
                e.value("secret", true) ? "" : "  (configuration)");
    for (const auto& w : e.value("warnings", nlohmann::json::array())) {
      if (w.is_string()) std::printf("       warning: %s\n", w.get<std::string>().c_str());
    }
    if (e.contains("problem") && e["problem"].is_string()) {
      std::printf("       problem: %s\n", e["problem"].get<std::string>().c_str());
    }
  }
}

int Summarise(const nlohmann::json& report, const std::string& file) {
  size_t store = 0, overwrite = 0, skip = 0;
  for (const auto& e : report.value("entries", nlohmann::json::array())) {
    const std::string action = Str(e, "action");
    store += action == "store";
    overwrite += action == "overwrite";
    skip += action == "skip";
  }
  if (report.value("dryRun", false)) {
    std::printf("\nDry run: %zu new, %zu new versions, %zu skipped. Nothing was stored.\n", store, overwrite, skip);
  } else {
    std::printf("\nStored %d credentials from %s (%zu new, %zu new versions, %zu skipped).\n",
                report.value("stored", 0), file.c_str(), store, overwrite, skip);
  }
  return kExitOk;
}

}  // namespace

void AddImportCommand(CLI::App& app) {
  struct Args {
    CommonFlags flags;
    std::string file, prefix;
    bool dry_run = false, overwrite = false, skip_config = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Import a .env file: detect each variable's type and store them all (or none)");
  cmd->add_option("file", args->file, "The .env file; '-' reads stdin")->required();
  cmd->add_flag("--dry-run", args->dry_run, "Show what would be stored, store nothing");
  cmd->add_option("--prefix", args->prefix, "Prepend this to every credential name (e.g. myapp:)");
  cmd->add_flag("--overwrite", args->overwrite, "Store names that exist as new versions instead of refusing");
  cmd->add_flag("--skip-config", args->skip_config, "Leave out non-secret settings (PORT, NODE_ENV, ...)");
  AddCommonFlags(cmd, args->flags);
  cmd->callback([args] {
    auto text = ReadInput(args->file);
    if (!text.ok()) std::exit(Fail(kExitUsage, text.error().message));
    ApiClient client = ClientFor(args->flags);
    std::string path = "/v0/vault/import?dryRun=" + std::string(args->dry_run ? "true" : "false");
    if (args->overwrite) path += "&overwrite=true";
    if (args->skip_config) path += "&skipConfig=true";
    if (!args->prefix.empty()) path += "&prefix=" + client.Escape(args->prefix);
    auto sent = client.Send("POST", path, *text, "text/plain; charset=utf-8");
    SecureWipe(*text);
    if (!sent.ok()) std::exit(Fail(kExitUnavailable, sent.error().message));
    const ApiReply& reply = *sent;
    const bool has_report = reply.body.is_object() && reply.body.contains("entries");
    if (args->flags.json && !reply.body.is_null()) {
      std::cout << reply.body.dump(2) << "\n";
    } else if (has_report) {
      PrintReport(reply.body);  // also on a refusal: it shows which entries to fix
    }
    if (reply.status < 200 || reply.status >= 300) {
      std::exit(Fail(ExitCodeForStatus(reply.status), args->file + ": " + ErrorMessageOf(reply)));
    }
    std::exit(args->flags.json ? kExitOk : Summarise(reply.body, args->file));
  });
}

}  // namespace coffer::cli
