// A whole coffer node on the test database: the real binary, `coffer serve --store URL`, in a data
// directory of its own. What every test that runs nodes on PostgreSQL starts them with.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "coffer_process.h"

namespace coffer::testing {

// The first node on a database creates the org and its owner; the others are given the first
// one's root key file, as nodes behind one load balancer share one root key. `extra_args` go to
// `coffer serve` as they are. When `expect_start`, a node that did not start fails the test.
inline std::unique_ptr<CofferServer> StartPostgresNode(const std::string& url, const std::string& data_dir,
                                                       const std::string& root_key_file = "",
                                                       const std::vector<std::string>& extra_args = {},
                                                       bool expect_start = true) {
  ServerOptions options;
  options.extra_args = {"--store", url};
  if (!root_key_file.empty()) options.extra_args.insert(options.extra_args.end(), {"--root-key-file", root_key_file});
  options.extra_args.insert(options.extra_args.end(), extra_args.begin(), extra_args.end());
  options.expect_start = expect_start;
  auto node = std::make_unique<CofferServer>(data_dir, options);
  if (expect_start) {
    EXPECT_TRUE(node->started()) << node->stderr_text();
  }
  return node;
}

}  // namespace coffer::testing
