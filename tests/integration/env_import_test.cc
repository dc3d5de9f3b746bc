// .env import, `coffer run` and `coffer export` against the real binary. The reference for what a
// .env file means is npm dotenv itself (installed by tests/dotenv/install_dotenv.sh): the values
// `coffer run` hands a command, and those `coffer export` writes, must be exactly what dotenv reads
// from the original file.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "coffer_process.h"
#include "test_keys.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

constexpr const char* kPlanted = "PLANTED-env1mp0rt-c0ffee-5ecret";

// A realistic project .env: 45 variables of every kind the importer recognises, in every quoting
// style dotenv accepts.
std::string RealisticDotenv() {
  return std::string(R"(# Payments
STRIPE_SECRET_KEY=sk_live_51HqLyjWDarjtT1zdp7dc4eC39HqLyjWD
STRIPE_WEBHOOK_SECRET="whsec_5f8d2a9c1b7e4f3a6d0c8b2e9f1a7d3c"
STRIPE_PUBLISHABLE_KEY=pk_live_51HqLyjWDarjtT1zdp7dcPUBLIC
# AWS
AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
AWS_REGION=eu-west-1
GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a
SLACK_BOT_TOKEN=xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy
SLACK_SIGNING_SECRET=8f742231b10e8888abcd99aaabbb85a5
OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLmN0pQrStUvWxYz1234567890
ANTHROPIC_API_KEY='sk-ant-api03-Xy9_Zw8-Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe'
GOOGLE_API_KEY=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY
SENDGRID_API_KEY=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
TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef
TWILIO_AUTH_TOKEN=fedcba9876543210fedcba9876543210
NOTION_TOKEN=ntn_4108772183925xRk1bQm2Cv3Dn4Ep5Fq6Gr7Hs8It9Ju
HUBSPOT_ACCESS_TOKEN=pat-na1-11111111-2222-3333-4444-555555555555
NPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789
GITLAB_TOKEN=glpat-xxxxXXXX1234yyyyZZZZ
TELEGRAM_BOT_TOKEN=123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw
ELEVENLABS_API_KEY=sk_3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a
export CLOUDFLARE_API_TOKEN=Zk9_abcdefghijklmnopqrstuvwxyz0123456789
# Databases
DATABASE_URL=postgres://app:s3cr%40t@db.internal:5432/app?sslmode=require
REDIS_URL="redis://:p4ss-w0rd@cache.internal:6379/0"
MONGODB_URI=mongodb+srv://agent:m0ng0-pw@cluster0.example.mongodb.net/app?retryWrites=true&w=majority
# Mail
SMTP_HOST=smtp.sendgrid.net
SMTP_PORT=587
SMTP_USER=apikey
SMTP_PASS="smtp password with spaces & symbols !@#"
SMTP_FROM="Coffer Bot <bot@example.com>"
# Auth
JWT_SECRET=Qm9vdHN0cmFwLXNlY3JldC1mb3ItdGVzdGluZy1vbmx5
SESSION_JWT=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U
ADMIN_PASSWORD="p@ss w0rd with 'quotes' and spaces"
PRIVATE_KEY=")") + kTestPemPrivateKey + R"("
DEPLOY_SSH_KEY=")" + kTestSshPrivateKey + R"("
SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX
# Configuration
PORT=3000
NODE_ENV=production
LOG_LEVEL=info
APP_URL=https://app.example.com
API_TIMEOUT=30 # seconds
FEATURE_FLAGS=
GREETING='Hello "world" $HOME \n stays literal'
QUOTES=`it's "both" kinds`
MULTILINE_NOTE="line one\nline two"
WELCOME_TEXT="héllo wörld ✓"
CONNECTION_OPTS=a=1&b=2
LOG_LEVEL=debug
)";
}

