// Root keys: rotation of the root key (the old one stops working), the passphrase provider, and
// the PKCS#11 provider against a SoftHSM2 token this test creates for itself.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "coffer_process.h"
#include "key_test_support.h"

namespace coffer::testing {
namespace {

constexpr const char* kPassphrase = "correct horse battery staple";

int FileMode(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

TEST(RootKeyTest, RotateRootReplacesTheKeyFileAndTheOldKeyStopsWorking) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  std::map<std::string, std::string> values = {{"a", "va"}, {"b", "vb"}, {"c", "vc"}};
  {
    CofferServer server(data);
    ASSERT_TRUE(server.started());
    ASSERT_EQ(StoreAll(server, values), 0);
    ASSERT_EQ(server.OwnerClient().Send("POST", "/v0/keys/rotate")->status, 200);  // two KEKs to re-wrap
    auto client = server.OwnerClient();
    WaitForRewrap(client);
    // Refused while the server runs: the data directory is locked.
    auto busy = RunCoffer({"keys", "rotate-root", "--data-dir", data});
    EXPECT_NE(busy.exit_code, 0);
    EXPECT_NE(busy.err.find("stop it first"), std::string::npos) << busy.err;
  }
  const std::string old_key = Trimmed(ReadFile(data + "/root.key"));
  auto rotated = RunCoffer({"keys", "rotate-root", "--data-dir", data});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_NE(rotated.out.find("2 KEK(s) re-wrapped"), std::string::npos) << rotated.out;
  const std::string new_key = Trimmed(ReadFile(data + "/root.key"));
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(new_key.size(), 44u);
  EXPECT_EQ(FileMode(data + "/root.key"), 0600);
  EXPECT_FALSE(std::filesystem::exists(data + "/root.key.new"));

  CofferServer with_old(data, {.env = {{"COFFER_ROOT_KEY", old_key}}, .expect_start = false});
  EXPECT_NE(with_old.WaitForExit(), 0);
  EXPECT_NE(with_old.stderr_text().find("does not open this data directory's keys"), std::string::npos)
      << with_old.stderr_text();

  CofferServer with_new(data);
  ASSERT_TRUE(with_new.started()) << with_new.stderr_text();
  EXPECT_TRUE(CheckAll(with_new, values).empty());
  auto status = with_new.OwnerClient().Send("GET", "/v0/keys/status")->body;
  EXPECT_FALSE(status["lastRotations"]["rootRotated"].is_null()) << status.dump();
  with_new.Stop();

  // Bad input is refused before anything changes.
  auto no_data = RunCoffer({"keys", "rotate-root", "--data-dir", dir.path() + "/nowhere"});
  EXPECT_NE(no_data.exit_code, 0);
  EXPECT_NE(no_data.err.find("--data-dir"), std::string::npos) << no_data.err;
  auto wrong_root = RunCoffer({"keys", "rotate-root", "--data-dir", data}, {{"COFFER_ROOT_KEY", old_key}});
  EXPECT_NE(wrong_root.exit_code, 0);
  EXPECT_NE(wrong_root.err.find("does not open"), std::string::npos) << wrong_root.err;
  EXPECT_EQ(Trimmed(ReadFile(data + "/root.key")), new_key) << "a failed rotation changes nothing";
}

TEST(RootKeyTest, PassphraseProviderStartsOnlyWithTheRightPassphrase) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  const std::vector<std::string> args = {"--root-key", "passphrase"};
  {
    CofferServer short_one(data, {.extra_args = args, .env = {{"COFFER_ROOT_PASSPHRASE", "short"}}, .expect_start = false});
    EXPECT_NE(short_one.WaitForExit(), 0);
    EXPECT_NE(short_one.stderr_text().find("at least 12"), std::string::npos) << short_one.stderr_text();
  }
  {
    CofferServer server(data, {.extra_args = args, .env = {{"COFFER_ROOT_PASSPHRASE", kPassphrase}}});
    ASSERT_TRUE(server.started()) << server.stderr_text();
    EXPECT_NE(server.stdout_text().find("passphrase (Argon2id"), std::string::npos) << server.stdout_text();
    EXPECT_FALSE(std::filesystem::exists(data + "/root.key")) << "no key file with a passphrase";
    EXPECT_EQ(FileMode(data + "/root.kdf"), 0600);
    EXPECT_EQ(ReadFile(data + "/root.kdf").find(kPassphrase), std::string::npos);
    ASSERT_EQ(server.OwnerClient().Send("PUT", "/v0/vault/a", CredentialBody("pass-protected"))->status, 201);
    EXPECT_EQ(server.OwnerClient().Send("GET", "/v0/status")->body["keys"]["rootKeyProvider"], "passphrase");
  }
  {
    CofferServer right(data, {.extra_args = args, .env = {{"COFFER_ROOT_PASSPHRASE", kPassphrase}}});
    ASSERT_TRUE(right.started()) << right.stderr_text();
    EXPECT_EQ(right.OwnerClient().Send("GET", "/v0/vault/a")->body["data"]["key"], "pass-protected");
    EXPECT_EQ(right.stderr_text().find(kPassphrase), std::string::npos) << "never logged";
  }
  CofferServer wrong(data, {.extra_args = args, .env = {{"COFFER_ROOT_PASSPHRASE", "correct horse battery stable"}},
                            .expect_start = false});
  EXPECT_NE(wrong.WaitForExit(), 0);
  EXPECT_NE(wrong.stderr_text().find("the passphrase does not open"), std::string::npos) << wrong.stderr_text();
  EXPECT_EQ(wrong.stderr_text().find("stable"), std::string::npos) << "the passphrase is never echoed";

