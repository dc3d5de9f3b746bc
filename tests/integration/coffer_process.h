// Starts the real `coffer serve` binary on an ephemeral loopback port with its own data
// directory, and runs `coffer` CLI commands against it: the tests use Coffer as a user would.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/api_client.h"

namespace coffer::testing {

// A fresh temporary directory, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string CofferBinary();  // from the COFFER_BIN environment variable set by ctest
std::string ReadFile(const std::string& path);

struct ServerOptions {
  std::vector<std::string> extra_args;
  std::map<std::string, std::string> env;  // added to the environment
  bool expect_start = true;
};

class CofferServer {
 public:
  // Starts the server in `data_dir`; when options.expect_start, waits until it listens.
  CofferServer(const std::string& data_dir, ServerOptions options = {});
  ~CofferServer();  // SIGTERM, then wait

  bool started() const { return port_ != 0; }
  const std::string& url() const { return url_; }
  std::string owner_token() const;
  const std::string& stdout_text() const { return stdout_text_; }
  std::string stderr_text() const;

  // Sends SIGTERM (or `signal`) and waits for exit; returns the exit status. A stopped (SIGSTOP)
  // server is continued, so that it can act on the signal.
  int Stop(int signal = 15);
  // Sends `signal` (SIGSTOP, SIGCONT) and returns at once.
  void Signal(int signal) const;
  // Waits for a server that was expected to refuse to start; returns its exit status.
  int WaitForExit();

  cli::ApiClient Client(const std::string& token) const;
  cli::ApiClient OwnerClient() const { return Client(owner_token()); }
  // One request with `token`; a request that gets no HTTP answer at all fails the test.
  cli::ApiReply Call(const std::string& token, const std::string& method, const std::string& path,
                     const std::optional<nlohmann::json>& body = std::nullopt) const;

 private:
  std::string data_dir_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
  std::string url_;
  std::string stdout_text_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `coffer ARGS...` with extra environment and optional stdin, and collects its output.
CommandResult RunCoffer(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                        const std::string& stdin_text = "");

}  // namespace coffer::testing
