#include "cli/identity_commands.h"

#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/cli_support.h"
#include "cli/exit_codes.h"
#include "core/credential.h"
#include "core/secret_input.h"
#include "core/secure_wipe.h"

namespace coffer::cli {
namespace {

using BodyBuilder = std::function<Result<std::optional<nlohmann::json>>()>;
using Printer = std::function<void(const nlohmann::json&)>;

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

void PrintIdentity(const nlohmann::json& i) {
  std::cout << Str(i, "id") << "  " << Str(i, "name") << "  " << Str(i, "kind");
  if (i.contains("role")) std::cout << " (" << Str(i, "role") << ")";
  std::cout << "  scopes=" << Join(i.value("scopes", nlohmann::json::array()));
  if (!i.value("parentId", nlohmann::json()).is_null()) std::cout << "  parent=" << Str(i, "parentId");
  if (i.value("reveal", true) == false) std::cout << "  masked";
  if (!i.value("revokedAt", nlohmann::json()).is_null()) std::cout << "  REVOKED " << Str(i, "revokedAt");
  std::cout << "\n";
}

void PrintToken(const nlohmann::json& t) {
  std::cout << Str(t, "id") << "  " << Str(t, "name") << "  scopes=" << Join(t.value("scopes", nlohmann::json::array()));
  if (!t.value("expiresAt", nlohmann::json()).is_null()) std::cout << "  expires " << Str(t, "expiresAt");
  if (!t.value("cidrs", nlohmann::json::array()).empty()) std::cout << "  from " << Join(t["cidrs"]);
  if (!t.value("revokedAt", nlohmann::json()).is_null()) std::cout << "  REVOKED";
  std::cout << "\n";
}

void PrintGrant(const nlohmann::json& g) {
  std::cout << Str(g, "id") << "  " << Str(g, "granterId") << " -> " << Str(g, "granteeId") << "  "
            << Str(g, "pattern") << "  scopes=" << Join(g.value("scopes", nlohmann::json::array()));
  if (!g.value("revokedAt", nlohmann::json()).is_null()) std::cout << "  REVOKED";
  std::cout << "\n";
}

// A token is printed once, on stdout alone (so `$(coffer token create ...)` captures just it),
// with a reminder on stderr.
void PrintNewToken(const nlohmann::json& t) {
  std::cerr << "Token " << Str(t, "id") << " (" << Str(t, "name") << "): shown once, store it now.\n";
  std::cout << Str(t, "token") << "\n";
}

// One request, one reply: the shape of every command here.
int Run(const CommonFlags& flags, const std::string& method, const std::function<std::string(ApiClient&)>& path,
        const BodyBuilder& body_builder, const Printer& print) {
  std::optional<std::string> body;
  if (body_builder) {
    auto built = body_builder();
    if (!built.ok()) return Fail(kExitUsage, built.error().message);
    if (*built) {
      body = (*built)->dump();
      WipeJson(**built);
    }
  }
  ApiReply reply;
  int code = Call(flags, method, "", body, reply, path);
  if (body) SecureWipe(*body);
  if (code != kExitOk) return code;
  if (flags.json) {
    std::cout << reply.body.dump(2) << "\n";
  } else {
    print(reply.body);
  }
  WipeJson(reply.body);
  return kExitOk;
}

// COFFER_PASSWORD, else a no-echo prompt, else one line of stdin.
Result<std::string> PasswordFromEnvOrPrompt(const std::string& prompt) {
  if (const char* env = std::getenv("COFFER_PASSWORD"); env != nullptr && *env != '\0') return std::string(env);
  return ReadSecretLine(prompt, /*confirm=*/false);
}

void AddOrg(CLI::App& app) {
  CLI::App* group = app.add_subcommand("org", "Orgs: separate tenants that share nothing");
  group->require_subcommand(1);
  struct Args { CommonFlags flags; std::string name; };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand(
      "create", "Create an org with its own keys and owner (server's first owner only); prints the owner token once");
  cmd->add_option("name", a->name, "The org's name")->required();
  AddCommonFlags(cmd, a->flags);
  cmd->callback([a] {
    std::exit(Run(a->flags, "POST", [](ApiClient&) { return std::string("/v0/orgs"); },
                  [a]() -> Result<std::optional<nlohmann::json>> {
                    return std::optional<nlohmann::json>(nlohmann::json{{"name", a->name}});
                  },
                  [](const nlohmann::json& org) {
                    std::cerr << "Org " << Str(org, "orgId") << " (" << Str(org, "name") << "), owner "
                              << Str(org, "ownerId") << ": the owner token is shown once, store it now.\n";
                    std::cout << Str(org, "ownerToken") << "\n";
                  }));
  });
}

void AddIdentity(CLI::App& app) {
  CLI::App* group = app.add_subcommand("identity", "Agent identities: create, list, revoke, restore");
  group->require_subcommand(1);
  {
    struct Args { CommonFlags flags; std::string name, parent, scopes; bool masked = false; };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("create", "Create an agent identity (a sub-identity of yours by default)");
    cmd->add_option("name", a->name, "Identity name, e.g. billing-agent")->required();
    cmd->add_option("--parent", a->parent, "Parent identity id (default: your own identity)");
    cmd->add_option("--scopes", a->scopes, "Comma-separated scopes (default: the parent's, within your token's)");
    cmd->add_flag("--no-reveal", a->masked,
                  "It and every identity below it see secret values only masked, whatever their tokens say");
    AddCommonFlags(cmd, a->flags);
    cmd->callback([a] {
      std::exit(Run(a->flags, "POST", [](ApiClient&) { return "/v0/identities"; },
                    [a]() -> Result<std::optional<nlohmann::json>> {
                      nlohmann::json body = {{"name", a->name}};
                      if (!a->parent.empty()) body["parentId"] = a->parent;
                      if (!a->scopes.empty()) body["scopes"] = SplitList(a->scopes);
                      if (a->masked) body["reveal"] = false;
                      return std::optional<nlohmann::json>(body);
                    },
                    PrintIdentity));
    });
  }
  {
    auto flags = std::make_shared<CommonFlags>();
    CLI::App* cmd = group->add_subcommand("list", "Identities you manage");
    AddCommonFlags(cmd, *flags);
    cmd->callback([flags] {
      std::exit(Run(*flags, "GET", [](ApiClient&) { return "/v0/identities"; }, nullptr, [](const nlohmann::json& r) {
        for (const auto& i : r.value("identities", nlohmann::json::array())) PrintIdentity(i);
      }));
    });
  }
  struct Simple { const char* name; const char* help; const char* method; const char* suffix; };
  for (Simple s : {Simple{"get", "Show one identity", "GET", ""},
                   Simple{"revoke", "Revoke an identity: its tokens, sub-identities and grants stop at once", "POST", "/revoke"},
                   Simple{"restore", "Restore a revoked identity (org owners and admins)", "POST", "/restore"},
                   Simple{"purge", "Delete every credential of a revoked identity (org owners and admins)", "DELETE", "/credentials"}}) {
    struct Args { CommonFlags flags; std::string id; };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(s.name, s.help);
    cmd->add_option("id", a->id, "Identity id (idn_...)")->required();
    AddCommonFlags(cmd, a->flags);
    std::string method = s.method, suffix = s.suffix;
    cmd->callback([a, method, suffix] {
      std::exit(Run(a->flags, method, [a, suffix](ApiClient& c) { return "/v0/identities/" + c.Escape(a->id) + suffix; },
                    nullptr, [](const nlohmann::json& r) {
                      if (r.contains("purged")) {
                        std::cout << "Purged " << r["purged"].dump() << " credentials\n";
                      } else {
                        PrintIdentity(r);
                      }
                    }));
    });
  }
}

void AddToken(CLI::App& app) {
  CLI::App* group = app.add_subcommand("token", "API tokens of an identity: create, list, revoke");
  group->require_subcommand(1);
  {
    struct Args { CommonFlags flags; std::string identity, name, scopes, expires_at; std::vector<std::string> cidrs; bool masked = false; };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("create", "Issue a token (printed once)");
    cmd->add_option("identity", a->identity, "Identity id (idn_...)")->required();
    cmd->add_option("--name", a->name, "What the token is for, e.g. ci-deploy")->required();
    cmd->add_option("--scopes", a->scopes, "Comma-separated scopes (default: the identity's, within yours)");
    cmd->add_option("--expires-at", a->expires_at, "Expiry, ISO 8601");
    cmd->add_option("--cidr", a->cidrs, "Allowed source network, repeatable (10.0.0.0/8)");
    cmd->add_flag("--no-reveal", a->masked, "The holder sees secret values only masked (reveal: false)");
    AddCommonFlags(cmd, a->flags);
    cmd->callback([a] {
      std::exit(Run(a->flags, "POST", [a](ApiClient& c) { return "/v0/identities/" + c.Escape(a->identity) + "/tokens"; },
                    [a]() -> Result<std::optional<nlohmann::json>> {
                      nlohmann::json body = {{"name", a->name}};
                      if (!a->scopes.empty()) body["scopes"] = SplitList(a->scopes);
                      if (!a->expires_at.empty()) body["expiresAt"] = a->expires_at;
                      if (!a->cidrs.empty()) body["cidrs"] = a->cidrs;
                      if (a->masked) body["reveal"] = false;
                      return std::optional<nlohmann::json>(body);
                    },
                    PrintNewToken));
    });
  }
  {
    struct Args { CommonFlags flags; std::string identity; };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("list", "List an identity's tokens (never the secret part)");
    cmd->add_option("identity", a->identity, "Identity id (idn_...)")->required();
    AddCommonFlags(cmd, a->flags);
    cmd->callback([a] {
      std::exit(Run(a->flags, "GET", [a](ApiClient& c) { return "/v0/identities/" + c.Escape(a->identity) + "/tokens"; },
                    nullptr, [](const nlohmann::json& r) {
                      for (const auto& t : r.value("tokens", nlohmann::json::array())) PrintToken(t);
                    }));
    });
  }
  {
    struct Args { CommonFlags flags; std::string identity, token; };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("revoke", "Revoke one token");
    cmd->add_option("identity", a->identity, "Identity id (idn_...)")->required();
    cmd->add_option("token", a->token, "Token id (tok_...)")->required();
    AddCommonFlags(cmd, a->flags);
    cmd->callback([a] {
      std::exit(Run(a->flags, "DELETE",
                    [a](ApiClient& c) { return "/v0/identities/" + c.Escape(a->identity) + "/tokens/" + c.Escape(a->token); },
                    nullptr, [a](const nlohmann::json&) { std::cout << "Revoked " << a->token << "\n"; }));
    });
  }
}

void AddGrant(CLI::App& app) {
  CLI::App* group = app.add_subcommand("grant", "Share credentials with a sub-identity: create, list, revoke");
  group->require_subcommand(1);
  {
    struct Args { CommonFlags flags; std::string granter, grantee, pattern, scopes, expires_at; };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("create", "Let a sub-identity use some of an identity's credentials");
    cmd->add_option("granter", a->granter, "The identity whose credentials are shared (idn_...)")->required();
    cmd->add_option("--to", a->grantee, "The sub-identity receiving access (idn_...)")->required();
    cmd->add_option("--pattern", a->pattern, "A credential name, or a prefix ending in * (crm:*)")->required();
    cmd->add_option("--scopes", a->scopes, "Comma-separated: vault:read, vault:write, vault:delete, vault:use")->required();
    cmd->add_option("--expires-at", a->expires_at, "Expiry, ISO 8601");
    AddCommonFlags(cmd, a->flags);
    cmd->callback([a] {
      std::exit(Run(a->flags, "POST", [a](ApiClient& c) { return "/v0/identities/" + c.Escape(a->granter) + "/grants"; },
                    [a]() -> Result<std::optional<nlohmann::json>> {
                      nlohmann::json body = {{"granteeId", a->grantee}, {"pattern", a->pattern}, {"scopes", SplitList(a->scopes)}};
                      if (!a->expires_at.empty()) body["expiresAt"] = a->expires_at;
                      return std::optional<nlohmann::json>(body);
                    },
                    PrintGrant));
    });
  }
  {
    struct Args { CommonFlags flags; std::string identity; };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("list", "Grants given by and to an identity");
    cmd->add_option("identity", a->identity, "Identity id (idn_...)")->required();
    AddCommonFlags(cmd, a->flags);
    cmd->callback([a] {
      std::exit(Run(a->flags, "GET", [a](ApiClient& c) { return "/v0/identities/" + c.Escape(a->identity) + "/grants"; },
                    nullptr, [](const nlohmann::json& r) {
                      for (const auto& g : r.value("grants", nlohmann::json::array())) PrintGrant(g);
                    }));
    });
  }
  {
    struct Args { CommonFlags flags; std::string identity, grant; };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("revoke", "Revoke one grant");
    cmd->add_option("identity", a->identity, "Granter or grantee identity id (idn_...)")->required();
    cmd->add_option("grant", a->grant, "Grant id (grt_...)")->required();
    AddCommonFlags(cmd, a->flags);
    cmd->callback([a] {
      std::exit(Run(a->flags, "DELETE",
                    [a](ApiClient& c) { return "/v0/identities/" + c.Escape(a->identity) + "/grants/" + c.Escape(a->grant); },
                    nullptr, [a](const nlohmann::json&) { std::cout << "Revoked " << a->grant << "\n"; }));
    });
  }
}

void AddSession(CLI::App& app) {
  {
    struct Args { CommonFlags flags; std::string username, totp; };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("login", "Log in as a person; prints a session token (12 h)");
    cmd->add_option("username", a->username, "Your username")->required();
    cmd->add_option("--totp", a->totp, "The 6-digit code from your authenticator app, when two-factor login is on");
    AddCommonFlags(cmd, a->flags);
    cmd->footer("The password comes from COFFER_PASSWORD, else a no-echo prompt, else one line of stdin.");
    cmd->callback([a] {
      std::exit(Run(a->flags, "POST", [](ApiClient&) { return "/v0/auth/login"; },
                    [a]() -> Result<std::optional<nlohmann::json>> {
                      auto password = PasswordFromEnvOrPrompt("Password");
                      if (!password.ok()) return password.error();
                      nlohmann::json body = {{"username", a->username}, {"password", *password}};
                      if (!a->totp.empty()) body["totp"] = a->totp;
                      SecureWipe(*password);
                      return std::optional<nlohmann::json>(std::move(body));
                    },
                    PrintNewToken));
    });
  }
  {
    auto flags = std::make_shared<CommonFlags>();
    CLI::App* cmd = app.add_subcommand("whoami", "Who this token is: identity, scopes, delegation chain");
    AddCommonFlags(cmd, *flags);
    cmd->callback([flags] {
      std::exit(Run(*flags, "GET", [](ApiClient&) { return "/v0/me"; }, nullptr, [](const nlohmann::json& me) {
        const auto& identity = me.value("identity", nlohmann::json::object());
        std::cout << Str(identity, "name") << " (" << Str(identity, "id") << ", " << Str(identity, "kind");
        if (identity.contains("role")) std::cout << ", " << Str(identity, "role");
        std::cout << ")\n  token   " << Str(me, "tokenId") << "\n  scopes  " << Join(me.value("scopes", nlohmann::json::array()))
                  << "\n  chain   ";
        std::string chain;
        for (const auto& link : me.value("chain", nlohmann::json::array())) chain += (chain.empty() ? "" : " > ") + Str(link, "name");
        std::cout << chain << "\n";
      }));
    });
  }
  {
    auto flags = std::make_shared<CommonFlags>();
    CLI::App* cmd = app.add_subcommand("passwd", "Set your password (the bootstrap owner sets its first one with its token)");
    AddCommonFlags(cmd, *flags);
    cmd->footer("Passwords come from COFFER_PASSWORD (current) and COFFER_NEW_PASSWORD, else prompts.");
    cmd->callback([flags] {
      std::exit(Run(*flags, "PUT", [](ApiClient&) { return "/v0/me/password"; },
                    []() -> Result<std::optional<nlohmann::json>> {
                      std::string current;
                      if (const char* env = std::getenv("COFFER_PASSWORD")) current = env;
                      std::string next;
                      if (const char* env = std::getenv("COFFER_NEW_PASSWORD"); env != nullptr && *env != '\0') {
                        next = env;
                      } else {
                        if (current.empty() && isatty(STDIN_FILENO)) {
                          auto typed = ReadSecretLine("Current password (empty if none)", /*confirm=*/false);
                          if (!typed.ok()) return typed.error();
                          current = std::move(*typed);
                        }
                        // Confirmed on a terminal: a typo here would lock the person out.
                        auto typed = ReadSecretLine("New password", /*confirm=*/true);
                        if (!typed.ok()) {
                          SecureWipe(current);
                          return typed.error();
                        }
                        next = std::move(*typed);
                      }
                      nlohmann::json body = {{"newPassword", next}};
                      if (!current.empty()) body["currentPassword"] = current;
                      SecureWipe(current);
                      SecureWipe(next);
                      return std::optional<nlohmann::json>(std::move(body));
                    },
                    [](const nlohmann::json& r) { std::cout << "Password set for " << Str(r, "username") << "\n"; }));
    });
  }
}

}  // namespace

void AddSecondFactor(CLI::App& app) {
  CLI::App* group = app.add_subcommand("2fa", "Two-factor login for people: enable, confirm, disable");
  group->require_subcommand(1);
  {
    auto flags = std::make_shared<CommonFlags>();
    CLI::App* cmd = group->add_subcommand("enable", "Make a TOTP key for your authenticator app (confirm it next)");
    AddCommonFlags(cmd, *flags);
    cmd->callback([flags] {
      std::exit(Run(*flags, "POST", [](ApiClient&) { return "/v0/me/2fa"; }, nullptr, [](const nlohmann::json& r) {
        std::cerr << "Add this to your authenticator app (shown once), then run `coffer 2fa confirm CODE`:\n";
        std::cout << Str(r, "otpauthUri") << "\n";
      }));
    });
  }
  for (const std::string step : {"confirm", "disable"}) {
    struct Args { CommonFlags flags; std::string code; };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        step, step == "confirm" ? "Turn two-factor login on with a code from the app"
                                : "Turn two-factor login off (needs a current code)");
    cmd->add_option("code", a->code, "The current 6-digit code")->required();
    AddCommonFlags(cmd, a->flags);
    cmd->callback([a, step] {
      std::exit(Run(a->flags, "POST", [step](ApiClient&) { return "/v0/me/2fa/" + step; },
                    [a]() -> Result<std::optional<nlohmann::json>> {
                      return std::optional<nlohmann::json>(nlohmann::json{{"code", a->code}});
                    },
                    [step](const nlohmann::json&) {
                      std::cout << "Two-factor login is " << (step == "confirm" ? "on" : "off") << ".\n";
                    }));
    });
  }
}

void AddIdentityCommands(CLI::App& app) {
  AddOrg(app);
  AddIdentity(app);
  AddToken(app);
  AddGrant(app);
  AddSession(app);
  AddSecondFactor(app);
}

}  // namespace coffer::cli