  // No passphrase and no terminal: told which variable to set. (On a terminal the server would
  // prompt on it instead, so this part runs only where the tests have none, as under ctest and CI.)
  if (!::isatty(STDIN_FILENO)) {
    CofferServer none(data, {.extra_args = args, .env = {{"COFFER_ROOT_PASSPHRASE", ""}}, .expect_start = false});
    EXPECT_NE(none.WaitForExit(), 0);
    EXPECT_NE(none.stderr_text().find("COFFER_ROOT_PASSPHRASE"), std::string::npos) << none.stderr_text();
  }

  // A key file data directory is not opened by a passphrase (no parameters file), and vice versa.
  CofferServer as_file(data, {.extra_args = {"--root-key", "file"}, .expect_start = false});
  EXPECT_NE(as_file.WaitForExit(), 0);
  EXPECT_NE(as_file.stderr_text().find("missing"), std::string::npos) << as_file.stderr_text();

  // Re-key: a new passphrase; the old one stops working.
  auto rekey = RunCoffer({"keys", "rotate-root", "--data-dir", data, "--root-key", "passphrase"},
                         {{"COFFER_ROOT_PASSPHRASE", kPassphrase},
                          {"COFFER_NEW_ROOT_PASSPHRASE", "a completely different passphrase"}});
  ASSERT_EQ(rekey.exit_code, 0) << rekey.err;
  CofferServer old_pass(data, {.extra_args = args, .env = {{"COFFER_ROOT_PASSPHRASE", kPassphrase}}, .expect_start = false});
  EXPECT_NE(old_pass.WaitForExit(), 0);
  CofferServer new_pass(data, {.extra_args = args,
                               .env = {{"COFFER_ROOT_PASSPHRASE", "a completely different passphrase"}}});
  ASSERT_TRUE(new_pass.started()) << new_pass.stderr_text();
  EXPECT_EQ(new_pass.OwnerClient().Send("GET", "/v0/vault/a")->body["data"]["key"], "pass-protected");
}

TEST(RootKeyTest, RotateRootFromAKeyFileToAPassphrase) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  {
    CofferServer server(data);
    ASSERT_TRUE(server.started());
    ASSERT_EQ(server.OwnerClient().Send("PUT", "/v0/vault/a", CredentialBody("moved"))->status, 201);
  }
  auto rotated = RunCoffer({"keys", "rotate-root", "--data-dir", data, "--new-root-key", "passphrase"},
                           {{"COFFER_NEW_ROOT_PASSPHRASE", kPassphrase}});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_FALSE(std::filesystem::exists(data + "/root.key")) << "the old key file opens nothing now";
  CofferServer server(data, {.extra_args = {"--root-key", "passphrase"}, .env = {{"COFFER_ROOT_PASSPHRASE", kPassphrase}}});
  ASSERT_TRUE(server.started()) << server.stderr_text();
  EXPECT_EQ(server.OwnerClient().Send("GET", "/v0/vault/a")->body["data"]["key"], "moved");
}

