#include "cli/audit_commands.h"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/cli_support.h"
#include "cli/exit_codes.h"

namespace coffer::cli {
namespace {

struct FilterFlags {
  CommonFlags common;
  std::string actor, action, name, outcome, text, identity, since, until;
  int limit = 50;
};

void AddFilterFlags(CLI::App* cmd, FilterFlags& f) {
  cmd->add_option("--actor", f.actor, "Identity id of the actor");
  cmd->add_option("--identity", f.identity, "Only records of this identity's delegation subtree");
  cmd->add_option("--action", f.action, "Action or action family: credential.read, credential, identity, auth, ...");
  cmd->add_option("--name", f.name, "Target (a credential name, an identity id)");
  cmd->add_option("--outcome", f.outcome, "ok, denied, not_found or error");
  cmd->add_option("--search", f.text, "Free text in actor, action, target, reason, source IP");
  cmd->add_option("--since", f.since, "ISO 8601 start (inclusive)");
  cmd->add_option("--until", f.until, "ISO 8601 end (exclusive)");
  AddCommonFlags(cmd, f.common);
}

std::string Query(ApiClient& client, const FilterFlags& f) {
  std::string q;
  auto add = [&](const char* key, const std::string& value) {
    if (!value.empty()) q += std::string(q.empty() ? "?" : "&") + key + "=" + client.Escape(value);
  };
  add("actor", f.actor);
  add("identity", f.identity);
  add("action", f.action);
  add("name", f.name);
  add("outcome", f.outcome);
  add("q", f.text);
  add("since", f.since);
  add("until", f.until);
  return q;
}

void PrintEvent(const nlohmann::json& e) {
  std::cout << Str(e, "at") << "  #" << e.value("seq", 0) << "  " << Str(e, "outcome") << "  " << Str(e, "action");
  if (!Str(e, "target").empty()) std::cout << " " << Str(e, "target");
  if (e.contains("targetVersion") && !e["targetVersion"].is_null()) std::cout << " v" << e["targetVersion"].dump();
  const auto& actor = e.value("actor", nlohmann::json::object());
  std::cout << "  by " << (Str(actor, "name").empty() ? "(anonymous)" : Str(actor, "name"));
  if (!Str(e, "sourceIp").empty()) std::cout << " from " << Str(e, "sourceIp");
  if (!Str(e, "reason").empty()) std::cout << "  (" << Str(e, "reason") << ")";
  std::cout << "\n";
}

}  // namespace

void AddAuditCommands(CLI::App& app) {
  CLI::App* group = app.add_subcommand("audit", "The audit trail: list, tail, export, verify");
  group->require_subcommand(1);
  {
    auto f = std::make_shared<FilterFlags>();
    CLI::App* cmd = group->add_subcommand("list", "Records, newest first");
    AddFilterFlags(cmd, *f);
    cmd->add_option("--limit", f->limit, "How many (1-1000)")->check(CLI::Range(1, 1000));
    cmd->callback([f] {
      ApiClient client = ClientFor(f->common);
      std::string q = Query(client, *f);
      q += std::string(q.empty() ? "?" : "&") + "limit=" + std::to_string(f->limit);
      ApiReply reply;
      int code = Call(client, f->common, "GET", "/v0/audit" + q, "", std::nullopt, reply);
      if (code != kExitOk) std::exit(code);
      if (f->common.json) {
        std::cout << reply.body.dump(2) << "\n";
      } else {
        for (const auto& e : reply.body.value("events", nlohmann::json::array())) PrintEvent(e);
      }
      std::exit(kExitOk);
    });
  }
  {
    auto f = std::make_shared<FilterFlags>();
    auto follow = std::make_shared<bool>(false);
    CLI::App* cmd = group->add_subcommand("tail", "The latest records; -f keeps printing new ones");
    AddFilterFlags(cmd, *f);
    cmd->add_flag("-f,--follow", *follow, "Keep polling for new records (Ctrl-C to stop)");
    cmd->callback([f, follow] {
      ApiClient client = ClientFor(f->common);
      const std::string q = Query(client, *f);
      int64_t last_seq = 0;
      bool first = true;
      while (true) {
        // Newest first, page after page back to the last record shown, so that a burst of more
        // than a page between two polls is printed whole. The first poll shows the latest 20.
        std::vector<nlohmann::json> fresh;
        std::string cursor;
        while (true) {
          ApiReply reply;
          std::string path = "/v0/audit" + q + (q.empty() ? "?" : "&") + "limit=" + (first ? "20" : "1000");
          if (!cursor.empty()) path += "&cursor=" + cursor;
          int code = Call(client, f->common, "GET", path, "", std::nullopt, reply);
          if (code != kExitOk) std::exit(code);
          bool caught_up = false;
          for (auto& event : reply.body.value("events", nlohmann::json::array())) {
            if (event.value("seq", int64_t{0}) <= last_seq) {
              caught_up = true;
              break;
            }
            fresh.push_back(std::move(event));
          }
          const auto next = reply.body.value("nextCursor", nlohmann::json());
          if (first || caught_up || !next.is_string()) break;
          cursor = next.get<std::string>();
        }
        for (auto it = fresh.rbegin(); it != fresh.rend(); ++it) {  // oldest first
          last_seq = (*it).value("seq", int64_t{0});
          if (f->common.json) {
            std::cout << it->dump() << "\n";
          } else {
            PrintEvent(*it);
          }
        }
        std::cout.flush();
        first = false;
        if (!*follow) std::exit(kExitOk);
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    });
  }
  {
    auto f = std::make_shared<FilterFlags>();
    CLI::App* cmd = group->add_subcommand("export", "Every matching record as JSON Lines, oldest first");
    AddFilterFlags(cmd, *f);
    cmd->callback([f] {
      ApiReply reply;
      int code = Call(f->common, "GET", "", std::nullopt, reply,
                      [&](ApiClient& client) { return "/v0/audit/export" + Query(client, *f); });
      if (code != kExitOk) std::exit(code);
      // JSON Lines: one record parses as one JSON document, more stay as text.
      if (!reply.body.is_null()) {
        std::cout << reply.body.dump() << "\n";
      } else {
        std::cout << reply.raw_body;
      }
      std::exit(kExitOk);
    });
  }
  {
    auto flags = std::make_shared<CommonFlags>();
    CLI::App* cmd = group->add_subcommand("verify", "Walk the hash chain; name the first altered, missing or moved record");
    AddCommonFlags(cmd, *flags);
    cmd->callback([flags] {
      ApiReply reply;
      int code = Call(*flags, "GET", "", std::nullopt, reply, [](ApiClient&) { return "/v0/audit/verify"; });
      if (code != kExitOk) std::exit(code);
      if (flags->json) std::cout << reply.body.dump(2) << "\n";
      if (reply.body.value("ok", false)) {
        if (!flags->json) {
          std::cout << "The audit chain verifies: " << reply.body["checked"].dump() << " records";
          const int64_t first = reply.body.value("firstSeq", int64_t{1});
          if (first > 1) std::cout << " from record " << first << " (older ones pruned by retention)";
          std::cout << ", " << reply.body.value("checkpoints", int64_t{0}) << " signed checkpoints.\n";
        }
        std::exit(kExitOk);
      }
      if (!flags->json) std::cout << "TAMPERED: " << Str(reply.body, "problem") << "\n";
      std::exit(kExitError);
    });
  }
  {
    auto flags = std::make_shared<CommonFlags>();
    CLI::App* cmd = group->add_subcommand(
        "checkpoints", "The signed checkpoints and the Ed25519 public key that checks them (JSON), to keep elsewhere");
    AddCommonFlags(cmd, *flags);
    cmd->callback([flags] {
      ApiReply reply;
      int code = Call(*flags, "GET", "", std::nullopt, reply, [](ApiClient&) { return "/v0/audit/checkpoints"; });
      if (code != kExitOk) std::exit(code);
      std::cout << reply.body.dump(2) << "\n";
      std::exit(kExitOk);
    });
  }
}

}  // namespace coffer::cli