std::string Slurp(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  ::pclose(pipe);
  return out;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// npm dotenv's parse() of a file: the reference every comparison here is made against.
json DotenvParse(const std::string& file) {
  static const bool installed = [] {
    const std::string install = std::string("bash ") + COFFER_SOURCE_DIR + "/tests/dotenv/install_dotenv.sh " +
                                COFFER_DOTENV_NPM_DIR + " >&2";
    return std::system(install.c_str()) == 0;
  }();
  EXPECT_TRUE(installed) << "could not install npm dotenv (needs node and npm)";
  const std::string script =
      "const d=require(require('path').join(process.argv[1],'node_modules','dotenv'));"
      "process.stdout.write(JSON.stringify(d.parse(require('fs').readFileSync(process.argv[2]))))";
  const std::string out = Slurp("node -e \"" + script + "\" " + COFFER_DOTENV_NPM_DIR + " " + file);
  json parsed = json::parse(out, nullptr, false);
  EXPECT_TRUE(parsed.is_object()) << "node printed: " << out;
  return parsed;
}

// `env -0` output: NUL-separated NAME=value entries (values may hold line breaks).
std::map<std::string, std::string> ParseEnv0(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    std::string entry = text.substr(start, end - start);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) out[entry.substr(0, eq)] = entry.substr(eq + 1);
    start = end + 1;
  }
  return out;
}

class EnvImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<CofferServer>(dir_.path());
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
    client_ = std::make_unique<cli::ApiClient>(server_->OwnerClient());
    env_ = {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", server_->owner_token()}};
  }

  cli::ApiReply Send(const std::string& method, const std::string& path,
                     const std::optional<std::string>& body = std::nullopt,
                     const std::string& content_type = "text/plain") {
    auto reply = client_->Send(method, path, body, content_type);
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? *reply : cli::ApiReply{};
  }
  cli::ApiReply Import(const std::string& text, const std::string& query = "") {
    return Send("POST", "/v0/vault/import" + query, text);
  }
  CommandResult Cli(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    return RunCoffer(args, env_, stdin_text);
  }
  std::string Path(const std::string& file) const { return scratch_.path() + "/" + file; }
  size_t CredentialCount() { return Send("GET", "/v0/vault?limit=500").body["credentials"].size(); }

  static const json* Entry(const json& report, const std::string& key) {
    for (const auto& e : report["entries"]) {
      for (const auto& k : e["keys"]) {
        if (k == key) return &e;
      }
    }
    return nullptr;
  }

  TempDir dir_, scratch_;
  std::unique_ptr<CofferServer> server_;
  std::unique_ptr<cli::ApiClient> client_;
  std::map<std::string, std::string> env_;
};

