// The fixture most integration tests share: a fresh data directory and the real server on it,
// started before each test, with the owner's token at hand.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "coffer_process.h"

namespace coffer::testing {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  // Starts the server (again, after a stop or a crash) on the same data directory.
  void StartServer(ServerOptions options = {}) {
    server_.reset();
    server_ = std::make_unique<CofferServer>(dir_.path(), std::move(options));
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
    owner_ = server_->owner_token();
  }

  cli::ApiReply Call(const std::string& token, const std::string& method, const std::string& path,
                     const std::optional<nlohmann::json>& body = std::nullopt) const {
    return server_->Call(token, method, path, body);
  }

  TempDir dir_;
  std::unique_ptr<CofferServer> server_;
  std::string owner_;
};

}  // namespace coffer::testing
