#include "coffer_process.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace coffer::testing {
namespace {

// Builds envp from the current environment plus `extra` (which wins).
std::vector<std::string> MergedEnvironment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> all;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) all[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) all[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : all) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "coffer-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string CofferBinary() {
  const char* bin = std::getenv("COFFER_BIN");
  if (bin == nullptr) throw std::runtime_error("COFFER_BIN is not set (ctest sets it)");
  return bin;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CofferServer::CofferServer(const std::string& data_dir, ServerOptions options)
    : data_dir_(data_dir), stderr_path_(data_dir + ".stderr") {
  int out_pipe[2];
  if (::pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {CofferBinary(), "serve", "--data-dir", data_dir, "--worker-threads", "16"};
  if (std::find(options.extra_args.begin(), options.extra_args.end(), "--listen") == options.extra_args.end()) {
    args.insert(args.end(), {"--listen", "127.0.0.1:0"});
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<std::string> env = MergedEnvironment(options.env);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(err, STDERR_FILENO);
    ::close(out_pipe[0]);
    auto argv = CStrings(args);
    auto envp = CStrings(env);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  stdout_fd_ = out_pipe[0];
  if (!options.expect_start) return;

  // Read the banner until it names the port.
  static const std::regex kListening(R"(Listening on\s+(https?)://127\.0\.0\.1:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 100) > 0) {
      char buf[1024];
      ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
      if (n <= 0) break;  // the server exited
      stdout_text_.append(buf, static_cast<size_t>(n));
      std::smatch m;
      if (std::regex_search(stdout_text_, m, kListening) && stdout_text_.find("coffer vault list") != std::string::npos) {
        port_ = std::stoi(m[2]);
        url_ = m[1].str() + "://127.0.0.1:" + m[2].str();
        return;
      }
    }
  }
}

CofferServer::~CofferServer() {
  if (pid_ > 0) Stop();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (!std::getenv("KEEP_STDERR")) ::unlink(stderr_path_.c_str());
}

std::string CofferServer::owner_token() const {
  std::string token = ReadFile(data_dir_ + "/owner.token");
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

std::string CofferServer::stderr_text() const { return ReadFile(stderr_path_); }

int CofferServer::Stop(int signal) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  ::kill(pid_, SIGCONT);
  return WaitForExit();
}

void CofferServer::Signal(int signal) const {
  if (pid_ > 0) ::kill(pid_, signal);
}

int CofferServer::WaitForExit() {
  if (pid_ <= 0) return -1;
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (stdout_fd_ >= 0) stdout_text_ += ReadAll(stdout_fd_);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

cli::ApiClient CofferServer::Client(const std::string& token) const {
  return cli::ApiClient(cli::ClientConfig{url_, token, ""});
}

cli::ApiReply CofferServer::Call(const std::string& token, const std::string& method, const std::string& path,
                                 const std::optional<nlohmann::json>& body) const {
  auto reply = Client(token).Send(method, path, body ? std::optional<std::string>(body->dump()) : std::nullopt);
  EXPECT_TRUE(reply.ok()) << method << " " << path << ": no answer";
  return reply.ok() ? *reply : cli::ApiReply{};
}

CommandResult RunCoffer(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                        const std::string& stdin_text) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) throw std::runtime_error("pipe");
  std::vector<std::string> argv_strings = {CofferBinary()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> envs = MergedEnvironment(env);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    auto argv = CStrings(argv_strings);
    auto envp = CStrings(envs);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (!stdin_text.empty()) (void)::write(in_pipe[1], stdin_text.data(), stdin_text.size());
  ::close(in_pipe[1]);
  CommandResult result;
  // Drain stderr on a thread so neither pipe can fill up and block the child.
  std::thread err_reader([&] { result.err = ReadAll(err_pipe[0]); });
  result.out = ReadAll(out_pipe[0]);
  err_reader.join();
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace coffer::testing