TEST_F(EnvImportTest, RoundTripThroughRunAndExportGivesDotenvsValuesByteForByte) {
  const std::string original = Path("project.env");
  WriteText(original, RealisticDotenv());
  const json expected = DotenvParse(original);
  ASSERT_GE(expected.size(), 30u);

  auto imported = Cli({"import", original});
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  EXPECT_NE(imported.out.find("Stored"), std::string::npos) << imported.out;

  // `coffer run -- env -0`: every variable, under its original name, byte for byte.
  auto run = Cli({"run", "--", "env", "-0"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto environment = ParseEnv0(run.out);
  for (const auto& [key, value] : expected.items()) {
    auto it = environment.find(key);
    ASSERT_NE(it, environment.end()) << key << " is missing from the command's environment";
    EXPECT_EQ(it->second, value.get<std::string>()) << key;
  }

  // `coffer export --format env -o FILE`: private, and npm dotenv reads back the same map.
  const std::string exported = Path("exported.env");
  auto exp = Cli({"export", "--format", "env", "-o", exported});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  struct stat st {};
  ASSERT_EQ(::stat(exported.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(DotenvParse(exported), expected);

  // To stdout as well, and as JSON.
  auto to_stdout = Cli({"export"});
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  WriteText(Path("stdout.env"), to_stdout.out);
  EXPECT_EQ(DotenvParse(Path("stdout.env")), expected);
  auto as_json = Cli({"export", "--format", "json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  EXPECT_EQ(json::parse(as_json.out), expected);

  // Selections: by name for export, --only for run.
  auto some = Cli({"export", "AWS", "STRIPE_SECRET_KEY", "--format", "json"});
  ASSERT_EQ(some.exit_code, 0) << some.err;
  EXPECT_EQ(json::parse(some.out), json({{"AWS_ACCESS_KEY_ID", expected["AWS_ACCESS_KEY_ID"]},
                                         {"AWS_SECRET_ACCESS_KEY", expected["AWS_SECRET_ACCESS_KEY"]},
                                         {"AWS_REGION", expected["AWS_REGION"]},
                                         {"STRIPE_SECRET_KEY", expected["STRIPE_SECRET_KEY"]}}));
  auto only = Cli({"run", "--only", "GITHUB_TOKEN,SMTP", "--", "env", "-0"});
  ASSERT_EQ(only.exit_code, 0) << only.err;
  const auto only_env = ParseEnv0(only.out);
  EXPECT_EQ(only_env.at("GITHUB_TOKEN"), expected["GITHUB_TOKEN"]);
  EXPECT_EQ(only_env.at("SMTP_PASS"), expected["SMTP_PASS"]);
  EXPECT_EQ(only_env.count("STRIPE_SECRET_KEY"), 0u);
  EXPECT_EQ(Cli({"export", "NOPE"}).exit_code, 3);
}

TEST_F(EnvImportTest, ReportTypesEachEntryAndNeverHoldsAValue) {
  const std::string text = RealisticDotenv();
  WriteText(Path("project.env"), text);
  const json values = DotenvParse(Path("project.env"));
  auto reply = Import(text);
  ASSERT_EQ(reply.status, 201) << reply.body.dump();
  const json& report = reply.body;
  EXPECT_EQ(report["dryRun"], false);
  EXPECT_EQ(report["written"], true);
  EXPECT_EQ(report["stored"].get<size_t>(), report["entries"].size());

  const json* stripe = Entry(report, "STRIPE_SECRET_KEY");
  ASSERT_NE(stripe, nullptr);
  EXPECT_EQ((*stripe)["name"], "STRIPE_SECRET_KEY");
  EXPECT_EQ((*stripe)["type"], "API_KEY");
  EXPECT_EQ((*stripe)["preset"], "stripe");
  EXPECT_EQ((*stripe)["confidence"], "high");
  EXPECT_EQ((*stripe)["action"], "store");
  EXPECT_EQ((*stripe)["line"], 2);
  const json* aws = Entry(report, "AWS_SECRET_ACCESS_KEY");
  ASSERT_NE(aws, nullptr);
  EXPECT_EQ((*aws)["type"], "AWS");
  EXPECT_EQ((*aws)["keys"], json({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"}));
  EXPECT_EQ(Entry(report, "SMTP_PASS")->at("type"), "SMTP");
  EXPECT_EQ(Entry(report, "DATABASE_URL")->at("type"), "DATABASE");
  EXPECT_EQ(Entry(report, "DEPLOY_SSH_KEY")->at("type"), "SSH_KEY");
  EXPECT_EQ(Entry(report, "TWILIO_AUTH_TOKEN")->at("preset"), "twilio");
  EXPECT_EQ(Entry(report, "PORT")->at("secret"), false);
  EXPECT_EQ(Entry(report, "NODE_ENV")->at("secret"), false);

  // No value anywhere in the report.
  const std::string dumped = report.dump();
  for (const auto& [key, value] : values.items()) {
    const std::string v = value;
    if (v.size() >= 12) {
      EXPECT_EQ(dumped.find(v), std::string::npos) << key << "'s value is in the report";
    }
  }

  // The original names are remembered for run and export.
  auto stored_aws = Send("GET", "/v0/vault/AWS");
  ASSERT_EQ(stored_aws.status, 200);
  EXPECT_EQ(stored_aws.body["metadata"]["envKeys"],
            json({{"accessKeyId", "AWS_ACCESS_KEY_ID"}, {"secretAccessKey", "AWS_SECRET_ACCESS_KEY"}, {"region", "AWS_REGION"}}));
  EXPECT_EQ(stored_aws.body["metadata"]["source"], "dotenv");
  EXPECT_EQ(stored_aws.body["data"]["secretAccessKey"], values["AWS_SECRET_ACCESS_KEY"]);
}

TEST_F(EnvImportTest, DryRunAndSkipConfigStoreNothingExtra) {
  auto preview = Import(RealisticDotenv(), "?dryRun=true");
  ASSERT_EQ(preview.status, 200) << preview.body.dump();
  EXPECT_EQ(preview.body["dryRun"], true);
  EXPECT_EQ(preview.body["written"], false);
  EXPECT_EQ(preview.body["stored"], 0);
  EXPECT_GE(preview.body["entries"].size(), 30u);
  EXPECT_EQ(CredentialCount(), 0u);

  WriteText(Path("project.env"), RealisticDotenv());
  auto cli = Cli({"import", Path("project.env"), "--dry-run"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("Dry run"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("STRIPE_SECRET_KEY"), std::string::npos) << cli.out;
  EXPECT_EQ(CredentialCount(), 0u);

  auto secrets_only = Import(RealisticDotenv(), "?skipConfig=true&prefix=app:");
  ASSERT_EQ(secrets_only.status, 201) << secrets_only.body.dump();
  EXPECT_EQ(Entry(secrets_only.body, "PORT")->at("action"), "skip");
  EXPECT_EQ(Send("GET", "/v0/vault/app:PORT").status, 404);
  EXPECT_EQ(Send("GET", "/v0/vault/app:STRIPE_SECRET_KEY").status, 200);
  // With a prefix, run gives back the original names.
  auto run = Cli({"run", "--prefix", "app:", "--", "env", "-0"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ParseEnv0(run.out).count("STRIPE_SECRET_KEY"), 1u);

  EXPECT_EQ(Import("A=1", "?dryrun=true").status, 400) << "a misspelt flag must not store";
  EXPECT_EQ(Import("A=1", "?dryRun=maybe").status, 400);
  EXPECT_EQ(Import("", "").status, 400);
  EXPECT_EQ(Send("POST", "/v0/vault/import", R"({"A":"1"})", "application/json").status, 400);
}

TEST_F(EnvImportTest, ExistingNamesAre409AndStoreNothingUnlessOverwrite) {
  ASSERT_EQ(Import("STRIPE_SECRET_KEY=sk_live_first000000000000\n").status, 201);
  const std::string second = "STRIPE_SECRET_KEY=sk_live_second00000000000\nBRAND_NEW_TOKEN=tok_9f8e7d6c5b4a39281706\n";
  auto conflict = Import(second);
  EXPECT_EQ(conflict.status, 409) << conflict.body.dump();
  EXPECT_EQ(conflict.body["error"]["code"], "conflict");
  const std::string message = conflict.body["error"]["message"];
  EXPECT_NE(message.find("STRIPE_SECRET_KEY (line 1)"), std::string::npos) << message;
  EXPECT_NE(message.find("overwrite"), std::string::npos) << message;
  EXPECT_EQ(Entry(conflict.body, "STRIPE_SECRET_KEY")->at("action"), "conflict");
  EXPECT_EQ(Entry(conflict.body, "BRAND_NEW_TOKEN")->at("action"), "store");
  EXPECT_EQ(Send("GET", "/v0/vault/BRAND_NEW_TOKEN").status, 404) << "all or nothing";
  EXPECT_EQ(Send("GET", "/v0/vault/STRIPE_SECRET_KEY").body["version"], 1);

  WriteText(Path("second.env"), second);
  auto cli = Cli({"import", Path("second.env")});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_NE(cli.err.find("STRIPE_SECRET_KEY"), std::string::npos) << cli.err;
  EXPECT_NE(cli.out.find("conflict"), std::string::npos) << cli.out;

  auto overwritten = Import(second, "?overwrite=true");
  ASSERT_EQ(overwritten.status, 201) << overwritten.body.dump();
  EXPECT_EQ(Entry(overwritten.body, "STRIPE_SECRET_KEY")->at("action"), "overwrite");
  auto now = Send("GET", "/v0/vault/STRIPE_SECRET_KEY");
  EXPECT_EQ(now.body["version"], 2);
  EXPECT_EQ(now.body["data"]["apiKey"], "sk_live_second00000000000");
  EXPECT_EQ(Send("GET", "/v0/vault/BRAND_NEW_TOKEN").status, 200);
}

TEST_F(EnvImportTest, MalformedAndInvalidFilesNameTheLineAndStoreNothing) {
  auto unterminated = Import("GOOD=1\nBROKEN=\"never closed\nOTHER=2\n");
  EXPECT_EQ(unterminated.status, 400) << unterminated.body.dump();
  EXPECT_NE(unterminated.body["error"]["message"].get<std::string>().find("line 2"), std::string::npos)
      << unterminated.body.dump();
  WriteText(Path("broken.env"), "GOOD=1\nBROKEN='open\n");
  auto cli = Cli({"import", Path("broken.env")});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_NE(cli.err.find("line 2"), std::string::npos) << cli.err;
  EXPECT_EQ(Cli({"import", Path("missing.env")}).exit_code, 2);

  // Values that do not fit the type they were recognised as: 422 naming entry, line and field.
  auto invalid = Import("API_KEY_OK=sk_live_abcdefabcdef1234\nDB_HOST=db.internal\nDB_PASSWORD=pw\nDB_PORT=five\n");
  EXPECT_EQ(invalid.status, 422) << invalid.body.dump();
  const std::string message = invalid.body["error"]["message"];
  EXPECT_NE(message.find("DB (lines"), std::string::npos) << message;
  EXPECT_NE(message.find("data.port"), std::string::npos) << message;
  EXPECT_EQ(Entry(invalid.body, "DB_PORT")->at("action"), "invalid");
  EXPECT_EQ(CredentialCount(), 0u);
}

TEST_F(EnvImportTest, PlantedSecretNeverReachesReportsMessagesOrLogs) {
  const std::string p(kPlanted);
  const std::string text = "STRIPE_SECRET_KEY=sk_live_" + p + "\nMY_SECRET_TOKEN=\"" + p + "\"\nDB_HOST=h\nDB_PASSWORD=" +
                           p + "\nDB_PORT=" + p + "\n";
  std::string seen;
  seen += Import(text, "?dryRun=true").body.dump();
  seen += Import(text).body.dump();  // 422: DB_PORT
  seen += Import("BROKEN=\"" + p + "\n").body.dump();
  const std::string fixed = "STRIPE_SECRET_KEY=sk_live_" + p + "\nMY_SECRET_TOKEN=\"" + p + "\"\n";
  seen += Import(fixed).body.dump();
  seen += Import(fixed).body.dump();  // 409
  WriteText(Path("planted.env"), fixed);
  auto cli = Cli({"import", Path("planted.env"), "--overwrite"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  seen += cli.out + cli.err;
  auto cli_json = Cli({"import", Path("planted.env"), "--dry-run", "--json"});
  seen += cli_json.out + cli_json.err;
  EXPECT_EQ(seen.find(p), std::string::npos) << seen;
  EXPECT_EQ(server_->stderr_text().find(p), std::string::npos) << "the server logged a value";
  // It was stored, though.
  EXPECT_EQ(Send("GET", "/v0/vault/MY_SECRET_TOKEN").body["data"]["apiKey"], p);
}

TEST_F(EnvImportTest, RunMapsFieldsToVariablesAndPassesExitCodesAndSignals) {
  auto put = [&](const std::string& name, const json& body) {
    return Send("PUT", "/v0/vault/" + name, body.dump(), "application/json").status;
  };
  ASSERT_EQ(put("aws-prod", {{"type", "AWS"},
                             {"data", {{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"}, {"secretAccessKey", "wJalr/K7MDENG"}}}}),
            201);
  ASSERT_EQ(put("skill:stripe:access_token", {{"type", "API_KEY"}, {"data", {{"apiKey", "sk_live_1"}}}}), 201);
  ASSERT_EQ(put("stripe", {{"type", "API_KEY"}, {"data", {{"key", "sk_live_2"}}}}), 201);
  ASSERT_EQ(put("smtp", {{"type", "SMTP"}, {"data", {{"host", "smtp.example.com"}, {"port", 587}, {"password", "pw"}}}}),
            201);

  auto run = Cli({"run", "--", "env", "-0"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto env = ParseEnv0(run.out);
  EXPECT_EQ(env.at("AWS_PROD_ACCESS_KEY_ID"), "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(env.at("AWS_PROD_SECRET_ACCESS_KEY"), "wJalr/K7MDENG");
  EXPECT_EQ(env.at("SKILL_STRIPE_ACCESS_TOKEN"), "sk_live_1");
  EXPECT_EQ(env.at("STRIPE"), "sk_live_2");
  EXPECT_EQ(env.at("SMTP_PORT"), "587");
  EXPECT_EQ(env.at("SMTP_HOST"), "smtp.example.com");
  EXPECT_EQ(env.count("COFFER_TOKEN"), 0u) << "the command gets credentials, not the vault's token";

  // Exit codes pass through; a command that cannot start gets the shell's codes.
  EXPECT_EQ(Cli({"run", "--only", "stripe", "--", "sh", "-c", "exit 7"}).exit_code, 7);
  EXPECT_EQ(Cli({"run", "--only", "stripe", "--", "sh", "-c", "test \"$STRIPE\" = sk_live_2"}).exit_code, 0);
  auto missing = Cli({"run", "--only", "stripe", "--", "coffer-no-such-command"});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.err.find("coffer-no-such-command"), std::string::npos);
  EXPECT_EQ(Cli({"run", "--only", "nope", "--", "true"}).exit_code, 3);
  EXPECT_NE(Cli({"run", "--only", "stripe"}).exit_code, 0) << "a command is required";

  // Two credentials giving one variable: refused, naming both.
  ASSERT_EQ(put("other", {{"type", "API_KEY"}, {"data", {{"apiKey", "x"}}}, {"metadata", {{"envKeys", {{"apiKey", "STRIPE"}}}}}}),
            201);
  auto clash = Cli({"run", "--", "true"});
  EXPECT_EQ(clash.exit_code, 2);
  EXPECT_NE(clash.err.find("other"), std::string::npos) << clash.err;
  EXPECT_NE(clash.err.find("stripe"), std::string::npos) << clash.err;

  // SIGTERM to `coffer run` reaches the command: it is the command.
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    for (const auto& [k, v] : env_) ::setenv(k.c_str(), v.c_str(), 1);
    const std::string bin = CofferBinary();
    ::execl(bin.c_str(), bin.c_str(), "run", "--only", "stripe", "--", "sh", "-c",
            "trap 'exit 42' TERM; echo ready; while :; do sleep 0.1; done", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (got.find("ready") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{out[0], POLLIN, 0};
    if (::poll(&pfd, 1, 100) > 0) {
      char buf[256];
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
  }
  EXPECT_NE(got.find("ready"), std::string::npos);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out[0]);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 42);
}

}  // namespace
}  // namespace coffer::testing
