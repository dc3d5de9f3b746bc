#include "cli/key_commands.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/cli_support.h"
#include "cli/exit_codes.h"

namespace coffer::cli {
namespace {

std::string Text(const nlohmann::json& j) {
  if (j.is_null()) return "-";
  return j.is_string() ? j.get<std::string>() : j.dump();
}

void PrintRewrap(const nlohmann::json& r) {
  std::cout << "Re-wrap: " << Text(r["state"]) << " (target KEK version " << Text(r["targetVersion"]) << ", "
            << Text(r["rewrapped"]) << " re-wrapped, " << Text(r["remaining"]) << " remaining)\n";
  if (r.contains("error")) std::cout << "  stopped: " << Text(r["error"]) << "\n";
}

void PrintKeyStatus(const nlohmann::json& s) {
  std::cout << "Root key provider: " << Text(s["rootKeyProvider"]) << "\n";
  std::cout << "Current KEK version: " << Text(s["currentKekVersion"]) << "\n";
  std::printf("%-8s %-22s %-12s %-14s %s\n", "KEK", "created", "DEKs", "encryptions", "");
  for (const auto& k : s["keks"]) {
    std::string note = k.value("current", false) ? "current" : (k.value("retirable", false) ? "retirable" : "");
    std::printf("%-8s %-22s %-12s %-14s %s\n", Text(k["version"]).c_str(), Text(k["createdAt"]).c_str(),
                Text(k["deks"]).c_str(), Text(k["encryptions"]).c_str(), note.c_str());
  }
  PrintRewrap(s["rewrap"]);
  for (const auto& [kind, event] : s["lastRotations"].items()) {
    if (event.is_null()) continue;
    std::cout << "Last " << kind << ": " << Text(event["at"]);
    if (event.contains("detail") && !Text(event["detail"]).empty()) std::cout << " (" << Text(event["detail"]) << ")";
    std::cout << "\n";
  }
}

void AddVaultRotate(CLI::App& app) {
  CLI::App* vault = app.get_subcommand("vault");
  struct Args {
    CommonFlags flags;
    std::string name;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = vault->add_subcommand(
      "rotate", "Re-encrypt a credential under fresh key material (same value, same versions)");
  cmd->add_option("name", args->name, "Credential name")->required();
  AddCommonFlags(cmd, args->flags);
  cmd->callback([args] {
    ApiReply reply;
    int code = Call(args->flags, "POST", args->name, std::nullopt, reply,
                    [&](ApiClient& client) { return "/v0/vault/" + client.Escape(args->name) + "/rotate"; });
    if (code != kExitOk) std::exit(code);
    if (args->flags.json) {
      std::cout << reply.body.dump(2) << "\n";
    } else {
      std::cout << "Rotated " << Text(reply.body["name"]) << " (version " << Text(reply.body["version"])
                << " re-encrypted under a fresh data key)\n";
    }
    std::exit(kExitOk);
  });
}

void AddKeysRotate(CLI::App* keys) {
  auto flags = std::make_shared<CommonFlags>();
  CLI::App* cmd = keys->add_subcommand(
      "rotate", "Make a new KEK version current now and re-wrap older DEKs in the background");
  AddCommonFlags(cmd, *flags);
  cmd->callback([flags] {
    ApiReply reply;
    int code = Call(*flags, "POST", "", std::nullopt, reply, [](ApiClient&) { return "/v0/keys/rotate"; });
    if (code != kExitOk) std::exit(code);
    if (flags->json) {
      std::cout << reply.body.dump(2) << "\n";
    } else {
      std::cout << "KEK version " << Text(reply.body["kekVersion"]) << " is current (was "
                << Text(reply.body["previousKekVersion"]) << ").\n";
      PrintRewrap(reply.body["rewrap"]);
    }
    std::exit(kExitOk);
  });
}

void AddKeysRotateAll(CLI::App* keys) {
  struct Args {
    CommonFlags flags;
    bool wait = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = keys->add_subcommand("rotate-all", "Re-wrap every DEK under the current KEK, in the background");
  AddCommonFlags(cmd, args->flags);
  cmd->add_flag("--wait", args->wait, "Wait until the re-wrap has finished, printing progress");
  cmd->callback([args] {
    ApiReply reply;
    int code = Call(args->flags, "POST", "", std::nullopt, reply, [](ApiClient&) { return "/v0/keys/rotate-all"; });
    if (code != kExitOk) std::exit(code);
    nlohmann::json rewrap = reply.body["rewrap"];
    while (args->wait && rewrap.value("state", "") == "running") {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      code = Call(args->flags, "GET", "", std::nullopt, reply, [](ApiClient&) { return "/v0/keys/status"; });
      if (code != kExitOk) std::exit(code);
      rewrap = reply.body["rewrap"];
      if (!args->flags.json) PrintRewrap(rewrap);
    }
    if (args->flags.json) {
      std::cout << nlohmann::json{{"rewrap", rewrap}}.dump(2) << "\n";
    } else {
      PrintRewrap(rewrap);
    }
    std::exit(rewrap.value("state", "") == "failed" ? kExitError : kExitOk);
  });
}

void AddKeysStatus(CLI::App* keys) {
  auto flags = std::make_shared<CommonFlags>();
  CLI::App* cmd = keys->add_subcommand("status", "KEK versions, the DEKs each wraps, re-wrap progress, rotations");
  AddCommonFlags(cmd, *flags);
  cmd->callback([flags] {
    ApiReply reply;
    int code = Call(*flags, "GET", "", std::nullopt, reply, [](ApiClient&) { return "/v0/keys/status"; });
    if (code != kExitOk) std::exit(code);
    if (flags->json) {
      std::cout << reply.body.dump(2) << "\n";
    } else {
      PrintKeyStatus(reply.body);
    }
    std::exit(kExitOk);
  });
}

void AddKeysRetire(CLI::App* keys) {
  struct Args {
    CommonFlags flags;
    long long version = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = keys->add_subcommand("retire", "Destroy KEK versions that no DEK uses any more");
  cmd->add_option("--version", args->version, "Only this KEK version (default: every retirable one)")
      ->check(CLI::Range(1LL, 4294967295LL));
  AddCommonFlags(cmd, args->flags);
  cmd->callback([args] {
    std::optional<std::string> body;
    if (args->version > 0) body = nlohmann::json{{"version", args->version}}.dump();
    ApiReply reply;
    int code = Call(args->flags, "POST", "", body, reply, [](ApiClient&) { return "/v0/keys/retire"; });
    if (code != kExitOk) std::exit(code);
    if (args->flags.json) {
      std::cout << reply.body.dump(2) << "\n";
    } else if (reply.body["retired"].empty()) {
      std::cout << "No KEK version is retirable (each one is current or still wraps DEKs).\n";
    } else {
      std::cout << "Retired KEK version(s): " << reply.body["retired"].dump() << "\n";
    }
    std::exit(kExitOk);
  });
}

void AddStatus(CLI::App& app) {
  auto flags = std::make_shared<CommonFlags>();
  CLI::App* cmd = app.add_subcommand("status", "Server status: credential counts, keys, storage, uptime");
  AddCommonFlags(cmd, *flags);
  cmd->callback([flags] {
    ApiReply reply;
    int code = Call(*flags, "GET", "", std::nullopt, reply, [](ApiClient&) { return "/v0/status"; });
    if (code != kExitOk) std::exit(code);
    if (flags->json) {
      std::cout << reply.body.dump(2) << "\n";
      std::exit(kExitOk);
    }
    const auto& s = reply.body;
    std::cout << "Credentials: " << Text(s["credentials"]["total"]) << "\n";
    for (const auto& [type, count] : s["credentials"]["byType"].items()) {
      if (count.is_number() && count.get<int64_t>() > 0) std::printf("  %-12s %s\n", type.c_str(), Text(count).c_str());
    }
    std::cout << "Storage: " << Text(s["storage"]["engine"]) << "   Sealed: " << (s.value("sealed", false) ? "yes" : "no")
              << "   Uptime: " << Text(s["uptimeSeconds"]) << " s\n";
    if (s["storage"].contains("node")) std::cout << "Node: " << Text(s["storage"]["node"]) << "\n";
    for (const auto& lease : s["storage"].value("leases", nlohmann::json::array())) {
      std::cout << "  Lease " << Text(lease["name"]) << ": "
                << (lease.value("held", false) ? "held by " + Text(lease["holder"]) + " until " + Text(lease["expiresAt"])
                                               : "free (last held by " + Text(lease["holder"]) + ")")
                << ", fencing token " << Text(lease["fencingToken"]) << "\n";
    }
    std::cout << "Root key provider: " << Text(s["keys"]["rootKeyProvider"]) << "   Current KEK version: "
              << Text(s["keys"]["currentKekVersion"]) << "\n";
    for (const auto& k : s["keys"]["keks"]) {
      std::cout << "  KEK " << Text(k["version"]) << ": " << Text(k["deks"]) << " DEKs"
                << (k.value("current", false) ? " (current)" : "") << "\n";
    }
    std::exit(kExitOk);
  });
}

}  // namespace

void AddKeyCommands(CLI::App& app) {
  AddVaultRotate(app);
  CLI::App* keys = app.add_subcommand("keys", "Key management: KEK rotation, re-wrap, retirement, root key rotation");
  keys->require_subcommand(1);
  AddKeysRotate(keys);
  AddKeysRotateAll(keys);
  AddKeysStatus(keys);
  AddKeysRetire(keys);
  AddStatus(app);
}

}  // namespace coffer::cli
