// A value holding a NUL byte can be stored (JSON carries it), but no environment variable and no
// .env line can: `coffer run` and `coffer export` refuse it as bad input, name the credential,
// and hand out nothing of it (no command started, no line, no partial file).
#include <gtest/gtest.h>

#include <filesystem>

#include "coffer_process.h"
#include "raw_http.h"

namespace coffer::testing {
namespace {

class NulValueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<CofferServer>(dir_.path());
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
    env_ = {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", server_->owner_token()}};
    auto stored = SendText(*server_, server_->owner_token(), "PUT", "/v0/vault/nul-cred",
                           R"({"type":"CUSTOM","data":{"value":"a\u0000b"}})");
    ASSERT_EQ(stored.status, 201) << stored.body.dump();
  }

  static void ExpectNamesTheCredential(const CommandResult& result, const std::string& what) {
    EXPECT_EQ(result.exit_code, 2) << what << "\nstdout: " << result.out << "\nstderr: " << result.err;
    EXPECT_NE(result.err.find("nul-cred"), std::string::npos) << what << ": " << result.err;
    EXPECT_NE(result.err.find("NUL"), std::string::npos) << what << ": " << result.err;
  }

  TempDir dir_, scratch_;
  std::unique_ptr<CofferServer> server_;
  std::map<std::string, std::string> env_;
};

TEST_F(NulValueTest, ExportRefusesAValueWithANulByteAndWritesNothingOfIt) {
  // The .env format (the default); JSON can carry a NUL as \u0000, so it is not pinned here.
  const std::vector<std::vector<std::string>> exports = {{"export"}, {"export", "nul-cred"}, {"export", "--format", "env"}};
  for (const auto& args : exports) {
    std::string what;
    for (const auto& a : args) what += a + " ";
    auto result = RunCoffer(args, env_);
    ExpectNamesTheCredential(result, "coffer " + what);
    EXPECT_EQ(result.out.find("NUL_CRED"), std::string::npos) << "coffer " << what << "wrote it: " << result.out;
    EXPECT_EQ(result.out.find(std::string("a\0b", 3)), std::string::npos) << "coffer " << what;
  }
  // To a file: refused before anything is written, so no file, not even a partial one.
  const std::string file = scratch_.path() + "/out.env";
  auto to_file = RunCoffer({"export", "-o", file}, env_);
  ExpectNamesTheCredential(to_file, "coffer export -o FILE");
  EXPECT_FALSE(std::filesystem::exists(file)) << "export left " << file << ": " << ReadFile(file);
}

TEST_F(NulValueTest, RunRefusesAValueWithANulByteAndNeverStartsTheCommand) {
  const std::string marker = scratch_.path() + "/started";
  const std::vector<std::vector<std::string>> selections = {{}, {"--only", "nul-cred"}};
  for (const auto& selection : selections) {
    std::vector<std::string> args = {"run"};
    args.insert(args.end(), selection.begin(), selection.end());
    args.insert(args.end(), {"--", "sh", "-c", "echo started > " + marker});
    auto result = RunCoffer(args, env_);
    ExpectNamesTheCredential(result, selection.empty() ? "coffer run" : "coffer run --only nul-cred");
    EXPECT_FALSE(std::filesystem::exists(marker)) << "the command ran";
  }
}

}  // namespace
}  // namespace coffer::testing
