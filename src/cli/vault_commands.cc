#include "cli/vault_commands.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/api_client.h"
#include "cli/cli_support.h"
#include "core/json_document.h"
#include "cli/exit_codes.h"
#include "cli/preset_plan.h"
#include "core/credential.h"
#include "core/secure_wipe.h"

namespace coffer::cli {
namespace {

std::string Plain(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

Result<nlohmann::json> ParseJsonFlag(const std::string& text, const char* flag) {
  auto parsed = ParseUntrustedJson(text);
  if (!parsed.ok() || !parsed->is_object()) {
    if (parsed.ok()) WipeJson(*parsed);
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(flag) + " must be a JSON object, e.g. " + flag + " '{\"key\":\"value\"}'" +
                         (parsed.ok() ? "" : ": this one " + parsed.error().message));
  }
  return parsed;
}

// --preset: one credential per field of the platform, named skill:<platform>:<key>. Each is a
// separate PUT: a failure part-way leaves the earlier ones stored, and says which those are.
int StorePreset(const CommonFlags& flags, const std::string& preset, const nlohmann::json& values,
                const nlohmann::json& metadata) {
  auto plan = PlanPresetStore(preset, values, metadata);
  if (!plan.ok()) return Fail(kExitUsage, plan.error().message);
  for (const std::string& warning : plan->warnings) {
    std::fprintf(stderr, "coffer: warning: %s\n", warning.c_str());
  }
  ApiClient client = ClientFor(flags);
  nlohmann::json stored = nlohmann::json::array();
  for (PresetCredential& c : plan->credentials) {
    nlohmann::json body = {{"type", CredentialTypeName(c.type)}, {"data", c.data}, {"metadata", c.metadata}};
    std::string text = body.dump();
    WipeJson(body);
    ApiReply reply;
    int code = Call(client, flags, "PUT", "/v0/vault/" + client.Escape(c.name), c.name, text, reply);
    SecureWipe(text);
    if (code != kExitOk) {
      if (!stored.empty()) std::fprintf(stderr, "coffer: stored before the failure: %s\n", stored.dump().c_str());
      return code;
    }
    stored.push_back(reply.body);
    if (!flags.json) {
      std::cout << (reply.status == 201 ? "Stored " : "Updated ") << Str(reply.body, "name") << " ("
                << Str(reply.body, "type") << ", version " << reply.body.value("version", 0) << ")\n";
    }
  }
  if (flags.json) std::cout << nlohmann::json{{"credentials", stored}}.dump(2) << "\n";
  return kExitOk;
}

void AddStore(CLI::App* vault) {
  struct Args {
    CommonFlags flags;
    std::string name, type, data, metadata, expires_at, preset;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = vault->add_subcommand("store", "Store or overwrite a credential (a new version)");
  cmd->add_option("name", args->name, "Credential name (not with --preset, which names the secrets)");
  cmd->add_option("--type", args->type, "One of " + CredentialTypeList());
  cmd->add_option("--preset", args->preset,
                  "A platform preset (stripe, openai, aws, ...): --data holds its fields, stored as "
                  "skill:<platform>:<field>");
  cmd->add_option("--data", args->data, "Secret fields as a JSON object; '-' reads it from stdin")->required();
  cmd->add_option("--metadata", args->metadata, "Non-secret fields as a JSON object");
  cmd->add_option("--expires-at", args->expires_at, "Expiry, ISO 8601 (2026-12-31T00:00:00Z)");
  AddCommonFlags(cmd, args->flags);
  cmd->callback([args] {
    if (args->preset.empty() && (args->name.empty() || args->type.empty())) {
      std::exit(Fail(kExitUsage, "give a NAME and --type, or --preset (coffer vault store --help)"));
    }
    if (!args->preset.empty() && (!args->name.empty() || !args->type.empty() || !args->expires_at.empty())) {
      std::exit(Fail(kExitUsage, "--preset names the secrets skill:<platform>:<field> and picks their types: "
                                 "drop NAME, --type and --expires-at"));
    }
    // Reading the secret from stdin keeps it out of shell history and `ps`.
    if (args->data == "-") {
      args->data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    auto data = ParseJsonFlag(args->data, "--data");
    SecureWipe(args->data);
    if (!data.ok()) std::exit(Fail(kExitUsage, data.error().message));
    nlohmann::json metadata = nlohmann::json::object();
    if (!args->metadata.empty()) {
      auto parsed = ParseJsonFlag(args->metadata, "--metadata");
      if (!parsed.ok()) std::exit(Fail(kExitUsage, parsed.error().message));
      metadata = *parsed;
    }
    if (!args->preset.empty()) {
      int code = StorePreset(args->flags, args->preset, *data, metadata);
      WipeJson(*data);
      std::exit(code);
    }
    nlohmann::json body = {{"type", args->type}, {"data", *data}};
    WipeJson(*data);
    if (!args->metadata.empty()) body["metadata"] = metadata;
    if (!args->expires_at.empty()) body["expiresAt"] = args->expires_at;
    std::string text = body.dump();
    WipeJson(body);
    ApiReply reply;
    int code = Call(args->flags, "PUT", args->name, text, reply,
                    [&](ApiClient& c) { return "/v0/vault/" + c.Escape(args->name); });
    SecureWipe(text);
    if (code != kExitOk) std::exit(code);
    if (args->flags.json) {
      std::cout << reply.body.dump(2) << "\n";
    } else {
      std::cout << (reply.status == 201 ? "Stored " : "Updated ") << Str(reply.body, "name") << " ("
                << Str(reply.body, "type") << ", version " << reply.body.value("version", 0) << ", id "
                << Str(reply.body, "credentialId") << ")\n";
    }
    std::exit(kExitOk);
  });
}

void AddGet(CLI::App* vault) {
  struct Args {
    CommonFlags flags;
    std::string name, field;
    int version = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = vault->add_subcommand("get", "Print a decrypted credential");
  cmd->add_option("name", args->name, "Credential name")->required();
  cmd->add_option("--field", args->field, "Print only this data field's value (for scripts)");
  cmd->add_option("--version", args->version, "Read an earlier version")->check(CLI::PositiveNumber);
  AddCommonFlags(cmd, args->flags);
  cmd->callback([args] {
    ApiReply reply;
    int code = Call(args->flags, "GET", args->name, std::nullopt, reply, [&](ApiClient& c) {
      std::string path = "/v0/vault/" + c.Escape(args->name);
      if (args->version > 0) path += "?version=" + std::to_string(args->version);
      return path;
    });
    if (code != kExitOk) std::exit(code);
    const nlohmann::json& data = reply.body["data"];
    if (!args->field.empty()) {
      if (!data.is_object() || !data.contains(args->field)) {
        std::exit(Fail(kExitNotFound, "credential '" + args->name + "' has no data field '" + args->field + "'"));
      }
      std::cout << Plain(data[args->field]) << (isatty(STDOUT_FILENO) ? "\n" : "");
    } else if (args->flags.json) {
      std::cout << reply.body.dump(2) << "\n";
    } else {
      std::cout << Str(reply.body, "name") << "  " << Str(reply.body, "type") << "  version "
                << reply.body.value("version", 0) << "\n";
      for (const auto& [key, value] : data.items()) std::cout << "  " << key << ": " << Plain(value) << "\n";
      if (reply.body["metadata"].is_object() && !reply.body["metadata"].empty()) {
        std::cout << "metadata: " << reply.body["metadata"].dump() << "\n";
      }
      if (reply.body["expiresAt"].is_string()) std::cout << "expires: " << Str(reply.body, "expiresAt") << "\n";
    }
    WipeJson(reply.body);
    std::exit(kExitOk);
  });
}

void AddList(CLI::App* vault) {
  struct Args {
    CommonFlags flags;
    std::string type, prefix;
    int limit = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = vault->add_subcommand("list", "List credentials (names and metadata, never values)");
  cmd->add_option("--type", args->type, "Only this type");
  cmd->add_option("--prefix", args->prefix, "Only names starting with this");
  cmd->add_option("--limit", args->limit, "At most this many (default: all)")->check(CLI::PositiveNumber);
  AddCommonFlags(cmd, args->flags);
  cmd->callback([args] {
    nlohmann::json all = nlohmann::json::array();
    std::string cursor;
    while (true) {
      ApiReply reply;
      int code = Call(args->flags, "GET", "", std::nullopt, reply, [&](ApiClient& c) {
        std::string path = "/v0/vault?limit=" + std::to_string(args->limit > 0 ? std::min(args->limit, 500) : 500);
        if (!args->type.empty()) path += "&type=" + c.Escape(args->type);
        if (!args->prefix.empty()) path += "&prefix=" + c.Escape(args->prefix);
        if (!cursor.empty()) path += "&cursor=" + c.Escape(cursor);
        return path;
      });
      if (code != kExitOk) std::exit(code);
      for (auto& item : reply.body["credentials"]) all.push_back(item);
      const auto& next = reply.body["nextCursor"];
      if (!next.is_string() || (args->limit > 0 && all.size() >= static_cast<size_t>(args->limit))) break;
      cursor = next.get<std::string>();
    }
    if (args->flags.json) {
      std::cout << nlohmann::json{{"credentials", all}}.dump(2) << "\n";
    } else if (all.empty()) {
      std::cout << "No credentials.\n";
    } else {
      for (const auto& item : all) {
        std::printf("%-40s %-12s v%-4d %s\n", Str(item, "name").c_str(), Str(item, "type").c_str(),
                    item.value("version", 0), Str(item, "updatedAt").c_str());
      }
    }
    std::exit(kExitOk);
  });
}

void AddDelete(CLI::App* vault) {
  struct Args {
    CommonFlags flags;
    std::string name;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = vault->add_subcommand("delete", "Delete a credential and all its versions");
  cmd->add_option("name", args->name, "Credential name")->required();
  AddCommonFlags(cmd, args->flags);
  cmd->callback([args] {
    ApiReply reply;
    int code = Call(args->flags, "DELETE", args->name, std::nullopt, reply,
                    [&](ApiClient& c) { return "/v0/vault/" + c.Escape(args->name); });
    if (code != kExitOk) std::exit(code);
    if (args->flags.json) {
      std::cout << reply.body.dump(2) << "\n";
    } else {
      std::cout << "Deleted " << args->name << "\n";
    }
    std::exit(kExitOk);
  });
}

void AddTotp(CLI::App* vault) {
  struct Args {
    CommonFlags flags;
    std::string name;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = vault->add_subcommand(
      "totp", "Print the current 2FA code of a TOTP credential, or of a LOGIN with a totpSecret");
  cmd->add_option("name", args->name, "Credential name")->required();
  AddCommonFlags(cmd, args->flags);
  cmd->callback([args] {
    ApiReply reply;
    int code = Call(args->flags, "GET", args->name, std::nullopt, reply,
                    [&](ApiClient& c) { return "/v0/vault/" + c.Escape(args->name) + "/totp"; });
    if (code != kExitOk) std::exit(code);
    if (args->flags.json) {
      std::cout << reply.body.dump(2) << "\n";
    } else if (isatty(STDOUT_FILENO)) {
      std::cout << Str(reply.body, "code") << "  (valid for " << reply.body.value("remaining", 0) << " more seconds)\n";
    } else {
      std::cout << Str(reply.body, "code") << "\n";  // just the code, for $(coffer vault totp NAME)
    }
    std::exit(kExitOk);
  });
}

}  // namespace

void AddVaultCommands(CLI::App& app) {
  CLI::App* vault = app.add_subcommand("vault", "Store, read, list and delete credentials; TOTP codes");
  vault->require_subcommand(1);
  AddStore(vault);
  AddGet(vault);
  AddList(vault);
  AddDelete(vault);
  AddTotp(vault);
}

}  // namespace coffer::cli
