#include "cli/env_commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <set>

#include "cli/cli_support.h"
#include "cli/env_mapping.h"
#include "cli/exit_codes.h"
#include "core/credential.h"
#include "core/private_file.h"
#include "core/secure_wipe.h"
#include "formats/dotenv_writer.h"

extern char** environ;

namespace coffer::cli {
namespace {

// A shell's codes for a command that could not be started, so `coffer run` reads like `sh -c`.
constexpr int kExitCommandNotFound = 127;
constexpr int kExitCommandNotExecutable = 126;
constexpr int kMaxPage = 500;

struct Selection {
  std::vector<std::string> names;  // these credentials, or
  std::string prefix;              // those whose names start with this ("" and no names: all)
};

// The selected credentials with their data, in name order (or the order given). On failure the
// message is printed and the exit code returned.
int FetchCredentials(ApiClient& client, const CommonFlags& flags, const Selection& selection,
                     std::vector<nlohmann::json>& out) {
  std::vector<std::string> names = selection.names;
  if (names.empty()) {
    std::string cursor;
    do {
      std::string path = "/v0/vault?limit=" + std::to_string(kMaxPage);
      if (!selection.prefix.empty()) path += "&prefix=" + client.Escape(selection.prefix);
      if (!cursor.empty()) path += "&cursor=" + client.Escape(cursor);
      ApiReply reply;
      if (int code = Call(client, flags, "GET", path, "", std::nullopt, reply); code != kExitOk) return code;
      for (const auto& item : reply.body.value("credentials", nlohmann::json::array())) {
        names.push_back(Str(item, "name"));
      }
      cursor = Str(reply.body, "nextCursor");
    } while (!cursor.empty());
  }
  for (const std::string& name : names) {
    ApiReply reply;
    if (int code = Call(client, flags, "GET", "/v0/vault/" + client.Escape(name), name, std::nullopt, reply);
        code != kExitOk) {
      for (auto& fetched : out) WipeJson(fetched);
      return code;
    }
    out.push_back(std::move(reply.body));
  }
  return kExitOk;
}

// The variables of the selection; on failure prints why and returns the exit code.
int SelectedVariables(const CommonFlags& flags, const Selection& selection, std::vector<EnvVar>& vars,
                      size_t& credential_count) {
  std::vector<nlohmann::json> credentials;
  {
    ApiClient client = ClientFor(flags);
    if (int code = FetchCredentials(client, flags, selection, credentials); code != kExitOk) return code;
  }
  credential_count = credentials.size();
  auto collected = CollectEnvVars(credentials);
  for (auto& credential : credentials) WipeJson(credential);
  if (!collected.ok()) return Fail(kExitUsage, collected.error().message);
  vars = std::move(collected).value();
  return kExitOk;
}

// The file holds secrets, so it is written through core's private-file path (0600, never a
// partial file). A symlink there is refused rather than replaced: it was most likely put there on
// purpose, and replacing it would silently cut the link.
Status WritePrivate(const std::string& path, const std::string& text) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot write " + path + ": it is a symbolic link");
  }
  return WritePrivateFile(path, text);
}

Result<std::string> Render(std::vector<EnvVar>& vars, const std::string& format) {
  if (format == "json") {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const EnvVar& var : vars) object[var.name] = var.value;
    std::string text = object.dump(2) + "\n";
    for (auto& item : object) SecureWipe(item.get_ref<std::string&>());
    return text;
  }
  std::vector<DotenvEntry> entries;
  entries.reserve(vars.size());
  for (const EnvVar& var : vars) entries.push_back(DotenvEntry{var.name, var.value, 0});
  return WriteDotenv(entries);  // the entries wipe their values
}

}  // namespace