// A SoftHSM2 token in a temporary directory, created with softhsm2-util and given an AES-256 key
// with pkcs11-tool, exactly as an operator would.
class SoftHsm {
 public:
  static constexpr const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";
  static constexpr const char* kToken = "coffer-test";
  static constexpr const char* kPin = "246813579";

  SoftHsm() {
    std::filesystem::create_directories(dir_.path() + "/tokens");
    std::ofstream(conf()) << "directories.tokendir = " << dir_.path() << "/tokens\nobjectstore.backend = file\n"
                          << "log.level = ERROR\n";
  }
  std::string conf() const { return dir_.path() + "/softhsm2.conf"; }
  bool Init() {
    return Run(std::string("softhsm2-util --init-token --free --label ") + kToken + " --so-pin 13572468 --pin " + kPin);
  }
  bool AddKey(const std::string& label) {
    return Run(std::string("pkcs11-tool --module ") + kModule + " --token-label " + kToken + " --login --pin " + kPin +
               " --keygen --key-type AES:32 --label " + label);
  }
  void RemoveTokens() {
    std::filesystem::remove_all(dir_.path() + "/tokens");
    std::filesystem::create_directories(dir_.path() + "/tokens");
  }
  std::map<std::string, std::string> env(const std::string& pin = kPin) const {
    return {{"SOFTHSM2_CONF", conf()}, {"COFFER_PKCS11_PIN", pin}};
  }
  static std::vector<std::string> Args(const std::string& key_label) {
    return {"--root-key", "pkcs11", "--pkcs11-module", kModule, "--pkcs11-token-label", kToken,
            "--pkcs11-key-label", key_label};
  }

 private:
  bool Run(const std::string& command) {
    std::string line = "SOFTHSM2_CONF=" + conf() + " " + command + " >" + dir_.path() + "/tool.log 2>&1";
    return std::system(line.c_str()) == 0;
  }
  TempDir dir_;
};