void AddExportCommand(CLI::App& app) {
  struct Args {
    CommonFlags flags;
    Selection selection;
    std::string format = "env", output;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write credentials as a .env file (or JSON) that dotenv reads back to the same values");
  cmd->add_option("names", args->selection.names, "Credentials to export (default: all)");
  cmd->add_option("--prefix", args->selection.prefix, "Only credentials whose names start with this");
  cmd->add_option("--format", args->format, "env (default) or json")->check(CLI::IsMember({"env", "json"}));
  cmd->add_option("-o,--output", args->output, "Write to this file (mode 0600) instead of stdout");
  cmd->add_option("--addr", args->flags.addr, "Server address (env COFFER_ADDR, default http://127.0.0.1:8720)");
  cmd->add_option("--token", args->flags.token, "Bearer token (env COFFER_TOKEN)");
  cmd->callback([args] {
    if (!args->selection.names.empty() && !args->selection.prefix.empty()) {
      std::exit(Fail(kExitUsage, "give credential NAMES or --prefix, not both"));
    }
    std::vector<EnvVar> vars;
    size_t credentials = 0;
    if (int code = SelectedVariables(args->flags, args->selection, vars, credentials); code != kExitOk) {
      std::exit(code);
    }
    auto text = Render(vars, args->format);
    vars.clear();
    if (!text.ok()) std::exit(Fail(kExitUsage, text.error().message));
    if (args->output.empty()) {
      std::fwrite(text->data(), 1, text->size(), stdout);
      std::fflush(stdout);
    } else {
      Status written = WritePrivate(args->output, *text);
      if (!written.ok()) {
        SecureWipe(*text);
        std::exit(Fail(kExitError, written.error().message));
      }
      std::fprintf(stderr, "Wrote %zu credentials to %s (mode 0600).\n", credentials, args->output.c_str());
    }
    SecureWipe(*text);
    std::exit(kExitOk);
  });
}

void AddRunCommand(CLI::App& app) {
  struct Args {
    CommonFlags flags;
    Selection selection;
    std::vector<std::string> command;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a command with credentials as environment variables: coffer run [--only A,B] -- CMD ARGS");
  // One value per --only: a multi-value option would take the `--` before CMD as its own end.
  cmd->add_option("--only", args->selection.names, "Only these credentials (comma-separated, or repeat)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--prefix", args->selection.prefix, "Only credentials whose names start with this");
  cmd->add_option("command", args->command, "The command and its arguments, after --")->required();
  cmd->add_option("--addr", args->flags.addr, "Server address (env COFFER_ADDR, default http://127.0.0.1:8720)");
  cmd->add_option("--token", args->flags.token, "Bearer token (env COFFER_TOKEN)");
  cmd->callback([args] {
    if (!args->selection.names.empty() && !args->selection.prefix.empty()) {
      std::exit(Fail(kExitUsage, "give --only or --prefix, not both"));
    }
    std::vector<EnvVar> vars;
    size_t credentials = 0;
    if (int code = SelectedVariables(args->flags, args->selection, vars, credentials); code != kExitOk) {
      std::exit(code);
    }
    // The environment: ours, minus the names the credentials set, plus the credentials. Minus
    // COFFER_TOKEN too: the command gets the credentials chosen for it, not the key to the vault.
    std::set<std::string> names = {"COFFER_TOKEN"};
    for (const EnvVar& var : vars) names.insert(var.name);
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string_view entry(*e);
      if (names.count(std::string(entry.substr(0, entry.find('=')))) == 0) env.emplace_back(entry);
    }
    for (const EnvVar& var : vars) env.push_back(var.name + "=" + var.value);
    vars.clear();
    std::vector<char*> envp, argv;
    for (auto& entry : env) envp.push_back(entry.data());
    envp.push_back(nullptr);
    for (auto& word : args->command) argv.push_back(word.data());
    argv.push_back(nullptr);
    // exec, not fork: the command takes over this process, so its exit status is ours and the
    // signals a terminal or supervisor sends (SIGINT, SIGTERM, ...) reach it directly, with no
    // parent left holding the secrets in memory.
    ::execvpe(argv[0], argv.data(), envp.data());
    const int err = errno;
    for (auto& entry : env) SecureWipe(entry);
    std::exit(Fail(err == ENOENT ? kExitCommandNotFound : kExitCommandNotExecutable,
                   args->command[0] + ": " + std::strerror(err)));
  });
}

}  // namespace coffer::cli