TEST(RootKeyTest, Pkcs11RootKeyStaysInTheHsm) {
  ASSERT_TRUE(std::filesystem::exists(SoftHsm::kModule)) << "install softhsm2 (scripts/install-deps.sh)";
  SoftHsm hsm;
  ASSERT_TRUE(hsm.Init());
  ASSERT_TRUE(hsm.AddKey("coffer-root"));
  TempDir dir;
  const std::string data = dir.path() + "/data";
  {
    CofferServer server(data, {.extra_args = SoftHsm::Args("coffer-root"), .env = hsm.env()});
    ASSERT_TRUE(server.started()) << server.stderr_text();
    EXPECT_NE(server.stdout_text().find("PKCS#11 token 'coffer-test'"), std::string::npos) << server.stdout_text();
    EXPECT_FALSE(std::filesystem::exists(data + "/root.key")) << "no key file: the root key is in the HSM";
    ASSERT_EQ(server.OwnerClient().Send("PUT", "/v0/vault/a", CredentialBody("hsm-protected"))->status, 201);
    ASSERT_EQ(server.OwnerClient().Send("POST", "/v0/keys/rotate")->status, 200) << "a new KEK, wrapped in the HSM";
    EXPECT_EQ(server.OwnerClient().Send("GET", "/v0/status")->body["keys"]["rootKeyProvider"], "pkcs11");
  }
  {
    CofferServer restarted(data, {.extra_args = SoftHsm::Args("coffer-root"), .env = hsm.env()});
    ASSERT_TRUE(restarted.started()) << restarted.stderr_text();
    EXPECT_EQ(restarted.OwnerClient().Send("GET", "/v0/vault/a")->body["data"]["key"], "hsm-protected");
  }
  CofferServer wrong_pin(data, {.extra_args = SoftHsm::Args("coffer-root"), .env = hsm.env("11111111"),
                                .expect_start = false});
  EXPECT_NE(wrong_pin.WaitForExit(), 0);
  EXPECT_NE(wrong_pin.stderr_text().find("PIN"), std::string::npos) << wrong_pin.stderr_text();
  EXPECT_EQ(wrong_pin.stderr_text().find("11111111"), std::string::npos) << "the PIN is never echoed";

  CofferServer wrong_key(data, {.extra_args = SoftHsm::Args("no-such-key"), .env = hsm.env(), .expect_start = false});
  EXPECT_NE(wrong_key.WaitForExit(), 0);
  EXPECT_NE(wrong_key.stderr_text().find("no secret key labelled 'no-such-key'"), std::string::npos)
      << wrong_key.stderr_text();

  auto bad_module_args = SoftHsm::Args("coffer-root");
  bad_module_args[3] = "/nonexistent/libpkcs11.so";
  CofferServer bad_module(data, {.extra_args = bad_module_args, .env = hsm.env(), .expect_start = false});
  EXPECT_NE(bad_module.WaitForExit(), 0);
  EXPECT_NE(bad_module.stderr_text().find("cannot load the PKCS#11 module"), std::string::npos) << bad_module.stderr_text();

  CofferServer half_configured(data, {.extra_args = {"--root-key", "pkcs11"}, .env = hsm.env(), .expect_start = false});
  EXPECT_NE(half_configured.WaitForExit(), 0);
  EXPECT_NE(half_configured.stderr_text().find("--pkcs11-module"), std::string::npos) << half_configured.stderr_text();

  // Rotate the root to a second HSM key: only that one opens the data afterwards.
  ASSERT_TRUE(hsm.AddKey("coffer-root-2"));
  auto args = SoftHsm::Args("coffer-root");
  args.insert(args.begin(), {"keys", "rotate-root", "--data-dir", data});
  args.insert(args.end(), {"--new-root-key", "pkcs11", "--new-pkcs11-key-label", "coffer-root-2"});
  auto rotated = RunCoffer(args, hsm.env());
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  CofferServer old_label(data, {.extra_args = SoftHsm::Args("coffer-root"), .env = hsm.env(), .expect_start = false});
  EXPECT_NE(old_label.WaitForExit(), 0);
  EXPECT_NE(old_label.stderr_text().find("the HSM key does not open"), std::string::npos) << old_label.stderr_text();
  {
    CofferServer new_label(data, {.extra_args = SoftHsm::Args("coffer-root-2"), .env = hsm.env()});
    ASSERT_TRUE(new_label.started()) << new_label.stderr_text();
    EXPECT_EQ(new_label.OwnerClient().Send("GET", "/v0/vault/a")->body["data"]["key"], "hsm-protected");
  }

  // Without the token (unplugged, or the wrong one configured) start-up fails cleanly, naming it.
  hsm.RemoveTokens();
  CofferServer missing(data, {.extra_args = SoftHsm::Args("coffer-root-2"), .env = hsm.env(), .expect_start = false});
  EXPECT_NE(missing.WaitForExit(), 0);
  EXPECT_NE(missing.stderr_text().find("no PKCS#11 token labelled 'coffer-test' is present"), std::string::npos)
      << missing.stderr_text();
}

}  // namespace
}  // namespace coffer::testing
